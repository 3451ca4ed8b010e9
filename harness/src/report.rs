//! Reports: the normalized text of a diagnosis (what snapshots hold), the JSON record of a
//! run, and every line the CLI prints. Nothing else in the crate writes to the terminal.
//! [`html`] renders the same records as web pages, [`ci`] `diagnose` results as JUnit XML and
//! SARIF.

pub mod ci;
pub mod html;

mod diagnose;
mod fuzz;
mod timeline;
pub use diagnose::{
    print_diagnose_event, print_diagnose_report, print_diagnose_total, render_diagnose,
    render_diagnose_diagnosis, render_diagnose_line, render_diagnose_progress,
    render_diagnose_summary, render_diagnose_total, render_skipped,
};
pub use fuzz::{
    print_fuzz, print_fuzz_line, print_fuzz_progress, print_fuzz_summary, print_fuzz_throughput,
    print_point_line, print_point_progress, print_point_summary, print_points, render_fuzz,
    render_fuzz_line, render_fuzz_progress, render_fuzz_summary, render_point_line,
    render_point_summary, render_points,
};
pub use timeline::{TABLE_WIDTH, lanes_by_priority, render_timeline};

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::classify::{Diagnosis, Latency};
use crate::evidence::world::name_list;
use crate::merge::RunSummary;
use crate::scenario::{Params, Variant};
use crate::shard::Shard;
use crate::vocabulary::Outcome;

/// One reproduced run: what was expected, what was diagnosed, and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub scenario: String,
    pub variant: Variant,
    pub params: Params,
    pub gomaxprocs: u32,
    pub go_version: String,
    pub expected_outcome: Outcome,
    pub expected_class: Option<&'static str>,
    pub observed_outcome: Outcome,
    pub observed_class: Option<&'static str>,
    /// Whether the diagnosis meets the spec's expectation.
    pub matches: bool,
    /// Why it does not, one line each.
    pub mismatches: Vec<String>,
    pub diagnosis: Diagnosis,
    pub timings: Timings,
    pub evidence_dir: String,
    /// A command that runs exactly this again.
    pub replay: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timings {
    #[serde(rename = "build_ms", serialize_with = "as_millis")]
    pub build: Duration,
    pub build_cached: bool,
    /// The program's wall time, start to exit.
    #[serde(rename = "run_ms", serialize_with = "as_millis")]
    pub run: Duration,
    /// Reading the evidence (including `go tool trace`) and classifying it.
    #[serde(rename = "evidence_ms", serialize_with = "as_millis")]
    pub evidence: Duration,
    /// Block to verdict, for deadlocks and leaks.
    pub verdict: Option<Latency>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

/// The normalized, human-readable diagnosis: deterministic for a scenario variant, so it is
/// what snapshots hold. No ids, addresses, timings, runtime lines or temp paths.
pub fn render_diagnosis(
    scenario: &str,
    variant: Variant,
    params: &Params,
    diagnosis: &Diagnosis,
) -> String {
    let mut out = String::new();
    let params_text: Vec<String> = params.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "scenario: {scenario} ({variant})");
    if !params_text.is_empty() {
        let _ = writeln!(out, "params:   {}", params_text.join(" "));
    }
    let _ = writeln!(out, "outcome:  {}", diagnosis.outcome);
    let _ = writeln!(out, "class:    {}", diagnosis.class.unwrap_or("-"));
    if !diagnosis.stuck.is_empty() {
        let _ = writeln!(out, "stuck:");
        for group in &diagnosis.stuck {
            let mut line = format!("  {} [{}]", name_list(&group.goroutines, " "), group.wait);
            if group.leaked {
                line.push_str(" (leaked)");
            }
            if let Some(at) = &group.at {
                let _ = write!(line, " at {at}");
            }
            if let Some(function) = &group.function {
                let _ = write!(line, " in {function}");
            }
            if let Some(inside) = &group.inside {
                let _ = write!(line, " (inside {inside})");
            }
            if let Some(started_in) = &group.started_in {
                let _ = write!(line, ", started in {started_in}");
            }
            if let Some(created) = &group.created_by {
                let _ = write!(line, ", created by {created}");
            }
            let _ = writeln!(out, "{line}");
        }
    }
    if let Some(failure) = &diagnosis.failure {
        let _ = writeln!(
            out,
            "failure:  {} [{}]: {}",
            failure.kind,
            failure.id,
            failure.message.replace('\n', "\n          ")
        );
        match (&failure.goroutine, &failure.at) {
            (Some(goroutine), Some(at)) => {
                let _ = writeln!(out, "          in {goroutine} at {at}");
            }
            (None, Some(at)) => {
                let _ = writeln!(out, "          at {at}");
            }
            _ => {}
        }
    }
    if !diagnosis.observations.is_empty() {
        let _ = writeln!(out, "evidence:");
        for observation in &diagnosis.observations {
            let _ = writeln!(out, "  - {observation}");
        }
    }
    if let Some(wait_for) = &diagnosis.wait_for {
        let _ = writeln!(out, "wait-for graph:");
        for line in &wait_for.lines {
            let _ = writeln!(out, "  - {line}");
        }
    }
    if let Some(timeline) = &diagnosis.timeline
        && !timeline.steps.is_empty()
    {
        let _ = writeln!(out, "timeline:");
        out.push_str(&render_timeline(timeline));
    }
    if !diagnosis.vet.is_empty() {
        let _ = writeln!(out, "go vet:");
        for f in &diagnosis.vet {
            let _ = writeln!(
                out,
                "  - {}:{}: {} ({})",
                f.file, f.line, f.message, f.analyzer
            );
        }
    }
    let _ = writeln!(out, "explanation:");
    for line in wrap(&diagnosis.explanation, 96) {
        let _ = writeln!(out, "  {line}");
    }
    if !diagnosis.notes.is_empty() {
        let _ = writeln!(out, "notes:");
        for note in &diagnosis.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A file the CLI wrote.
pub fn print_written(path: &std::path::Path) {
    println!("wrote {}", path.display());
}

/// The line printed before a run starts, so a hung or killed run can still be replayed.
pub fn print_starting(record_replay: &str) {
    eprintln!("gorepro: running `{record_replay}`");
}

/// The line printed when SIGINT or SIGTERM arrives (see [`crate::interrupt`]).
pub fn print_stopping(signal: &str) {
    eprintln!("gorepro: {signal}: ending the running program; the runs that finished are reported");
}

/// A run's result for people: a status line, then the diagnosis.
pub fn print_human(record: &RunRecord, full: bool) {
    let status = if record.matches { "ok  " } else { "FAIL" };
    let latency = record
        .timings
        .verdict
        .map(|l| {
            format!(
                ", verdict {:.1} ms after the block",
                l.block_to_verdict.as_secs_f64() * 1e3
            )
        })
        .unwrap_or_default();
    println!(
        "{status} {} ({}, GOMAXPROCS={}): {} / {}  [build {:.0} ms{}, run {:.0} ms, evidence {:.0} ms{latency}]",
        record.scenario,
        record.variant,
        record.gomaxprocs,
        record.observed_outcome,
        record.observed_class.unwrap_or("-"),
        record.timings.build.as_secs_f64() * 1e3,
        if record.timings.build_cached {
            " cached"
        } else {
            ""
        },
        record.timings.run.as_secs_f64() * 1e3,
        record.timings.evidence.as_secs_f64() * 1e3,
    );
    for mismatch in &record.mismatches {
        println!("     expected: {mismatch}");
    }
    if full || !record.matches {
        for line in render_diagnosis(
            &record.scenario,
            record.variant,
            &record.params,
            &record.diagnosis,
        )
        .lines()
        {
            println!("     {line}");
        }
        println!("     evidence files: {}", record.evidence_dir);
        println!("     replay: {}", record.replay);
    }
}

/// Where a run of `gorepro run` belongs: what its JSON line adds to the [`RunRecord`].
#[derive(Debug, Clone, Serialize)]
pub struct RunPlace<'a> {
    /// The share of the items this process ran (`null`: all of them).
    pub shard: Option<Shard>,
    /// The identity of the unsplit list of items ([`crate::shard::plan_key`]).
    pub plan: &'a str,
    /// The run's place in that list, from 0.
    pub item: usize,
    /// Items in the list, every shard's together.
    pub items: usize,
    /// Which repeat of the variant under this GOMAXPROCS, from 0.
    pub repeat: u32,
    /// The hash of `normalized`: equal signatures, same diagnosis.
    pub signature: &'a str,
    /// The normalized diagnosis ([`render_diagnosis`]), what snapshots hold.
    pub normalized: &'a str,
}

/// The JSON line of a run: `kind` `run`, its place, then the record.
pub fn render_run_line(record: &RunRecord, place: &RunPlace<'_>) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        kind: &'static str,
        #[serde(flatten)]
        place: &'a RunPlace<'a>,
        #[serde(flatten)]
        record: &'a RunRecord,
    }
    to_json_line(&Line {
        kind: "run",
        place,
        record,
    })
}

/// One JSON object per line.
pub fn print_run_line(record: &RunRecord, place: &RunPlace<'_>) {
    println!("{}", render_run_line(record, place));
}

fn to_json_line(value: &impl Serialize) -> String {
    // Plain data with string keys: encoding cannot fail.
    serde_json::to_string(value).unwrap_or_else(|e| {
        serde_json::json!({ "kind": "error", "error": e.to_string() }).to_string()
    })
}

/// The closing summary of `gorepro run` (and of `gorepro merge` of its lines): the variants
/// whose repeats disagreed with each normalized diagnosis, the runs that did not meet their
/// spec, and per variant how many runs matched and how many distinct normalized diagnoses
/// were seen.
pub fn render_run_summary(summary: &RunSummary) -> String {
    let mut out = String::new();
    for divergence in &summary.divergences {
        let _ = writeln!(
            out,
            "DIVERGED {} ({}): {} distinct normalized diagnoses:",
            divergence.scenario,
            divergence.variant,
            divergence.diagnoses.len()
        );
        for (text, _, count) in &divergence.diagnoses {
            let _ = writeln!(out, "--- {count} run(s):\n{text}");
        }
    }
    for run in &summary.mismatched {
        let _ = writeln!(
            out,
            "FAIL {} ({}, GOMAXPROCS={}, repeat {}): {}",
            run.scenario,
            run.variant,
            run.gomaxprocs,
            run.repeat + 1,
            run.mismatches.join("; ")
        );
        let _ = writeln!(out, "     replay: {}", run.replay);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<28} {:<6} {:>9} {:>9} {:>13}",
        "scenario", "variant", "matched", "distinct", "verdict p50"
    );
    for row in &summary.rows {
        let _ = writeln!(
            out,
            "{:<28} {:<6} {:>5}/{:<3} {:>9} {:>13}",
            row.scenario,
            row.variant,
            row.matched,
            row.runs,
            row.distinct_diagnoses,
            row.median_latency
                .map(|d| format!("{:.2} ms", d.as_secs_f64() * 1e3))
                .unwrap_or_else(|| "-".into()),
        );
    }
    out
}

pub fn print_run_summary(summary: &RunSummary) {
    print!("{}", render_run_summary(summary));
}

/// The last line of `gorepro run --json` (and `gorepro merge --json` of its lines).
pub fn render_run_summary_line(summary: &RunSummary) -> String {
    #[derive(Serialize)]
    struct Signature<'a> {
        signature: &'a str,
        runs: usize,
    }
    #[derive(Serialize)]
    struct Row<'a> {
        scenario: &'a str,
        variant: Variant,
        runs: usize,
        matched: usize,
        distinct: usize,
        signatures: Vec<Signature<'a>>,
        verdict_p50_ms: Option<f64>,
    }
    #[derive(Serialize)]
    struct Diverged<'a> {
        scenario: &'a str,
        variant: Variant,
        diagnoses: Vec<DivergedDiagnosis<'a>>,
    }
    #[derive(Serialize)]
    struct DivergedDiagnosis<'a> {
        signature: &'a str,
        runs: usize,
        normalized: &'a str,
    }
    #[derive(Serialize)]
    struct Mismatched<'a> {
        item: usize,
        scenario: &'a str,
        variant: Variant,
        gomaxprocs: u32,
        repeat: u32,
        mismatches: &'a [String],
        replay: &'a str,
    }
    #[derive(Serialize)]
    struct Line<'a> {
        kind: &'static str,
        shard: Option<Shard>,
        plan: &'a str,
        items: usize,
        runs: usize,
        ok: bool,
        rows: Vec<Row<'a>>,
        divergences: Vec<Diverged<'a>>,
        mismatched: Vec<Mismatched<'a>>,
    }
    to_json_line(&Line {
        kind: "run-summary",
        shard: summary.shard,
        plan: &summary.plan,
        items: summary.items,
        runs: summary.runs,
        ok: summary.ok(),
        rows: summary
            .rows
            .iter()
            .zip(&summary.signatures)
            .map(|(row, signatures)| Row {
                scenario: &row.scenario,
                variant: row.variant,
                runs: row.runs,
                matched: row.matched,
                distinct: row.distinct_diagnoses,
                signatures: signatures
                    .iter()
                    .map(|(signature, runs)| Signature {
                        signature,
                        runs: *runs,
                    })
                    .collect(),
                verdict_p50_ms: row
                    .median_latency
                    .map(|d| (d.as_secs_f64() * 1e6).round() / 1e3),
            })
            .collect(),
        divergences: summary
            .divergences
            .iter()
            .map(|d| Diverged {
                scenario: &d.scenario,
                variant: d.variant,
                diagnoses: d
                    .diagnoses
                    .iter()
                    .map(|(normalized, signature, runs)| DivergedDiagnosis {
                        signature,
                        runs: *runs,
                        normalized,
                    })
                    .collect(),
            })
            .collect(),
        mismatched: summary
            .mismatched
            .iter()
            .map(|r| Mismatched {
                item: r.item,
                scenario: &r.scenario,
                variant: r.variant,
                gomaxprocs: r.gomaxprocs,
                repeat: r.repeat,
                mismatches: &r.mismatches,
                replay: &r.replay,
            })
            .collect(),
    })
}

pub fn print_run_summary_line(summary: &RunSummary) {
    println!("{}", render_run_summary_line(summary));
}

/// One scenario variant's line of the closing summary of `gorepro run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    pub scenario: String,
    pub variant: Variant,
    pub runs: usize,
    pub matched: usize,
    pub distinct_diagnoses: usize,
    pub median_latency: Option<Duration>,
}

/// gorepro stopped on a signal before a run finished (while building): no report to print.
pub fn print_interrupted(error: &dyn std::error::Error) {
    eprintln!("gorepro: {error} before the first run: nothing to report");
}

/// A harness error, printed once.
pub fn print_error(error: &dyn std::error::Error) {
    eprintln!("gorepro: error: {}", error_chain(error));
}

/// An error with its causes, one per line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, "\n  caused by: {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("", 7), Vec::<String>::new());
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            vec!["averyveryverylongword", "x"]
        );
    }
}

/// The reviewed diagnosis of a scenario variant, from its snapshot file (what the runtime
/// shows, without running anything).
pub fn reviewed_snapshot(
    root: &std::path::Path,
    scenario: &str,
    variant: Variant,
) -> Option<String> {
    let text = std::fs::read_to_string(
        root.join("snapshots")
            .join(format!("{scenario}__{variant}.snap")),
    )
    .ok()?;
    text.splitn(3, "---\n")
        .nth(2)
        .map(|body| body.trim_end().to_string())
}

/// `buggy.go` against `fixed.go`, as a unified diff.
pub fn variant_diff(buggy: &str, fixed: &str) -> String {
    similar::TextDiff::from_lines(buggy, fixed)
        .unified_diff()
        .context_radius(4)
        .header("buggy.go", "fixed.go")
        .to_string()
}

/// `gorepro explain`: one bug class, every scenario of it.
pub fn print_explain(class: &crate::vocabulary::taxonomy::BugClass, entries: &[ExplainEntry]) {
    println!("{} ({})\n{}\n", class.id, class.family, class.title);
    println!("Decided by: {}", class.decided_by);
    if entries.is_empty() {
        println!(
            "\nNo scenario of the catalog reproduces this class yet; the classifier reports it"
        );
        println!("when the evidence shows it.");
    }
    for entry in entries {
        println!("\n== scenario {}: {}\n", entry.id, entry.title);
        for line in wrap(&entry.explanation, 96) {
            println!("{line}");
        }
        println!("\n-- the bug and its fix (go-samples/{}):\n", entry.package);
        print!("{}", entry.diff);
        println!("\n-- the fix:\n");
        for line in wrap(&entry.fix, 96) {
            println!("{line}");
        }
        println!("\n-- what the runtime shows (reviewed diagnosis of the buggy variant):\n");
        match &entry.runtime_shows {
            Some(text) => println!("{text}"),
            None => println!(
                "(no reviewed snapshot yet: `gorepro run {} --variant buggy`)",
                entry.id
            ),
        }
        println!("\nReproduce it: gorepro run {}", entry.id);
    }
}

/// One scenario's part of an explanation.
#[derive(Debug, Clone)]
pub struct ExplainEntry {
    pub id: String,
    pub title: String,
    pub package: String,
    pub explanation: String,
    pub fix: String,
    pub diff: String,
    pub runtime_shows: Option<String>,
}

/// `gorepro list`: the catalog grouped by family, with class ids.
pub fn print_list(catalog: &crate::scenario::Catalog) {
    let mut family = "";
    for class in crate::vocabulary::taxonomy::CLASSES {
        let scenarios: Vec<_> = catalog
            .scenarios
            .iter()
            .filter(|s| s.class == class.id)
            .collect();
        if scenarios.is_empty() {
            continue;
        }
        if class.family != family {
            family = class.family;
            println!("\n{family}");
        }
        for (i, scenario) in scenarios.iter().enumerate() {
            let id = if i == 0 { class.id } else { "" };
            println!("  {id:<32} {:<26} {}", scenario.id, scenario.title);
            let params: Vec<String> = scenario
                .params
                .iter()
                .map(|p| format!("{}={} ({}..={})", p.name, p.default, p.min, p.max))
                .collect();
            if !params.is_empty() {
                println!("  {:<32} {:<26} params: {}", "", "", params.join(", "));
            }
        }
    }
    let classes: std::collections::BTreeSet<_> =
        catalog.scenarios.iter().map(|s| s.class).collect();
    println!(
        "\n{} scenarios, {} bug classes",
        catalog.scenarios.len(),
        classes.len()
    );
}

/// The catalog as a Markdown table (family, class id, scenario, title), for the README.
pub fn catalog_markdown(catalog: &crate::scenario::Catalog) -> String {
    let mut out =
        String::from("| family | class | scenario | what goes wrong |\n|---|---|---|---|\n");
    for class in crate::vocabulary::taxonomy::CLASSES {
        for scenario in catalog.scenarios.iter().filter(|s| s.class == class.id) {
            out.push_str(&format!(
                "| {} | `{}` | `{}` | {} |\n",
                class.family,
                class.id,
                scenario.id,
                scenario.title.replace('|', "\\|")
            ));
        }
    }
    out
}
