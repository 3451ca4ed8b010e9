//! The `gorepro` command line: list the catalog, show a scenario's Go source, and reproduce
//! scenarios. Exit status: 0 when every diagnosis matches its expectation (and repeats agree),
//! 1 when one does not (for `diagnose`: 0 when no run reproduced a bug, 1 when one did), 2 for
//! usage or harness errors.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use gorepro::classify::taxonomy;
use gorepro::report::{self, SummaryRow};
use gorepro::scenario::Variant;
use gorepro::{Config, Error, Harness, RunOptions};

#[derive(Parser)]
#[command(
    name = "gorepro",
    version,
    about = "Reproduce Go concurrency bugs and diagnose them from runtime evidence"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

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
    /// Diagnose your own Go code: a package directory (a main package or a package with
    /// tests) or a single .go file. Your files are never modified.
    Diagnose {
        path: std::path::PathBuf,
        /// Run the tests matching this regex (go test -run syntax), also in a main package.
        #[arg(long)]
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
        /// The report as one JSON object on stdout.
        #[arg(long)]
        json: bool,
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
        /// One JSON object per run on stdout.
        #[arg(long)]
        json: bool,
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

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            report::print_error(&error);
            ExitCode::from(2)
        }
    }
}

/// `gorepro list | head`: a reader that stops reading is not an error. `print!` panics when
/// stdout is a closed pipe (Rust ignores SIGPIPE, and the harness needs that: a dead trace
/// reader's pipe must be an error it handles, not a signal that kills it); that one panic ends
/// the process quietly and successfully, as ripgrep does. No program is running then: runs
/// print only before they start and after they are reaped.
fn quiet_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
}

/// Runs a command; `Ok(false)` means it ran but something did not match.
fn execute(command: Command) -> Result<bool, Error> {
    let harness = Harness::new(Config::from_env()?)?;
    match command {
        Command::List => {
            report::print_list(&harness.catalog);
            Ok(true)
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
            Ok(true)
        }
        Command::Diagnose {
            path,
            test,
            runs,
            seed,
            gomaxprocs,
            timeout,
            json,
        } => {
            let request = gorepro::diagnose::DiagnoseRequest {
                path,
                test,
                runs,
                seed: seed.as_deref().map(str::parse).transpose()?,
                gomaxprocs,
                timeout,
            };
            let result = gorepro::diagnose::diagnose(&harness, &request, report::print_starting)?;
            if json {
                report::print_diagnose_json(&result);
            } else {
                report::print_diagnose(&result);
            }
            Ok(result.hits == 0)
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
            Ok(true)
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
            Ok(true)
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
            Ok(records.iter().all(|r| r.matches))
        }
        Command::Run {
            ids,
            all,
            variant,
            repeat,
            gomaxprocs,
            params,
            json,
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
            let mut all_ok = true;
            let mut rows = Vec::new();
            for scenario in scenarios {
                let params = scenario.params(&params)?;
                for &variant in &variants {
                    let mut matched = 0;
                    let mut diagnoses: BTreeMap<String, usize> = BTreeMap::new();
                    let mut latencies = Vec::new();
                    let mut runs = 0;
                    for &procs in &gomaxprocs {
                        for index in 0..repeat {
                            let options = RunOptions {
                                gomaxprocs: procs,
                                label: format!("cli{index}"),
                            };
                            if !json {
                                report::print_starting(
                                    &harness.replay_command(scenario, variant, &params, &options),
                                );
                            }
                            let record = harness.reproduce(scenario, variant, &params, &options)?;
                            runs += 1;
                            matched += usize::from(record.matches);
                            *diagnoses
                                .entry(report::render_diagnosis(
                                    &record.scenario,
                                    variant,
                                    &params,
                                    &record.diagnosis,
                                ))
                                .or_default() += 1;
                            latencies.extend(record.timings.verdict.map(|l| l.block_to_verdict));
                            if json {
                                report::print_json(&record);
                            } else {
                                report::print_human(&record, detailed);
                            }
                        }
                    }
                    all_ok &= matched == runs && diagnoses.len() == 1;
                    latencies.sort();
                    rows.push(SummaryRow {
                        scenario: scenario.id.clone(),
                        variant,
                        runs,
                        matched,
                        distinct_diagnoses: diagnoses.len(),
                        median_latency: latencies.get(latencies.len() / 2).copied(),
                    });
                    if diagnoses.len() > 1 && !json {
                        println!(
                            "DIVERGED {} ({variant}): {} distinct normalized diagnoses:",
                            scenario.id,
                            diagnoses.len()
                        );
                        for (text, count) in &diagnoses {
                            println!("--- {count} run(s):\n{text}");
                        }
                    }
                }
            }
            if !json && (rows.len() > 1 || repeat > 1) {
                report::print_summary(&rows);
            }
            Ok(all_ok)
        }
    }
}
