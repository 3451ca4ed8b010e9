//! What `gorepro fuzz` prints: a progress line per batch on stderr, or with `--json` a JSON line
//! per batch on stdout; at the end the report (no times in it, so a merged report is the same
//! text), or with `--json` a summary line.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::fuzz::campaign::{BatchResult, Campaign, FuzzReport};
use crate::shard::Shard;

/// `batch 3 (2/4): 256 checked, 256 agree; build 0.61 s, check 1.93 s`.
pub fn render_fuzz_progress(result: &BatchResult, done: usize, planned: usize) -> String {
    format!(
        "batch {} ({done}/{planned}): {} checked, {} agree; build {:.2} s{}, check {:.2} s",
        result.batch,
        result.checked,
        result.agree,
        result.build.as_secs_f64(),
        if result.cached { " (cached)" } else { "" },
        result.check.as_secs_f64()
    )
}

pub fn print_fuzz_progress(result: &BatchResult, done: usize, planned: usize) {
    eprintln!("{}", render_fuzz_progress(result, done, planned));
}

/// The JSON line of a checked batch: `kind` `fuzz-batch`, the campaign, the shard, the batch.
pub fn render_fuzz_line(campaign: &Campaign, shard: Option<Shard>, result: &BatchResult) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        kind: &'static str,
        #[serde(flatten)]
        campaign: &'a Campaign,
        shard: Option<Shard>,
        #[serde(flatten)]
        result: &'a BatchResult,
    }
    super::to_json_line(&Line {
        kind: "fuzz-batch",
        campaign,
        shard,
        result,
    })
}

pub fn print_fuzz_line(campaign: &Campaign, shard: Option<Shard>, result: &BatchResult) {
    println!("{}", render_fuzz_line(campaign, shard, result));
    let _ = std::io::stdout().flush();
}

/// The last line of `gorepro fuzz --json` (and of `gorepro merge --json` of its lines).
pub fn render_fuzz_summary(report: &FuzzReport) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        kind: &'static str,
        #[serde(flatten)]
        campaign: &'a Campaign,
        shard: Option<Shard>,
        planned: usize,
        batches_checked: usize,
        checked: usize,
        agree: usize,
        failures: usize,
        interrupted: bool,
        signal: Option<&'static str>,
    }
    super::to_json_line(&Line {
        kind: "fuzz-summary",
        campaign: &report.campaign,
        shard: report.shard,
        planned: report.planned,
        batches_checked: report.batches.len(),
        checked: report.checked(),
        agree: report.agree(),
        failures: report.checked() - report.agree(),
        interrupted: report.interrupted.is_some(),
        signal: report.interrupted.map(|s| s.as_str()),
    })
}

pub fn print_fuzz_summary(report: &FuzzReport) {
    println!("{}", render_fuzz_summary(report));
}

/// The report for people: the campaign, one line per batch, then every failure explained.
pub fn render_fuzz(report: &FuzzReport) -> String {
    let mut out = String::new();
    let campaign = &report.campaign;
    let _ = writeln!(
        out,
        "fuzz campaign seed {} (tier 2{}, {} batches of {} programs, {})",
        campaign.seed,
        if campaign.forced {
            ", forced schedules"
        } else {
            ""
        },
        campaign.batches,
        campaign.programs,
        campaign.go_version
    );
    if let Some(shard) = report.shard {
        let _ = writeln!(
            out,
            "shard {shard}: {} of the {} batches; `gorepro merge` combines the shards' --json lines",
            report.planned, campaign.batches
        );
    }
    if let Some(signal) = report.interrupted {
        let _ = writeln!(
            out,
            "interrupted by {} after {} of {} batches: this report covers the batches that finished",
            signal.as_str(),
            report.batches.len(),
            report.planned
        );
    }
    let _ = writeln!(
        out,
        "{} programs checked in {} batches: {} agree with the model, {} do not",
        report.checked(),
        report.batches.len(),
        report.agree(),
        report.checked() - report.agree()
    );
    for batch in &report.batches {
        let _ = writeln!(
            out,
            "  batch {:<4} source {}  {:>4} checked  {:>4} agree",
            batch.batch, batch.source, batch.checked, batch.agree
        );
    }
    for batch in &report.batches {
        for failure in &batch.failures {
            let _ = writeln!(
                out,
                "FAIL batch {} program {} (GOMAXPROCS={}): {}",
                batch.batch, failure.index, failure.gomaxprocs, failure.property
            );
            for line in failure.explanation.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    out
}

pub fn print_fuzz(report: &FuzzReport) {
    print!("{}", render_fuzz(report));
}

/// The throughput line printed on stderr at the end of `gorepro fuzz` (not in the report).
pub fn print_fuzz_throughput(report: &FuzzReport, wall: Duration) {
    eprintln!(
        "gorepro: {} programs in {:.2} s: {:.1} checked programs/s (each next batch built while the current one ran)",
        report.checked(),
        wall.as_secs_f64(),
        report.checked() as f64 / wall.as_secs_f64().max(1e-9)
    );
}
