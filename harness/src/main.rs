//! The `gorepro` command line: list the catalog, show a scenario's Go source, reproduce
//! scenarios, and diagnose a user's own code.
//!
//! Exit status:
//! - `run`, `report`: 0 when every diagnosis matches its expectation (and repeats agree), 1
//!   when one does not.
//! - `diagnose`: the worst over its packages: 0 when no run reproduced a bug, no test failed
//!   and no run's lock order showed a potential inversion (skipped packages included); 1 when
//!   a run reproduced a bug, a test failed, or a clean run's lock order showed a potential
//!   lock-order inversion (each a finding of its own, even when no concurrency bug showed, so
//!   that a CI gate fails on a latent AB-BA too); 2 when a
//!   package could not be diagnosed (after the others' reports); 130 (SIGINT) or 143 (SIGTERM)
//!   when a signal stopped it, after the report of the runs that finished.
//! - `fuzz`: 0 when every program ended where the model says (tier 1: every point diagnosed
//!   as its spec's rule says), 1 when one did not; 130 or 143 after a signal.
//! - `merge`: as the merged commands: 1 when a merged `run` had a mismatch or a divergence, or
//!   a merged `diagnose` a reproduced bug, a failing test or a potential lock-order
//!   inversion; else 0.
//! - every command: 2 for usage or harness errors (for `merge`, lines that do not merge: a
//!   shard missing, a line twice, lines of different runs).

use std::collections::HashMap;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use nix::sys::signal::Signal;

use gorepro::diagnose::{DiagnoseError, Progress};
use gorepro::fuzz::campaign::{self, Campaign, FuzzReport};
use gorepro::fuzz::points::{self, PointCampaign, PointReport};
use gorepro::gotest::TestFlags;
use gorepro::interrupt;
use gorepro::merge::{self, RunItem, RunSummary};
use gorepro::report::{self, RunPlace};
use gorepro::scenario::Variant;
use gorepro::shard::{self, Shard};
use gorepro::vocabulary::taxonomy;
use gorepro::{Config, Error, Harness, RunOptions};

#[derive(Parser)]
#[command(
    name = "gorepro",
    version,
    about = "Reproduce Go concurrency bugs and diagnose them from runtime evidence"
)]
struct Cli {
    #[command(subcommand)]
    command: TopCommand,
}

#[derive(Subcommand)]
enum TopCommand {
    #[command(flatten)]
    Harness(Box<Command>),
    /// Combine the --json lines of `run` or `diagnose` processes (one per --shard, or several
    /// explorations) into the report one process would have printed.
    Merge {
        /// JSON lines files (`-` reads standard input).
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// The summary lines (as `run --json` and `diagnose --json` end) instead of the reports.
        #[arg(long)]
        json: bool,
        /// Also write the merged `diagnose` results as JUnit XML to FILE, as `diagnose --junit`
        /// does.
        #[arg(long, value_name = "FILE")]
        junit: Option<std::path::PathBuf>,
        /// Also write the merged `diagnose` results as SARIF 2.1.0 to FILE, as `diagnose
        /// --sarif` does (the JSON lines carry no source locations of the runs: the results have
        /// none).
        #[arg(long, value_name = "FILE")]
        sarif: Option<std::path::PathBuf>,
    },
}

/// The commands that need Go and the catalog.
#[derive(Subcommand)]
enum Command {
    /// List the catalog, grouped by family, with the bug-class ids.
    List,
    /// Explain a bug class (or the class of a scenario): what happens, the buggy code against
    /// the fixed code, and what the runtime shows.
    Explain { class_or_scenario: String },
    /// Write a standalone Go module with a scenario's buggy and fixed programs to DIR.
    Export { id: String, dir: std::path::PathBuf },
    /// Print a scenario's Go source as it is built.
    Show {
        id: String,
        #[arg(long, value_enum, default_value = "buggy")]
        variant: VariantArg,
        /// Set a parameter: NAME=VALUE (repeatable).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
    },
    /// Diagnose your own Go code, named as for go test: packages (./..., import paths with or
    /// without /..., directories) or .go files; go test's flags follow them. Your files are
    /// never modified.
    #[command(after_help = DIAGNOSE_HELP)]
    Diagnose {
        /// Packages (./..., shop/cart, shop/..., ./cart) or .go files forming one package;
        /// none: the package in the current directory, as for go test.
        #[arg(value_name = "PACKAGES")]
        packages: Vec<String>,
        /// Replaced by go test's -run.
        #[arg(long, hide = true)]
        test: Option<String>,
        /// Seeds of the schedule exploration to run.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10000))]
        runs: u32,
        /// Replay one seed (as printed: v3:N).
        #[arg(long)]
        seed: Option<String>,
        /// End a run that takes longer than this, like go test -timeout (30s, 10m, 1h30m;
        /// default 10m).
        #[arg(long, value_parser = gorepro::diagnose::parse_timeout)]
        timeout: Option<std::time::Duration>,
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=256))]
        gomaxprocs: u32,
        /// Ignore goroutines you expect to stay, as goleak's IgnoreTopFunction and
        /// IgnoreAnyFunction do: top:FUNCTION (the innermost frame), any:FUNCTION (any frame) or
        /// FUNCTION (top), fully qualified as a dump writes it; repeatable. Added to the rules of
        /// the module's .goreproignore (one rule per line, # comments).
        #[arg(long, value_name = "RULE")]
        ignore: Vec<gorepro::ignore::IgnoreRule>,
        /// JSON lines on stdout: one per run as it finishes (replay checks included), a
        /// summary line per package, then a total.
        #[arg(long)]
        json: bool,
        /// Also write the results as JUnit XML to FILE (a test case per run).
        #[arg(long, value_name = "FILE")]
        junit: Option<std::path::PathBuf>,
        /// Also write the results as SARIF 2.1.0 to FILE (a result per bug class found).
        #[arg(long, value_name = "FILE")]
        sarif: Option<std::path::PathBuf>,
        /// Also write an HTML page per explored package (its seeds, then the featured run's
        /// swimlanes, steps, wait-for graph, diagnosis and marked source) and an index.html
        /// to DIR (created if missing).
        #[arg(long, value_name = "DIR")]
        html: Option<std::path::PathBuf>,
        /// go test's flags (gorepro moves them here from wherever they were written).
        #[arg(last = true, hide = true)]
        go_test_flags: Vec<String>,
        /// Explore only shard K of N of the seeds (seed v3:s is item s-1, as in nextest's
        /// --partition count:K/N); `gorepro merge` combines the shards' --json lines.
        #[arg(long, value_name = "K/N", conflicts_with = "seed")]
        shard: Option<Shard>,
    },
    /// Reproduce scenarios and diagnose them.
    Run {
        /// Scenario ids.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Every scenario of the catalog.
        #[arg(long)]
        all: bool,
        /// Only this variant (default: both).
        #[arg(long, value_enum)]
        variant: Option<VariantArg>,
        /// Run every variant N times and check the normalized diagnoses agree.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
        /// GOMAXPROCS values to run under, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2", value_parser = clap::value_parser!(u32).range(1..=256))]
        gomaxprocs: Vec<u32>,
        /// Set a parameter: NAME=VALUE (repeatable; one scenario only).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// One JSON object per run on stdout, then a summary line.
        #[arg(long)]
        json: bool,
        /// Run only shard K of N of the runs (scenario, variant, GOMAXPROCS, repeat, in this
        /// order; as nextest's --partition count:K/N); `gorepro merge` combines the shards'
        /// --json lines.
        #[arg(long, value_name = "K/N")]
        shard: Option<Shard>,
    },
    /// Fuzzing against oracles. Tier 2 (default): generated programs checked against the
    /// model, in batches drawn from a seed (batch B of seed S is the same programs on every
    /// machine). Tier 1: the catalog's parameterised scenarios at points drawn from the seed,
    /// checked against their spec's rule.
    Fuzz {
        /// 1: catalog parameters against the spec's rule; 2: generated programs against the
        /// model.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
        tier: u8,
        /// The campaign's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Tier 1: points drawn per parameterised scenario.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        points: u32,
        /// Batches in the campaign.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        batches: u32,
        /// Programs per batch (one build each).
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=4096))]
        programs: u32,
        /// Run each program under a schedule the model picks and expect exactly its end state.
        #[arg(long)]
        forced: bool,
        /// Programs run at the same time.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
        workers: u32,
        /// A JSON line per batch on stdout, then a summary line.
        #[arg(long)]
        json: bool,
        /// Check only shard K of N of the batches (batch b is item b) or, for tier 1, of the
        /// points (in catalog order), as in nextest's --partition count:K/N; `gorepro merge`
        /// combines the shards' --json lines.
        #[arg(long, value_name = "K/N")]
        shard: Option<Shard>,
    },
    /// Reproduce scenarios and write an HTML page per run (swimlane timeline, diagnosis,
    /// explanation, source) plus an index page, all self-contained.
    Report {
        /// Scenario ids.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Every scenario of the catalog.
        #[arg(long)]
        all: bool,
        /// Only this variant (default: both).
        #[arg(long, value_enum)]
        variant: Option<VariantArg>,
        /// GOMAXPROCS of the runs.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
        gomaxprocs: u32,
        /// The directory to write the pages to (created if missing).
        #[arg(long, value_name = "DIR")]
        html: std::path::PathBuf,
    },
}

/// The go test flags, below `gorepro diagnose --help`.
const DIAGNOSE_HELP: &str = "\
go test flags, spelled as for go test, after the packages (or after --):
  -run REGEX     run only the tests, examples and fuzz targets matching REGEX
  -skip REGEX    do not run the tests matching REGEX
  -short         tell long tests to shorten (testing.Short)
  -count N       run each test N times in every run of the test binary
  -v             print the tests' output (on stderr) after each run
  -tags LIST     build tags, comma-separated
  -race          build with the race detector (needs cgo and a C compiler)

Examples:
  gorepro diagnose ./...
  gorepro diagnose ./internal/worker -run '^TestPool' --runs 50
  gorepro diagnose shop/cart shop/inventory -short -count 2
  gorepro diagnose ./cmd/server            (a main package without tests: runs main)";

#[derive(Clone, Copy, ValueEnum)]
enum VariantArg {
    Buggy,
    Fixed,
}

impl From<VariantArg> for Variant {
    fn from(v: VariantArg) -> Variant {
        match v {
            VariantArg::Buggy => Variant::Buggy,
            VariantArg::Fixed => Variant::Fixed,
        }
    }
}

/// How a command that ran ended.
enum Status {
    /// Everything matched; for `diagnose`, no finding.
    Success,
    /// Something did not match; for `diagnose`, a bug reproduced or a test failed.
    Findings,
    /// A signal stopped it early.
    Interrupted(Signal),
    /// For `diagnose`: a package could not be diagnosed; its error was printed as it came.
    Failed,
}

impl From<bool> for Status {
    fn from(success: bool) -> Status {
        if success {
            Status::Success
        } else {
            Status::Findings
        }
    }
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse_from(gorepro::gotest::go_test_flags_last(std::env::args_os()));
    let result = match cli.command {
        TopCommand::Merge {
            files,
            json,
            junit,
            sarif,
        } => merge_command(&files, json, junit.as_deref(), sarif.as_deref()),
        TopCommand::Harness(command) => execute(*command),
    };
    match result {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Findings) => ExitCode::from(1),
        Ok(Status::Interrupted(signal)) => ExitCode::from(interrupt::exit_status(signal as i32)),
        Ok(Status::Failed) => ExitCode::from(2),
        Err(Error::Diagnose(error @ DiagnoseError::Interrupted { signal })) => {
            report::print_interrupted(&error);
            ExitCode::from(interrupt::exit_status(signal as i32))
        }
        Err(error) => {
            report::print_error(&error);
            ExitCode::from(2)
        }
    }
}

/// `gorepro list | head`: a reader that stops reading is not an error, and a standard output
/// that cannot take more (a full disk) is an error, not a crash. `print!` panics when stdout
/// cannot be written (Rust ignores SIGPIPE, and the harness needs that: a dead trace reader's
/// pipe must be an error it handles, not a signal that kills it); that one panic ends the
/// process, quietly and successfully for a closed pipe, as ripgrep does, with a one-line error
/// and status 2 otherwise. Programs that are running then die with their parent.
fn quiet_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        if let Some(cause) = message.strip_prefix("failed printing to stdout: ") {
            if cause.contains("Broken pipe") {
                std::process::exit(0);
            }
            // A full disk or a dead terminal: say so plainly, not as a harness bug.
            eprintln!("gorepro: cannot write to standard output: {cause}");
            std::process::exit(2);
        }
        default_hook(info);
    }));
}

fn write_file(path: &std::path::Path, contents: String) -> Result<(), Error> {
    std::fs::write(path, contents).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// `--junit FILE` and `--sarif FILE` of `diagnose` and `merge`.
fn write_ci_files(
    reports: &[&gorepro::diagnose::DiagnoseReport],
    junit: Option<&std::path::Path>,
    sarif: Option<&std::path::Path>,
) -> Result<(), Error> {
    if let Some(path) = junit {
        write_file(path, report::ci::junit(reports))?;
    }
    if let Some(path) = sarif {
        let log = serde_json::to_string_pretty(&report::ci::sarif(reports))
            .expect("a SARIF value serializes");
        write_file(path, log + "\n")?;
    }
    Ok(())
}

/// `diagnose --html DIR`: a page per explored package and an index.
fn write_diagnose_pages(
    dir: &std::path::Path,
    reports: &[&gorepro::diagnose::DiagnoseReport],
) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut pages: Vec<(&gorepro::diagnose::DiagnoseReport, String)> = Vec::new();
    for &report in reports {
        let taken: Vec<String> = pages.iter().map(|(_, name)| name.clone()).collect();
        let name = report::html::diagnose_page_name(&report.exploration.import_path, &taken);
        let sources = report
            .featured()
            .map(|run| {
                named_sources(
                    std::path::Path::new(&report.exploration.path),
                    &run.diagnosis,
                )
            })
            .unwrap_or_default();
        let path = dir.join(&name);
        write_file(&path, report::html::diagnose_page(report, &sources))?;
        pages.push((report, name));
    }
    // Silent, as --junit and --sarif are: stdout may be JSON lines.
    write_file(
        &dir.join("index.html"),
        report::html::diagnose_index(&pages),
    )
}

/// The user files a diagnosis names, read from the module they belong to: its paths are
/// module-relative, and the module's root is the nearest directory above the package (or
/// file) that holds a go.mod. A file that cannot be read is left out: the page still shows the
/// diagnosis.
fn named_sources(
    package: &std::path::Path,
    diagnosis: &gorepro::Diagnosis,
) -> Vec<report::html::SourceFile> {
    let start = if package.is_file() {
        package.parent().unwrap_or(package)
    } else {
        package
    };
    let root = start
        .ancestors()
        .find(|dir| dir.join("go.mod").is_file())
        .unwrap_or(start);
    report::html::named_files(diagnosis)
        .into_iter()
        .filter_map(|name| {
            let text = std::fs::read_to_string(root.join(&name)).ok()?;
            Some(report::html::SourceFile { name, text })
        })
        .collect()
}

/// `gorepro merge`: needs no Go, so no harness.
fn merge_command(
    files: &[std::path::PathBuf],
    json: bool,
    junit: Option<&std::path::Path>,
    sarif: Option<&std::path::Path>,
) -> Result<Status, Error> {
    let merged = merge::merge_files(files)?;
    let reports: Vec<&gorepro::diagnose::DiagnoseReport> = merged.explorations.iter().collect();
    write_ci_files(&reports, junit, sarif)?;
    for exploration in &merged.explorations {
        report::print_diagnose_report(exploration, json);
    }
    if !merged.explorations.is_empty() {
        // The closing line one `diagnose` process prints over its packages.
        let diagnosed = gorepro::diagnose::Diagnosed {
            packages: merged
                .explorations
                .iter()
                .cloned()
                .map(gorepro::diagnose::PackageResult::Explored)
                .collect(),
            interrupted: None,
        };
        report::print_diagnose_total(&diagnosed, json);
    }
    for summary in &merged.runs {
        if json {
            report::print_run_summary_line(summary);
        } else {
            report::print_run_summary(summary);
        }
    }
    for campaign in &merged.fuzz {
        if json {
            report::print_fuzz_summary(campaign);
        } else {
            report::print_fuzz(campaign);
        }
    }
    for campaign in &merged.points {
        if json {
            report::print_point_summary(campaign);
        } else {
            report::print_points(campaign);
        }
    }
    Ok((!merged.has_findings()).into())
}

/// Runs a command.
fn execute(command: Command) -> Result<Status, Error> {
    let harness = Harness::new(Config::from_env()?)?;
    match command {
        Command::List => {
            report::print_list(&harness.catalog);
            Ok(Status::Success)
        }
        Command::Explain { class_or_scenario } => {
            let class = taxonomy::lookup(&class_or_scenario)
                .or_else(|| {
                    let scenario = harness.catalog.get(&class_or_scenario).ok()?;
                    taxonomy::lookup(scenario.class)
                })
                .ok_or_else(|| Error::UnknownClass(class_or_scenario.clone()))?;
            let mut entries = Vec::new();
            for scenario in harness
                .catalog
                .scenarios
                .iter()
                .filter(|s| s.class == class.id)
            {
                let dir = harness.config.samples_dir().join(&scenario.package);
                let read = |name: &str| {
                    std::fs::read_to_string(dir.join(name)).map_err(|source| Error::Source {
                        path: dir.join(name),
                        source,
                    })
                };
                entries.push(report::ExplainEntry {
                    id: scenario.id.clone(),
                    title: scenario.title.clone(),
                    package: scenario.package.clone(),
                    explanation: scenario.explanation.clone(),
                    fix: scenario.fix.clone(),
                    diff: report::variant_diff(&read("buggy.go")?, &read("fixed.go")?),
                    runtime_shows: report::reviewed_snapshot(
                        &harness.config.root,
                        &scenario.id,
                        Variant::Buggy,
                    ),
                });
            }
            report::print_explain(class, &entries);
            Ok(Status::Success)
        }
        Command::Diagnose {
            packages,
            test,
            runs,
            seed,
            gomaxprocs,
            timeout,
            json,
            junit,
            sarif,
            html,
            go_test_flags,
            shard,
            ignore,
        } => {
            if let Some(regex) = test {
                return Err(Error::Usage(format!(
                    "--test was replaced by go test's own flag: gorepro diagnose {} -run '{regex}'",
                    packages.join(" ")
                )));
            }
            let request = gorepro::diagnose::DiagnoseRequest {
                patterns: packages,
                dir: std::env::current_dir().map_err(|source| Error::Source {
                    path: ".".into(),
                    source,
                })?,
                flags: TestFlags::parse(&go_test_flags).map_err(DiagnoseError::from)?,
                runs,
                seed: seed.as_deref().map(str::parse).transpose()?,
                gomaxprocs,
                env: std::env::vars_os().collect(),
                shard,
                timeout,
                ignore,
            };
            interrupt::install().map_err(|source| Error::Signals { source })?;
            let result = gorepro::diagnose::diagnose(&harness, &request, |event| match event {
                Progress::Starting { command } => report::print_starting(command),
                _ => report::print_diagnose_event(&event, json, shard),
            })?;
            report::print_diagnose_total(&result, json);
            let reports: Vec<&gorepro::diagnose::DiagnoseReport> = result.explored().collect();
            write_ci_files(&reports, junit.as_deref(), sarif.as_deref())?;
            if let Some(dir) = html {
                write_diagnose_pages(&dir, &reports)?;
            }
            Ok(match result.interrupted {
                Some(signal) => Status::Interrupted(signal),
                None if result.failed() > 0 => Status::Failed,
                None => (!result.has_findings()).into(),
            })
        }
        Command::Fuzz {
            tier: 1,
            seed,
            points,
            json,
            shard,
            ..
        } => {
            let campaign = PointCampaign {
                go_version: harness.toolchain.version.to_string(),
                seed,
                points,
            };
            let items = points::items(&harness.catalog, &campaign).len();
            let mine: Vec<usize> = (0..items)
                .filter(|&i| shard.unwrap_or(Shard::WHOLE).takes(i as u64))
                .collect();
            interrupt::install().map_err(|source| Error::Signals { source })?;
            let mut results = Vec::new();
            let interrupted = points::run(&harness, &campaign, &mine, |result| {
                if json {
                    report::print_point_line(&campaign, shard, items, &result);
                }
                report::print_point_progress(&result, items);
                results.push(result);
            })?;
            let result = PointReport {
                campaign,
                shard,
                items,
                planned: mine.len(),
                results,
                interrupted,
            };
            if json {
                report::print_point_summary(&result);
            } else {
                report::print_points(&result);
            }
            Ok(match interrupted {
                Some(signal) => Status::Interrupted(signal),
                None => (result.failures() == 0).into(),
            })
        }
        Command::Fuzz {
            seed,
            batches,
            programs,
            forced,
            workers,
            json,
            shard,
            ..
        } => {
            let campaign = Campaign {
                go_version: harness.toolchain.version.to_string(),
                seed,
                batches,
                programs: programs as usize,
                forced,
            };
            let mine: Vec<u32> = (0..batches)
                .filter(|&b| shard.unwrap_or(Shard::WHOLE).takes(u64::from(b)))
                .collect();
            interrupt::install().map_err(|source| Error::Signals { source })?;
            let started = std::time::Instant::now();
            let mut checked = Vec::new();
            let interrupted = campaign::run(
                &harness,
                &campaign,
                workers as usize,
                mine.clone(),
                |result| {
                    if json {
                        report::print_fuzz_line(&campaign, shard, &result);
                    }
                    report::print_fuzz_progress(&result, checked.len() + 1, mine.len());
                    checked.push(result);
                },
            )?;
            let result = FuzzReport {
                campaign,
                shard,
                planned: mine.len(),
                batches: checked,
                interrupted,
            };
            if json {
                report::print_fuzz_summary(&result);
            } else {
                report::print_fuzz(&result);
            }
            report::print_fuzz_throughput(&result, started.elapsed());
            Ok(match interrupted {
                Some(signal) => Status::Interrupted(signal),
                None => (!result.has_findings()).into(),
            })
        }
        Command::Export { id, dir } => {
            let scenario = harness.catalog.get(&id)?;
            let files = gorepro::export::export(scenario, &harness.config.samples_dir(), &dir)?;
            println!(
                "wrote {} files to {}; try: cd {} && go run ./buggy",
                files.len(),
                dir.display(),
                dir.display()
            );
            Ok(Status::Success)
        }
        Command::Show {
            id,
            variant,
            params,
        } => {
            let scenario = harness.catalog.get(&id)?;
            let params = scenario.params(&params)?;
            let program = harness.program(scenario, variant.into(), &params)?;
            let sources = program.sources().map_err(|source| Error::Source {
                path: program.module_dir.join(&scenario.package),
                source,
            })?;
            for (name, text) in sources {
                println!("// ==== go-samples/{}/{name} ====", scenario.package);
                print!("{text}");
            }
            Ok(Status::Success)
        }
        Command::Report {
            ids,
            all,
            variant,
            gomaxprocs,
            html,
        } => {
            let scenarios: Vec<_> = if all {
                harness.catalog.scenarios.iter().collect()
            } else {
                ids.iter()
                    .map(|id| harness.catalog.get(id))
                    .collect::<Result<_, _>>()?
            };
            let variants: Vec<Variant> = match variant {
                Some(v) => vec![v.into()],
                None => Variant::ALL.to_vec(),
            };
            let write = |path: std::path::PathBuf, text: String| {
                std::fs::write(&path, text).map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
                report::print_written(&path);
                Ok::<(), Error>(())
            };
            std::fs::create_dir_all(&html).map_err(|source| Error::Write {
                path: html.clone(),
                source,
            })?;
            let mut records = Vec::new();
            for scenario in scenarios {
                let params = scenario.params::<&str>(&[])?;
                for &variant in &variants {
                    let options = RunOptions {
                        gomaxprocs,
                        label: "report".into(),
                    };
                    report::print_starting(
                        &harness.replay_command(scenario, variant, &params, &options),
                    );
                    let record = harness.reproduce(scenario, variant, &params, &options)?;
                    let program = harness.program(scenario, variant, &params)?;
                    let sources = program.sources().map_err(|source| Error::Source {
                        path: program.module_dir.join(&scenario.package),
                        source,
                    })?;
                    let sources: Vec<report::html::SourceFile> = sources
                        .into_iter()
                        .filter(|(name, _)| {
                            name != if variant == Variant::Buggy {
                                "fixed.go"
                            } else {
                                "buggy.go"
                            }
                        })
                        .map(|(name, text)| report::html::SourceFile { name, text })
                        .collect();
                    write(
                        html.join(report::html::page_name(&record)),
                        report::html::run_page(
                            &record,
                            &report::html::Story {
                                explanation: &scenario.explanation,
                                fix: &scenario.fix,
                            },
                            &sources,
                        ),
                    )?;
                    records.push(record);
                }
            }
            write(html.join("index.html"), report::html::index_page(&records))?;
            Ok(records.iter().all(|r| r.matches).into())
        }
        Command::Run {
            ids,
            all,
            variant,
            repeat,
            gomaxprocs,
            params,
            json,
            shard,
        } => {
            let scenarios: Vec<_> = if all {
                harness.catalog.scenarios.iter().collect()
            } else {
                ids.iter()
                    .map(|id| harness.catalog.get(id))
                    .collect::<Result<_, _>>()?
            };
            if !params.is_empty() && scenarios.len() != 1 {
                return Err(gorepro::scenario::ScenarioError::ParamSyntax {
                    text: "--param needs exactly one scenario".into(),
                }
                .into());
            }
            let variants: Vec<Variant> = match variant {
                Some(v) => vec![v.into()],
                None => Variant::ALL.to_vec(),
            };
            let detailed = scenarios.len() == 1 && repeat == 1;
            // The unsplit order of the runs; a shard takes every N-th.
            let mut items = Vec::new();
            for scenario in scenarios {
                let params = scenario.params(&params)?;
                for &variant in &variants {
                    for &procs in &gomaxprocs {
                        for index in 0..repeat {
                            items.push((scenario, variant, params.clone(), procs, index));
                        }
                    }
                }
            }
            let plan = shard::plan_key(
                &harness.toolchain.version.to_string(),
                items
                    .iter()
                    .map(|(scenario, variant, params, procs, index)| {
                        format!("{} {variant} {:?} {procs} {index}", scenario.id, params.0)
                    }),
            );
            let mut runs = Vec::new();
            let mut texts = HashMap::new();
            for (item, (scenario, variant, params, procs, index)) in items.iter().enumerate() {
                if !shard.unwrap_or(Shard::WHOLE).takes(item as u64) {
                    continue;
                }
                let options = RunOptions {
                    gomaxprocs: *procs,
                    label: format!("cli{index}"),
                };
                if !json {
                    report::print_starting(
                        &harness.replay_command(scenario, *variant, params, &options),
                    );
                }
                let record = harness.reproduce(scenario, *variant, params, &options)?;
                let normalized =
                    report::render_diagnosis(&record.scenario, *variant, params, &record.diagnosis);
                let signature = merge::signature(&normalized);
                if json {
                    report::print_run_line(
                        &record,
                        &RunPlace {
                            shard,
                            plan: &plan,
                            item,
                            items: items.len(),
                            repeat: *index,
                            signature: &signature,
                            normalized: &normalized,
                        },
                    );
                } else {
                    report::print_human(&record, detailed);
                }
                runs.push(RunItem {
                    item,
                    scenario: record.scenario.clone(),
                    variant: *variant,
                    gomaxprocs: *procs,
                    repeat: *index,
                    matches: record.matches,
                    mismatches: record.mismatches.clone(),
                    signature: signature.clone(),
                    block_to_verdict: record.timings.verdict.map(|l| l.block_to_verdict),
                    replay: record.replay.clone(),
                });
                texts.entry(signature).or_insert(normalized);
            }
            let summary = RunSummary::of(&plan, items.len(), shard, &runs, &texts);
            if json {
                report::print_run_summary_line(&summary);
            } else if summary.rows.len() > 1 || repeat > 1 || !summary.divergences.is_empty() {
                report::print_run_summary(&summary);
            }
            Ok(summary.ok().into())
        }
    }
}
