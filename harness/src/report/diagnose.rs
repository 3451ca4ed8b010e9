//! What `gorepro diagnose` prints: the exploration summary (bug-hit rate, first reproducing
//! seed, one line per seed), the diagnosis of the featured run, and the replay command.

use std::fmt::Write as _;

use crate::diagnose::DiagnoseReport;
use crate::scenario::{Params, Variant};

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

/// The report for people.
pub fn render_diagnose(report: &DiagnoseReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "diagnose {} (package {}, {} mode, {} scheduling points, {}, GOMAXPROCS={})",
        report.path,
        report.package,
        report.mode,
        report.sites,
        report.go_version,
        report.gomaxprocs
    );
    let runs = report.runs.len();
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
        let _ = writeln!(
            out,
            "  seed {:<8} {:<9} {:<32} run {:.1} ms{verdict}",
            run.seed.to_string(),
            run.diagnosis.outcome.as_str(),
            run.diagnosis.class.unwrap_or("-"),
            run.wall.as_secs_f64() * 1e3
        );
    }
    if let Some(run) = report.featured() {
        let _ = writeln!(out, "diagnosis (seed {}):", run.seed);
        for line in render_diagnose_diagnosis(&run.diagnosis).lines() {
            let _ = writeln!(out, "  {line}");
        }
        for failure in &run.test_failures {
            let _ = writeln!(out, "  test: {failure}");
        }
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
                    "  (seed {} replayed {}/{} times with the same diagnosis{})",
                    replay.seed,
                    replay.same,
                    replay.checked,
                    if replay.same < replay.checked {
                        "; it also depends on timing the seed does not fix"
                    } else {
                        ""
                    }
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "no seed reproduced a bug; try more seeds (--runs) or other GOMAXPROCS"
            );
        }
    }
    out
}

pub fn print_diagnose(report: &DiagnoseReport) {
    print!("{}", render_diagnose(report));
}

pub fn print_diagnose_json(report: &DiagnoseReport) {
    match serde_json::to_string(report) {
        Ok(json) => println!("{json}"),
        Err(err) => eprintln!("gorepro: cannot encode the diagnose report: {err}"),
    }
}
