//! What `gorepro fuzz` prints: a progress line per batch (tier 2) or point (tier 1) on stderr,
//! and with `--json` a JSON line for each on stdout; at the end the report (no times in it, so a
//! merged report is the same text), or with `--json` a summary line.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::fuzz::campaign::{BatchResult, Campaign, FuzzReport};
use crate::fuzz::points::{PointCampaign, PointReport, PointResult};
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
    write_share(
        &mut out,
        "batches",
        report.shard,
        (report.planned, campaign.batches as usize),
        report.batches.len(),
        report.interrupted,
    );
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

/// The JSON line of a tier-1 point: `kind` `fuzz-point`, the campaign, the shard, the point.
pub fn render_point_line(
    campaign: &PointCampaign,
    shard: Option<Shard>,
    items: usize,
    result: &PointResult,
) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        kind: &'static str,
        #[serde(flatten)]
        campaign: &'a PointCampaign,
        shard: Option<Shard>,
        items: usize,
        #[serde(flatten)]
        result: &'a PointResult,
    }
    super::to_json_line(&Line {
        kind: "fuzz-point",
        campaign,
        shard,
        items,
        result,
    })
}

pub fn print_point_line(
    campaign: &PointCampaign,
    shard: Option<Shard>,
    items: usize,
    result: &PointResult,
) {
    println!("{}", render_point_line(campaign, shard, items, result));
    let _ = std::io::stdout().flush();
}

/// `point 3/48: wg-reuse (buggy) rounds=3: ok`, on stderr as a point finishes.
pub fn print_point_progress(result: &PointResult, items: usize) {
    eprintln!(
        "point {}/{items}: {}  {}",
        result.item + 1,
        point_label(result),
        if result.matches { "ok" } else { "FAIL" }
    );
}

fn point_label(result: &PointResult) -> String {
    let params: Vec<String> = result
        .params
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    format!(
        "{} ({}) {}",
        result.scenario,
        result.variant,
        params.join(" ")
    )
}

/// The last line of `gorepro fuzz --tier 1 --json` (and of a merge of its lines).
pub fn render_point_summary(report: &PointReport) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        kind: &'static str,
        #[serde(flatten)]
        campaign: &'a PointCampaign,
        shard: Option<Shard>,
        items: usize,
        planned: usize,
        checked: usize,
        failures: usize,
        interrupted: bool,
        signal: Option<&'static str>,
    }
    super::to_json_line(&Line {
        kind: "fuzz-point-summary",
        campaign: &report.campaign,
        shard: report.shard,
        items: report.items,
        planned: report.planned,
        checked: report.results.len(),
        failures: report.failures(),
        interrupted: report.interrupted.is_some(),
        signal: report.interrupted.map(|s| s.as_str()),
    })
}

pub fn print_point_summary(report: &PointReport) {
    println!("{}", render_point_summary(report));
}

/// The tier-1 report for people: one line per point, then each mismatch with its evidence
/// and replay command. No times in it.
pub fn render_points(report: &PointReport) -> String {
    let mut out = String::new();
    let campaign = &report.campaign;
    let _ = writeln!(
        out,
        "fuzz campaign seed {} (tier 1, {} points of each parameterised scenario, {} runs, {})",
        campaign.seed, campaign.points, report.items, campaign.go_version
    );
    write_share(
        &mut out,
        "points",
        report.shard,
        (report.planned, report.items),
        report.results.len(),
        report.interrupted,
    );
    let _ = writeln!(
        out,
        "{} points checked: {} diagnose as their spec's rule says at that point, {} do not",
        report.results.len(),
        report.results.len() - report.failures(),
        report.failures()
    );
    for result in &report.results {
        let _ = writeln!(
            out,
            "  {:<48} {:<40} {}",
            point_label(result),
            result.observed,
            if result.matches { "ok" } else { "FAIL" }
        );
    }
    for result in report.results.iter().filter(|r| !r.matches) {
        let _ = writeln!(
            out,
            "FAIL {}: {}",
            point_label(result),
            result.mismatches.join("; ")
        );
        let _ = writeln!(out, "     evidence files: {}", result.evidence_dir);
        let _ = writeln!(out, "     replay: {}", result.replay);
    }
    out
}

pub fn print_points(report: &PointReport) {
    print!("{}", render_points(report));
}

/// What share of a campaign's `items` (`batches`, `points`) a report covers: a shard's
/// (`planned` of `total`), and the `finished` ones when a signal cut the campaign short.
fn write_share(
    out: &mut String,
    items: &str,
    shard: Option<Shard>,
    (planned, total): (usize, usize),
    finished: usize,
    interrupted: Option<nix::sys::signal::Signal>,
) {
    if let Some(shard) = shard {
        let _ = writeln!(
            out,
            "shard {shard}: {planned} of the {total} {items}; `gorepro merge` combines the shards' --json lines"
        );
    }
    if let Some(signal) = interrupted {
        let _ = writeln!(
            out,
            "interrupted by {} after {finished} of {planned} {items}: this report covers the {items} that finished",
            signal.as_str()
        );
    }
}
