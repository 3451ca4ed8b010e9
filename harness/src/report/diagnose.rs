//! What `gorepro diagnose` prints. As runs finish: a progress line per run on stderr, or with
//! `--json` a JSON line per run on stdout. As each package ends: its report (bug-hit rate,
//! first reproducing seed, one line per seed, failing tests, the diagnosis of the featured run,
//! the replay command), or with `--json` its summary line; a skipped package gets go test's
//! `?` line. At the very end: a total over the packages. Every JSON line is flushed as it is
//! written; the schema is in the README.

use std::fmt::Write as _;
use std::io::Write as _;

use serde::Serialize;

use crate::diagnose::{
    ClassCount, DiagnoseReport, Diagnosed, Exploration, Progress, Replay, ReplayCheck, Seed,
    SeedRun, SkipReason, Skipped, TestCount, as_millis,
};
use crate::scenario::{Params, Variant};
use crate::shard::Shard;
use crate::vocabulary::Outcome;

/// The featured diagnosis without the scenario header of [`super::render_diagnosis`].
pub fn render_diagnose_diagnosis(diagnosis: &crate::Diagnosis) -> String {
    super::render_diagnosis("", Variant::Buggy, &Params::default(), diagnosis)
        .lines()
        .filter(|l| !l.starts_with("scenario: "))
        .fold(String::new(), |mut out, l| {
            let _ = writeln!(out, "{l}");
            out
        })
}

/// `deadlock mutex.double-lock`, `clean`.
fn outcome_and_class(run: &SeedRun) -> String {
    match run.diagnosis.class {
        Some(class) => format!("{} {class}", run.diagnosis.outcome.as_str()),
        None => run.diagnosis.outcome.as_str().to_string(),
    }
}

/// Which tests failed in a run, in a few words (each once, also under `-count`).
fn failed_tests(run: &SeedRun) -> String {
    if !run.failed_tests.is_empty() {
        let mut names: Vec<&str> = Vec::new();
        for test in &run.failed_tests {
            if !names.contains(&test.name.as_str()) {
                names.push(&test.name);
            }
        }
        return names.join(", ");
    }
    match run.tests_exit_status {
        Some(status) => format!("tests exit status {status}"),
        None => "the test binary panicked".into(),
    }
}

/// The line printed on stderr as a run finishes: `seed v3:3/10  reproduced  deadlock
/// mutex.double-lock  41 ms`. `None` for the line before a run starts (see
/// [`super::print_starting`]).
pub fn render_diagnose_progress(event: &Progress<'_>) -> Option<String> {
    let (label, run) = match event {
        Progress::Preparing { target } => {
            return Some(format!(
                "package {} ({})",
                target.import_path,
                target.path.display()
            ));
        }
        Progress::Starting { .. }
        | Progress::Skipped { .. }
        | Progress::Failed { .. }
        | Progress::Finished { .. } => return None,
        Progress::Explored { run, planned, .. } => (
            match planned {
                Some(planned) => format!("seed {}/{planned}", run.seed),
                None => format!("seed {}", run.seed),
            },
            run,
        ),
        Progress::Replayed { run, check, .. } => (
            format!(
                "replay {} {}/{}  {} diagnosis",
                run.seed,
                check.check,
                check.of,
                if check.same { "same" } else { "different" }
            ),
            run,
        ),
    };
    // A run that did not reproduce a bug is clean, or only failed its tests.
    let what = match (run.reproduced, run.tests_failed) {
        (true, false) => format!("reproduced  {}", outcome_and_class(run)),
        (true, true) => format!(
            "reproduced  {}; tests failed: {}",
            outcome_and_class(run),
            failed_tests(run)
        ),
        (false, true) if run.diagnosis.outcome != Outcome::Clean => format!(
            "tests failed  {}; {}",
            failed_tests(run),
            outcome_and_class(run)
        ),
        (false, true) => format!("tests failed  {}", failed_tests(run)),
        (false, false) if run.predicted() => "clean  potential lock-order inversion".to_string(),
        (false, false) => "clean".to_string(),
    };
    let leakers: Vec<&str> = run.leaks.iter().map(|l| l.test.as_str()).collect();
    let leaked = if !leakers.is_empty() {
        format!("; leaked by {}", leakers.join(", "))
    } else if let Some(tests) = run.stuck_in_tests() {
        format!("; in {tests}")
    } else {
        String::new()
    };
    Some(format!(
        "{label}  {what}{leaked}  {:.0} ms",
        run.wall.as_secs_f64() * 1e3
    ))
}

/// The featured run's leaks by test (or the tests it was stuck in) and ignored goroutines,
/// under its diagnosis.
fn render_leaks_and_ignored(out: &mut String, run: &SeedRun) {
    if let Some(tests) = run.stuck_in_tests() {
        let plural = if run.running_tests.len() == 1 {
            ""
        } else {
            "s"
        };
        let _ = writeln!(
            out,
            "  in test{plural}: {tests} (started and not ended at the verdict)"
        );
    }
    for leak in &run.leaks {
        let _ = writeln!(
            out,
            "  leaked by {} ({} goroutine{}):",
            leak.test,
            leak.count,
            if leak.count == 1 { "" } else { "s" }
        );
        for g in &leak.goroutines {
            let mut line = format!("    {} [{}]", g.name, g.state);
            if let Some(function) = &g.function {
                line += &format!(" in {function}");
            }
            if let Some(at) = &g.at {
                line += &format!(" at {at}");
            }
            let _ = writeln!(out, "{line}");
        }
        if leak.count > leak.goroutines.len() {
            let _ = writeln!(
                out,
                "    ... and {} more",
                leak.count - leak.goroutines.len()
            );
        }
    }
    if run.ignored_goroutines > 0 {
        let _ = writeln!(
            out,
            "  ignored: {} goroutine(s) expected to stay (the ignore rules, the standard library's own)",
            run.ignored_goroutines
        );
    }
}

/// One JSON line per run: `kind` `seed` (an exploring run) or `replay` (a replay check).
#[derive(Serialize)]
struct RunLine<'a> {
    kind: &'static str,
    #[serde(flatten)]
    exploration: &'a Exploration,
    /// The share of the seeds this process explored (`null`: all of them).
    shard: Option<Shard>,
    seed: Seed,
    /// `null` on a `seed` line.
    replay: Option<ReplayCheck>,
    outcome: Outcome,
    class: Option<&'static str>,
    #[serde(flatten)]
    run: &'a SeedRun,
}

/// The last JSON line.
#[derive(Serialize)]
struct SummaryLine<'a> {
    kind: &'static str,
    #[serde(flatten)]
    exploration: &'a Exploration,
    shard: Option<Shard>,
    sites: usize,
    #[serde(serialize_with = "as_millis")]
    build_ms: std::time::Duration,
    notes: &'a [String],
    planned: usize,
    planned_all: usize,
    runs: usize,
    hits: usize,
    first_reproducing: Option<Seed>,
    replay: Option<&'a Replay>,
    classes: &'a [ClassCount],
    test_failures: usize,
    failed_tests: &'a [TestCount],
    first_failing: Option<Seed>,
    /// Runs whose lock order showed a potential inversion without blocking.
    predicted_inversions: usize,
    interrupted: bool,
    signal: Option<&'static str>,
}

/// The JSON line of a finished run of `shard`; `None` for the line before a run starts.
pub fn render_diagnose_line(event: &Progress<'_>, shard: Option<Shard>) -> Option<String> {
    let line = match *event {
        Progress::Starting { .. } | Progress::Preparing { .. } => return None,
        Progress::Skipped { skipped } => {
            return Some(to_json(&SkippedLine {
                kind: "skipped",
                skipped,
            }));
        }
        Progress::Failed { target, error } => {
            return Some(to_json(&ErrorLine {
                kind: "error",
                path: target.path.display().to_string(),
                import_path: &target.import_path,
                error: super::error_chain(error),
            }));
        }
        Progress::Finished { report } => return Some(render_diagnose_summary(report)),
        Progress::Explored {
            exploration, run, ..
        } => RunLine {
            kind: "seed",
            exploration,
            shard,
            seed: run.seed,
            replay: None,
            outcome: run.diagnosis.outcome,
            class: run.diagnosis.class,
            run,
        },
        Progress::Replayed {
            exploration,
            run,
            check,
        } => RunLine {
            kind: "replay",
            exploration,
            shard,
            seed: run.seed,
            replay: Some(check),
            outcome: run.diagnosis.outcome,
            class: run.diagnosis.class,
            run,
        },
    };
    Some(to_json(&line))
}

/// The JSON line of a package skipped as go test skips it.
#[derive(Serialize)]
struct SkippedLine<'a> {
    kind: &'static str,
    #[serde(flatten)]
    skipped: &'a Skipped,
}

/// The JSON line of a package that could not be diagnosed.
#[derive(Serialize)]
struct ErrorLine<'a> {
    kind: &'static str,
    path: String,
    import_path: &'a str,
    error: String,
}

/// The last JSON line: the packages summed up.
#[derive(Serialize)]
struct TotalLine<'a> {
    kind: &'static str,
    packages: usize,
    explored: usize,
    /// Packages where a bug reproduced or a test failed.
    with_findings: usize,
    /// Their import paths.
    findings_in: Vec<&'a str>,
    skipped: usize,
    /// Packages that could not be diagnosed (they do not build, go cannot load them).
    failed: usize,
    /// Failing tests over every package, each counted once.
    failing_tests: usize,
    interrupted: bool,
    signal: Option<&'static str>,
}

/// The summary line of a package (`--json`).
pub fn render_diagnose_summary(report: &DiagnoseReport) -> String {
    to_json(&SummaryLine {
        kind: "summary",
        exploration: &report.exploration,
        shard: report.shard,
        sites: report.sites,
        build_ms: report.build_time,
        notes: &report.notes,
        planned: report.planned,
        planned_all: report.planned_all,
        runs: report.runs.len(),
        hits: report.hits,
        first_reproducing: report.first_reproducing,
        replay: report.replay.as_ref(),
        classes: &report.classes,
        test_failures: report.test_failures,
        failed_tests: &report.failed_tests,
        first_failing: report.first_failing,
        predicted_inversions: report.predicted(),
        interrupted: report.interrupted.is_some(),
        signal: report.interrupted.map(|s| s.as_str()),
    })
}

fn to_json(value: &impl Serialize) -> String {
    // Plain data with string keys: encoding cannot fail.
    serde_json::to_string(value).unwrap_or_else(|e| {
        serde_json::json!({ "kind": "error", "error": e.to_string() }).to_string()
    })
}

/// Prints a line on stdout and flushes it, so a reader sees it as soon as the run is done.
fn print_flushed(line: &str) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

/// Prints what `gorepro diagnose` says as it goes (all but the replay command before a run,
/// [`super::print_starting`]): progress on stderr and, as each package ends, its report, its
/// `?` line or its error; with `json`, JSON lines on stdout instead of the progress and the
/// reports. Under `-v`, each run's test output goes to stderr first.
pub fn print_diagnose_event(event: &Progress<'_>, json: bool, shard: Option<Shard>) {
    if let Progress::Explored { run, .. } | Progress::Replayed { run, .. } = event
        && let Some(output) = &run.test_output
    {
        eprint!("{output}");
    }
    if let Progress::Failed { error, .. } = event {
        super::print_error(*error);
    }
    if json {
        if let Some(line) = render_diagnose_line(event, shard) {
            print_flushed(&line);
        }
        return;
    }
    match event {
        Progress::Finished { report } => print_flushed(render_diagnose(report).trim_end()),
        Progress::Skipped { skipped } => print_flushed(&render_skipped(skipped)),
        Progress::Failed { target, .. } => print_flushed(&format!(
            "FAIL {} [could not be diagnosed: the error is on stderr]",
            target.import_path
        )),
        _ => {
            if let Some(line) = render_diagnose_progress(event) {
                eprintln!("{line}");
            }
        }
    }
}

/// go test's line for a skipped package, with what it held instead of tests.
pub fn render_skipped(skipped: &Skipped) -> String {
    let why = match &skipped.reason {
        SkipReason::NoTestFiles => "no test files".to_string(),
        SkipReason::NothingToRun {
            benchmarks,
            silent_examples,
        } => {
            let mut why = "no tests to run".to_string();
            if !benchmarks.is_empty() {
                let _ = write!(
                    why,
                    "; benchmarks not run (go test runs them only with -bench): {}",
                    benchmarks.join(", ")
                );
            }
            if !silent_examples.is_empty() {
                let _ = write!(
                    why,
                    "; examples without an output comment, never run: {}",
                    silent_examples.join(", ")
                );
            }
            why
        }
        SkipReason::NoneSelected { tests } => format!(
            "no tests to run: the flags select none of {}",
            tests.join(", ")
        ),
    };
    format!("?   {} [{why}]", skipped.import_path)
}

/// The total over the packages: the last thing `gorepro diagnose` prints.
pub fn render_diagnose_total(diagnosed: &Diagnosed, json: bool) -> String {
    let findings_in: Vec<&str> = diagnosed
        .explored()
        .filter(|r| r.has_findings())
        .map(|r| r.exploration.import_path.as_str())
        .collect();
    let explored = diagnosed.explored().count();
    let skipped = diagnosed.skipped().count();
    let failed = diagnosed.failed();
    let failing_tests = diagnosed.failing_tests();
    if json {
        return to_json(&TotalLine {
            kind: "total",
            packages: diagnosed.packages.len(),
            explored,
            with_findings: findings_in.len(),
            skipped,
            failed,
            failing_tests,
            interrupted: diagnosed.interrupted.is_some(),
            signal: diagnosed.interrupted.map(|s| s.as_str()),
            findings_in,
        });
    }
    let packages = diagnosed.packages.len();
    let mut out = format!(
        "total: {packages} package{}: {} with findings{}, {} clean, {skipped} skipped",
        if packages == 1 { "" } else { "s" },
        findings_in.len(),
        if findings_in.is_empty() {
            String::new()
        } else {
            format!(" ({})", findings_in.join(", "))
        },
        explored - findings_in.len(),
    );
    if failed > 0 {
        let _ = write!(out, ", {failed} could not be diagnosed");
    }
    let _ = write!(
        out,
        "; {failing_tests} failing test{}",
        if failing_tests == 1 { "" } else { "s" }
    );
    if let Some(signal) = diagnosed.interrupted {
        let _ = write!(out, "; interrupted by {}", signal.as_str());
    }
    out
}

pub fn print_diagnose_total(diagnosed: &Diagnosed, json: bool) {
    print_flushed(&render_diagnose_total(diagnosed, json));
}

/// Prints one exploration's end as `gorepro merge` rebuilt it: its report, or with `json` its
/// summary line.
pub fn print_diagnose_report(report: &DiagnoseReport, json: bool) {
    if json {
        print_flushed(&render_diagnose_summary(report));
    } else {
        print_flushed(render_diagnose(report).trim_end());
    }
}

/// The report for people.
pub fn render_diagnose(report: &DiagnoseReport) -> String {
    let mut out = String::new();
    let exploration = &report.exploration;
    let _ = writeln!(
        out,
        "diagnose {} ({}: package {}, {} mode, {} scheduling points, {}, GOMAXPROCS={}{}{})",
        exploration.path,
        exploration.import_path,
        exploration.package,
        exploration.mode,
        report.sites,
        exploration.go_version,
        exploration.gomaxprocs,
        if exploration.test_flags.is_empty() {
            ""
        } else {
            ", "
        },
        exploration.test_flags.join(" ")
    );
    let runs = report.runs.len();
    if let Some(shard) = report.shard {
        let first: Vec<String> = (0..3)
            .map(|i| shard.index + i * shard.count)
            .filter(|&value| value as usize <= report.planned_all)
            .map(|value| format!("v{}:{value}", exploration.schedule_version))
            .collect();
        let more = if report.planned > first.len() {
            ", ..."
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "shard {shard}: {} of the {} seeds ({}{more}); `gorepro merge` combines the shards' --json lines",
            report.planned,
            report.planned_all,
            first.join(", "),
        );
    }
    if let Some(signal) = report.interrupted {
        let _ = writeln!(
            out,
            "interrupted by {} after {runs} of {} seeds: this report covers the runs that finished",
            signal.as_str(),
            report.planned
        );
    }
    let _ = writeln!(
        out,
        "bug hit rate: {}/{runs} runs ({:.0}%); first reproducing seed: {}",
        report.hits,
        100.0 * report.hits as f64 / runs.max(1) as f64,
        report
            .first_reproducing
            .map_or("none".to_string(), |s| s.to_string())
    );
    for run in &report.runs {
        let verdict = run
            .block_to_verdict
            .map(|l| {
                format!(
                    ", verdict {:.1} ms after the block",
                    l.block_to_verdict.as_secs_f64() * 1e3
                )
            })
            .unwrap_or_default();
        let tests = if run.tests_failed {
            format!("; tests failed: {}", failed_tests(run))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  seed {:<8} {:<9} {:<32} run {:.1} ms{verdict}{tests}",
            run.seed.to_string(),
            run.diagnosis.outcome.as_str(),
            run.diagnosis.class.unwrap_or("-"),
            run.wall.as_secs_f64() * 1e3
        );
    }
    if report.classes.len() > 1 {
        let seen: Vec<String> = report
            .classes
            .iter()
            .map(|c| {
                let what = match c.class {
                    Some(class) => format!("{} {class}", c.outcome.as_str()),
                    None => c.outcome.as_str().to_string(),
                };
                format!("{what} ({}/{runs})", c.runs)
            })
            .collect();
        let _ = writeln!(out, "the seeds disagree: {}", seen.join(", "));
    }
    if report.test_failures > 0 {
        let names: Vec<String> = report
            .failed_tests
            .iter()
            .map(|t| format!("{} ({}/{runs})", t.name, t.runs))
            .collect();
        let _ = writeln!(
            out,
            "tests failed in {}/{runs} runs{}{}",
            report.test_failures,
            if names.is_empty() { "" } else { ": " },
            names.join(", ")
        );
    }
    let predicted = report.predicted();
    if predicted > 0 {
        let _ = writeln!(
            out,
            "potential lock-order inversion in {predicted}/{runs} runs that did not block: \
             a finding of its own (exit status 1), not a reproduction"
        );
    }
    if let Some(run) = report.featured() {
        let _ = writeln!(out, "diagnosis (seed {}):", run.seed);
        for line in run.normalized.lines() {
            let _ = writeln!(out, "  {line}");
        }
        for test in &run.failed_tests {
            let colon = if test.log.is_empty() { "" } else { ":" };
            let _ = writeln!(out, "  failed test {}{colon}", test.name);
            for line in &test.log {
                let _ = writeln!(out, "    {line}");
            }
        }
        if run.tests_failed && run.failed_tests.is_empty() {
            let _ = writeln!(out, "  tests failed: {}", failed_tests(run));
        }
        render_leaks_and_ignored(&mut out, run);
        let _ = writeln!(out, "  evidence files: {}", run.evidence_dir);
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    match &report.replay {
        Some(replay) => {
            let _ = writeln!(out, "replay: {}", replay.command);
            if replay.checked > 0 {
                let _ = writeln!(
                    out,
                    "  (seed {} replayed {}/{} times with the same diagnosis{}{})",
                    replay.seed,
                    replay.same,
                    replay.checked,
                    if replay.same < replay.checked {
                        "; it also depends on timing the seed does not fix"
                    } else {
                        ""
                    },
                    if replay.budget_spent {
                        "; no more replays than exploring runs"
                    } else {
                        ""
                    }
                );
            }
        }
        None if report.hits > 0 => {
            let _ = writeln!(
                out,
                "a seed reproduced a bug, but the exploration was interrupted before its replay was checked"
            );
        }
        None => match report.first_failing {
            Some(seed) => {
                let _ = writeln!(
                    out,
                    "no seed reproduced a concurrency bug, but tests failed (first under seed {seed}): a failing test is a finding of its own"
                );
            }
            None if predicted > 0 => {
                let _ = writeln!(
                    out,
                    "no seed reproduced a bug, but the lock order shows an inversion that can \
                     deadlock under another timing: take the locks in one order"
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "no seed reproduced a bug; try more seeds (--runs) or other GOMAXPROCS"
                );
            }
        },
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::tests::sample_run;

    fn exploration() -> Exploration {
        Exploration {
            path: "/src/myservice/lock".into(),
            package: "lock".into(),
            import_path: "myservice/lock".into(),
            mode: "test".into(),
            test: None,
            test_flags: vec![],
            go_version: "go1.26.8".into(),
            gomaxprocs: 2,
            schedule_version: 2,
            build: "0123456789abcdef".into(),
        }
    }

    #[test]
    fn progress_lines_say_what_each_run_found() {
        let exploration = exploration();
        let line = |run: &SeedRun, planned| {
            render_diagnose_progress(&Progress::Explored {
                exploration: &exploration,
                run,
                planned,
            })
            .unwrap()
        };
        let bug = sample_run(3, Outcome::Deadlock, Some("mutex.double-lock"), &[]);
        assert_eq!(
            line(&bug, Some(10)),
            "seed v3:3/10  reproduced  deadlock mutex.double-lock  41 ms"
        );
        let mut leak = sample_run(4, Outcome::Leak, Some("chan.send-no-receiver"), &[]);
        leak.leaks = ["TestCache", "TestPool"]
            .map(|test| crate::leaks::TestLeak {
                test: test.into(),
                count: 1,
                goroutines: Vec::new(),
            })
            .to_vec();
        assert_eq!(
            line(&leak, Some(10)),
            "seed v3:4/10  reproduced  leak chan.send-no-receiver; leaked by TestCache, TestPool  41 ms"
        );
        assert_eq!(
            line(&sample_run(7, Outcome::Clean, None, &[]), None),
            "seed v3:7  clean  41 ms"
        );
        assert_eq!(
            line(&sample_run(1, Outcome::Clean, None, &["TestA"]), Some(2)),
            "seed v3:1/2  tests failed  TestA  41 ms"
        );
        let mut panicked = sample_run(2, Outcome::Panic, Some("runtime.panic"), &["TestPop"]);
        panicked.reproduced = false;
        assert_eq!(
            line(&panicked, Some(2)),
            "seed v3:2/2  tests failed  TestPop; panic runtime.panic  41 ms"
        );
        let replayed = render_diagnose_progress(&Progress::Replayed {
            exploration: &exploration,
            run: &bug,
            check: ReplayCheck {
                check: 1,
                of: 2,
                same: false,
            },
        });
        assert_eq!(
            replayed.as_deref(),
            Some(
                "replay v3:3 1/2  different diagnosis  reproduced  deadlock mutex.double-lock  41 ms"
            )
        );
        assert!(render_diagnose_progress(&Progress::Starting { command: "x" }).is_none());
    }

    #[test]
    fn json_lines_carry_kind_identity_and_seed() {
        let exploration = exploration();
        let run = sample_run(3, Outcome::Clean, None, &["TestA"]);
        let line = render_diagnose_line(
            &Progress::Replayed {
                exploration: &exploration,
                run: &run,
                check: ReplayCheck {
                    check: 2,
                    of: 2,
                    same: true,
                },
            },
            Some(Shard { index: 2, count: 4 }),
        )
        .unwrap();
        assert!(!line.contains('\n'), "{line}");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["kind"], "replay");
        assert_eq!(value["seed"], "v3:3");
        assert_eq!(value["replay"]["check"], 2);
        assert_eq!(value["path"], "/src/myservice/lock");
        assert_eq!(value["schedule_version"], 2);
        assert_eq!(value["outcome"], "clean");
        assert_eq!(value["failed_tests"][0]["name"], "TestA");
        assert_eq!(value["tests_exit_status"], 1);
        assert_eq!(value["diagnosis"]["outcome"], "clean");
        assert_eq!(value["shard"], "2/4");
        assert_eq!(value["normalized"], run.normalized.as_str());
        assert_eq!(
            value["command"],
            "gorepro diagnose /src --seed v3:3 --gomaxprocs 2"
        );
    }
}
