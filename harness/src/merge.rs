//! `gorepro merge FILE...`: the JSON lines several gorepro processes wrote (one per shard, see
//! [`crate::shard`]) combined into the report one process would have printed.
//!
//! - `diagnose` lines (`seed`, `replay`, `summary`) are grouped by their identity
//!   ([`Exploration`]). Each exploration needs the summary line of every shard: the planned
//!   seeds, the scheduling points and the notes come only with it. Counts, first seeds, classes
//!   and failing tests are recomputed from the `seed` lines by the functions the single process
//!   uses, and the report is rendered by the same code; the replay seed is chosen from the
//!   `replay` lines the way the single process chooses it ([`choose_replay`]).
//! - `run` lines are grouped by their `plan` (the Go version and the unsplit list of items);
//!   every item of the plan must be there exactly once. [`RunSummary`] is also what
//!   `gorepro run` itself closes with, so a merged summary and an unsplit one are one
//!   computation over the same items, and the determinism check (repeats of a variant agree)
//!   compares the normalized diagnoses' signatures across shards.
//! - `fuzz-batch` lines are grouped by their campaign (seed, batches, programs per batch,
//!   forced, Go version), `fuzz-point` lines (tier 1) by theirs (seed, points per scenario, Go
//!   version); every batch or point must be there exactly once.
//!
//! Where each replay check runs: every shard checks the replays of its own first reproducing
//! seeds, as one process does with all of them (up to three, stopping at the first whose
//! replays all match). The seeds one process would check first are each among the first of
//! their own shard, so the merge finds the checks it needs (see [`choose_replay`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;
use serde::Deserialize;

use crate::classify::{Diagnosis, Latency};
use crate::diagnose::{
    self, DiagnoseReport, Exploration, FailedTest, REPLAY_CHECKS, Replay, Seed, SeedRun,
};
use crate::fuzz::campaign::{BatchResult, Campaign, FuzzReport};
use crate::fuzz::points::{PointCampaign, PointReport, PointResult};
use crate::report::SummaryRow;
use crate::scenario::Variant;
use crate::shard::Shard;
use crate::vocabulary::{Outcome, taxonomy};

/// The lines cannot be merged into one report.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{at}: not a gorepro JSON line: {message}")]
    Line { at: String, message: String },
    #[error("{what} is in {first} and again in {second}: was a file given twice?")]
    Duplicate {
        what: String,
        first: String,
        second: String,
    },
    #[error("{what}: {message}")]
    Inconsistent { what: String, message: String },
    #[error(
        "{what}: shard(s) {} missing{detail}: merge the lines of every shard",
        list(shards)
    )]
    Missing {
        what: String,
        shards: Vec<Shard>,
        detail: String,
    },
    #[error("no gorepro JSON lines in {}", list(&files.iter().map(|f| f.display()).collect::<Vec<_>>()))]
    Empty { files: Vec<PathBuf> },
    #[error("{at}: package {import_path} could not be diagnosed in that shard: {error}")]
    Package {
        at: String,
        import_path: String,
        error: String,
    },
}

fn list(items: &[impl std::fmt::Display]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The reports of the merged lines, in the order their first lines came.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    pub explorations: Vec<DiagnoseReport>,
    pub runs: Vec<RunSummary>,
    pub fuzz: Vec<FuzzReport>,
    pub points: Vec<PointReport>,
}

impl Merged {
    /// A bug reproduced, a test failed, a run did not match its spec or repeats disagreed: what
    /// makes `gorepro merge` exit 1, as the merged commands would have.
    pub fn has_findings(&self) -> bool {
        self.explorations.iter().any(DiagnoseReport::has_findings)
            || self.runs.iter().any(|summary| !summary.ok())
            || self.fuzz.iter().any(FuzzReport::has_findings)
            || self.points.iter().any(|p| p.failures() > 0)
    }
}

/// The hash of a normalized diagnosis that `run` and `diagnose` lines carry as `signature`:
/// equal signatures, same diagnosis.
pub fn signature(normalized: &str) -> String {
    blake3::hash(normalized.as_bytes()).to_hex()[..16].to_string()
}

/// Reads and merges JSON lines files (`-` is standard input).
pub fn merge_files(paths: &[PathBuf]) -> Result<Merged, MergeError> {
    let mut inputs = Vec::new();
    for path in paths {
        let read = if path == Path::new("-") {
            std::io::read_to_string(std::io::stdin())
        } else {
            std::fs::read_to_string(path)
        };
        let text = read.map_err(|source| MergeError::Read {
            path: path.clone(),
            source,
        })?;
        inputs.push((path.display().to_string(), text));
    }
    let merged = merge(
        inputs
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str())),
    )?;
    if merged.explorations.is_empty()
        && merged.runs.is_empty()
        && merged.fuzz.is_empty()
        && merged.points.is_empty()
    {
        return Err(MergeError::Empty {
            files: paths.to_vec(),
        });
    }
    Ok(merged)
}

/// Merges the lines of `(name, text)` inputs; blank lines are skipped.
pub fn merge<'a>(
    inputs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Merged, MergeError> {
    let mut explorations: Vec<ExplorationLines> = Vec::new();
    let mut plans: Vec<PlanLines> = Vec::new();
    let mut campaigns: Vec<CampaignLines> = Vec::new();
    let mut point_campaigns: Vec<PointLines> = Vec::new();
    for (name, text) in inputs {
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = format!("{name}:{}", number + 1);
            let parsed: Line = serde_json::from_str(line).map_err(|e| MergeError::Line {
                at: at.clone(),
                message: e.to_string(),
            })?;
            match parsed {
                Line::Seed(line) | Line::Replay(line) => {
                    let group = exploration_group(&mut explorations, &line.exploration);
                    group.add_run(line, at)?;
                }
                Line::Summary(line) => {
                    let group = exploration_group(&mut explorations, &line.exploration);
                    group.add_summary(line, at)?;
                }
                Line::Run(line) => {
                    let index = match plans.iter().position(|p| p.plan == line.plan) {
                        Some(index) => index,
                        None => {
                            plans.push(PlanLines::new(&line));
                            plans.len() - 1
                        }
                    };
                    plans[index].add(line, at)?;
                }
                Line::FuzzBatch(line) => {
                    let index = match campaigns.iter().position(|c| c.campaign == line.campaign) {
                        Some(index) => index,
                        None => {
                            campaigns.push(CampaignLines {
                                campaign: line.campaign.clone(),
                                batches: Items::new(),
                            });
                            campaigns.len() - 1
                        }
                    };
                    campaigns[index].add(line, at)?;
                }
                Line::FuzzPoint(line) => {
                    let index = match point_campaigns
                        .iter()
                        .position(|c| c.campaign == line.campaign)
                    {
                        Some(index) => index,
                        None => {
                            point_campaigns.push(PointLines {
                                campaign: line.campaign.clone(),
                                items: line.items,
                                results: Items::new(),
                            });
                            point_campaigns.len() - 1
                        }
                    };
                    point_campaigns[index].add(line, at)?;
                }
                // A shard's own summary; the merged one is computed from the other lines.
                Line::RunSummary {}
                | Line::FuzzSummary {}
                | Line::FuzzPointSummary {}
                | Line::Total {}
                | Line::Skipped {} => {}
                Line::Error(line) => {
                    return Err(MergeError::Package {
                        at,
                        import_path: line.import_path,
                        error: line.error,
                    });
                }
            }
        }
    }
    Ok(Merged {
        explorations: explorations
            .into_iter()
            .map(ExplorationLines::report)
            .collect::<Result<_, _>>()?,
        runs: plans
            .into_iter()
            .map(PlanLines::summary)
            .collect::<Result<_, _>>()?,
        fuzz: campaigns
            .into_iter()
            .map(CampaignLines::report)
            .collect::<Result<_, _>>()?,
        points: point_campaigns
            .into_iter()
            .map(PointLines::report)
            .collect::<Result<_, _>>()?,
    })
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Line {
    Seed(SeedLine),
    Replay(SeedLine),
    Summary(SummaryLine),
    Run(RunLine),
    RunSummary {},
    FuzzBatch(FuzzBatchLine),
    FuzzSummary {},
    FuzzPoint(FuzzPointLine),
    FuzzPointSummary {},
    /// `diagnose`'s last line over all its packages: derived from the others.
    Total {},
    /// A package `diagnose` skipped as go test would: nothing ran, nothing to merge.
    Skipped {},
    /// A package `diagnose` could not diagnose: the merge cannot stand in for its runs.
    Error(PackageErrorLine),
}

/// An `error` line of `diagnose`.
#[derive(Deserialize)]
struct PackageErrorLine {
    import_path: String,
    error: String,
}

/// The splits (`--shard K/N`'s N, or none) the lines of one run came from. Lines of one run
/// all come from one split.
#[derive(Default)]
struct Splits(BTreeSet<Option<u32>>);

impl Splits {
    fn see(&mut self, shard: Option<Shard>) {
        self.0.insert(shard.map(|s| s.count));
    }

    /// How many shards the run was split into, or why its lines are not one run's.
    fn count(&self, of: &str) -> Result<u32, String> {
        match self.0.len() {
            0 | 1 => Ok(self.0.first().copied().flatten().unwrap_or(1)),
            _ => Err(format!(
                "lines of different splits ({}): merge the shards of one {of}",
                self.0
                    .iter()
                    .map(|s| s.map_or("unsplit".to_string(), |n| format!("{n} shards")))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// The shards of `count` that own the items at `positions`, each once, in order.
fn owners(positions: impl IntoIterator<Item = u64>, count: u32) -> Vec<Shard> {
    let owners: BTreeSet<Shard> = positions
        .into_iter()
        .map(|position| Shard::owning(position, count))
        .collect();
    owners.into_iter().collect()
}

/// The results of one campaign's numbered items (tier-1 points, tier-2 batches), each once, with
/// the line that carried it, and the splits those lines came from.
struct Items<R> {
    splits: Splits,
    results: BTreeMap<u64, (R, String)>,
}

impl<R> Items<R> {
    fn new() -> Self {
        Items {
            splits: Splits::default(),
            results: BTreeMap::new(),
        }
    }

    /// Keeps `result` of `item` (a `noun`), carried by the line at `at`; a second line for the
    /// same item is an error naming both.
    fn record(&mut self, noun: &str, item: u64, result: R, at: String) -> Result<(), MergeError> {
        if let Some((_, first)) = self.results.get(&item) {
            return Err(MergeError::Duplicate {
                what: format!("{noun} {item}"),
                first: first.clone(),
                second: at,
            });
        }
        self.results.insert(item, (result, at));
        Ok(())
    }

    /// Every result of items `0..count` in order, or which shards' lines are missing (`what`
    /// names the campaign, `done` what the detail counts, e.g. "points run").
    fn complete(self, count: u64, what: String, done: &str) -> Result<Vec<R>, MergeError> {
        let shards = self
            .splits
            .count("campaign")
            .map_err(|message| MergeError::Inconsistent {
                what: what.clone(),
                message,
            })?;
        let missing = owners(
            (0..count).filter(|item| !self.results.contains_key(item)),
            shards,
        );
        if !missing.is_empty() {
            return Err(MergeError::Missing {
                what,
                shards: missing,
                detail: format!(" ({} of {count} {done})", self.results.len()),
            });
        }
        Ok(self.results.into_values().map(|(r, _)| r).collect())
    }
}

/// A `fuzz-point` line (tier 1).
#[derive(Deserialize)]
struct FuzzPointLine {
    #[serde(flatten)]
    campaign: PointCampaign,
    shard: Option<Shard>,
    items: usize,
    #[serde(flatten)]
    result: PointResult,
}

/// Every `fuzz-point` line of one tier-1 campaign.
struct PointLines {
    campaign: PointCampaign,
    items: usize,
    results: Items<PointResult>,
}

impl PointLines {
    fn what(&self) -> String {
        format!(
            "fuzz tier 1 seed {} ({} points per scenario, {})",
            self.campaign.seed, self.campaign.points, self.campaign.go_version
        )
    }

    fn add(&mut self, line: FuzzPointLine, at: String) -> Result<(), MergeError> {
        let shard = shard_or_whole(line.shard);
        self.results.splits.see(line.shard);
        let item = line.result.item;
        if line.items != self.items || item >= self.items || !shard.takes(item as u64) {
            return Err(MergeError::Inconsistent {
                what: self.what(),
                message: format!(
                    "{at}: point {item} of {} is not one of shard {shard}'s",
                    line.items
                ),
            });
        }
        self.results.record("point", item as u64, line.result, at)
    }

    fn report(self) -> Result<PointReport, MergeError> {
        let what = self.what();
        let results = self
            .results
            .complete(self.items as u64, what, "points run")?;
        Ok(PointReport {
            campaign: self.campaign,
            shard: None,
            items: self.items,
            planned: self.items,
            results,
            interrupted: None,
        })
    }
}

/// A `fuzz-batch` line.
#[derive(Deserialize)]
struct FuzzBatchLine {
    #[serde(flatten)]
    campaign: Campaign,
    shard: Option<Shard>,
    #[serde(flatten)]
    result: BatchResult,
}

/// Every `fuzz-batch` line of one campaign.
struct CampaignLines {
    campaign: Campaign,
    batches: Items<BatchResult>,
}

impl CampaignLines {
    fn what(&self) -> String {
        format!(
            "fuzz campaign seed {} ({} batches of {} programs{}, {})",
            self.campaign.seed,
            self.campaign.batches,
            self.campaign.programs,
            if self.campaign.forced { ", forced" } else { "" },
            self.campaign.go_version
        )
    }

    fn add(&mut self, line: FuzzBatchLine, at: String) -> Result<(), MergeError> {
        let shard = shard_or_whole(line.shard);
        self.batches.splits.see(line.shard);
        let batch = line.result.batch;
        if batch >= self.campaign.batches || !shard.takes(u64::from(batch)) {
            return Err(MergeError::Inconsistent {
                what: self.what(),
                message: format!("{at}: batch {batch} is not one of shard {shard}'s"),
            });
        }
        self.batches
            .record("batch", u64::from(batch), line.result, at)
    }

    fn report(self) -> Result<FuzzReport, MergeError> {
        let what = self.what();
        let batches =
            self.batches
                .complete(u64::from(self.campaign.batches), what, "batches checked")?;
        Ok(FuzzReport {
            planned: self.campaign.batches as usize,
            campaign: self.campaign,
            shard: None,
            batches,
            interrupted: None,
        })
    }
}

/// A `seed` or `replay` line: the fields of [`SeedRun`] a report reads.
#[derive(Deserialize)]
struct SeedLine {
    #[serde(flatten)]
    exploration: Exploration,
    shard: Option<Shard>,
    seed: String,
    replay: Option<CheckLine>,
    outcome: String,
    class: Option<String>,
    reproduced: bool,
    tests_failed: bool,
    failed_tests: Vec<FailedTestLine>,
    tests_exit_status: Option<i32>,
    signature: String,
    normalized: String,
    command: String,
    wall_ms: f64,
    block_to_verdict: Option<LatencyLine>,
    evidence_dir: String,
    #[serde(default)]
    ignored_goroutines: usize,
    #[serde(default)]
    leaks: Vec<crate::leaks::TestLeak>,
    #[serde(default)]
    running_tests: Vec<String>,
}

#[derive(Deserialize)]
struct CheckLine {
    check: usize,
    same: bool,
}

#[derive(Deserialize)]
struct FailedTestLine {
    name: String,
    log: Vec<String>,
}

#[derive(Deserialize)]
struct LatencyLine {
    block_to_verdict_us: u64,
    measured_by: String,
}

#[derive(Deserialize)]
struct SummaryLine {
    #[serde(flatten)]
    exploration: Exploration,
    shard: Option<Shard>,
    sites: usize,
    build_ms: f64,
    notes: Vec<String>,
    planned: usize,
    planned_all: usize,
    runs: usize,
    replay: Option<SummaryReplayLine>,
    signal: Option<String>,
}

#[derive(Deserialize)]
struct SummaryReplayLine {
    checked: usize,
}

/// A `run` line: a [`crate::RunRecord`] with where it belongs in its plan.
#[derive(Deserialize)]
struct RunLine {
    shard: Option<Shard>,
    plan: String,
    item: usize,
    items: usize,
    repeat: u32,
    signature: String,
    normalized: String,
    scenario: String,
    variant: String,
    gomaxprocs: u32,
    matches: bool,
    mismatches: Vec<String>,
    timings: TimingsLine,
    replay: String,
}

#[derive(Deserialize)]
struct TimingsLine {
    verdict: Option<LatencyLine>,
}

fn latency(line: Option<LatencyLine>) -> Result<Option<Latency>, String> {
    let Some(line) = line else { return Ok(None) };
    // The two ways the classifier measures it (classify::rules::latency).
    let measured_by = match line.measured_by.as_str() {
        "trace" => "trace",
        "supervisor" => "supervisor",
        other => return Err(format!("unknown block_to_verdict.measured_by {other:?}")),
    };
    Ok(Some(Latency {
        block_to_verdict: Duration::from_micros(line.block_to_verdict_us),
        measured_by,
    }))
}

/// The `shard` of a line of an unsplit process is `null`: it is the only shard.
fn shard_or_whole(shard: Option<Shard>) -> Shard {
    shard.unwrap_or(Shard::WHOLE)
}

/// Every line of one exploration.
struct ExplorationLines {
    exploration: Exploration,
    /// The shard counts the lines name (`None`: unsplit); more than one is an error.
    splits: Splits,
    runs: BTreeMap<u64, (SeedRun, Shard, String)>,
    /// Replay checks by seed: (check, same, where).
    checks: BTreeMap<u64, Vec<(usize, bool, String)>>,
    summaries: BTreeMap<Shard, (SummaryLine, String)>,
    /// Normalized diagnoses by signature: the runs share a few, and only the featured one is
    /// shown.
    texts: HashMap<String, String>,
}

fn exploration_group<'a>(
    groups: &'a mut Vec<ExplorationLines>,
    exploration: &Exploration,
) -> &'a mut ExplorationLines {
    let index = match groups.iter().position(|g| g.exploration == *exploration) {
        Some(index) => index,
        None => {
            groups.push(ExplorationLines {
                exploration: exploration.clone(),
                splits: Splits::default(),
                runs: BTreeMap::new(),
                checks: BTreeMap::new(),
                summaries: BTreeMap::new(),
                texts: HashMap::new(),
            });
            groups.len() - 1
        }
    };
    &mut groups[index]
}

impl ExplorationLines {
    fn what(&self) -> String {
        format!(
            "diagnose {} (GOMAXPROCS={}, build {})",
            self.exploration.path, self.exploration.gomaxprocs, self.exploration.build
        )
    }

    fn add_run(&mut self, line: SeedLine, at: String) -> Result<(), MergeError> {
        let bad = |message: String| MergeError::Line {
            at: at.clone(),
            message,
        };
        let seed: Seed = line.seed.parse().map_err(|e| bad(format!("{e}")))?;
        let shard = shard_or_whole(line.shard);
        self.splits.see(line.shard);
        if line.shard.is_some() && !shard.takes(seed.value - 1) {
            return Err(MergeError::Inconsistent {
                what: self.what(),
                message: format!("{at}: seed {seed} is not one of shard {shard}'s seeds"),
            });
        }
        let outcome: Outcome = line.outcome.parse().map_err(bad)?;
        let class = match line.class.as_deref() {
            None => None,
            Some(id) => Some(
                taxonomy::lookup(id)
                    .ok_or_else(|| bad(format!("class {id:?} is not in this gorepro's taxonomy")))?
                    .id,
            ),
        };
        if let Some(check) = line.replay {
            let checks = self.checks.entry(seed.value).or_default();
            if let Some((_, _, first)) = checks.iter().find(|(n, _, _)| *n == check.check) {
                return Err(MergeError::Duplicate {
                    what: format!("replay check {} of seed {seed}", check.check),
                    first: first.clone(),
                    second: at,
                });
            }
            checks.push((check.check, check.same, at));
            return Ok(());
        }
        if let Some((_, _, first)) = self.runs.get(&seed.value) {
            return Err(MergeError::Duplicate {
                what: format!("seed {seed}"),
                first: first.clone(),
                second: at,
            });
        }
        let latency = latency(line.block_to_verdict).map_err(bad)?;
        self.texts
            .entry(line.signature.clone())
            .or_insert(line.normalized);
        let run = SeedRun {
            seed,
            reproduced: line.reproduced,
            tests_failed: line.tests_failed,
            failed_tests: line
                .failed_tests
                .into_iter()
                .map(|t| FailedTest {
                    name: t.name,
                    log: t.log,
                })
                .collect(),
            tests_exit_status: line.tests_exit_status,
            signature: line.signature,
            // Filled in for the featured run only, from `texts`.
            normalized: String::new(),
            command: line.command,
            wall: Duration::from_secs_f64(line.wall_ms.max(0.0) / 1e3),
            block_to_verdict: latency,
            evidence_dir: line.evidence_dir,
            // What a report reads of a run it does not feature (see `SeedRun::summary`).
            diagnosis: Diagnosis {
                outcome,
                class,
                stuck: Vec::new(),
                failure: None,
                observations: Vec::new(),
                vet: Vec::new(),
                explanation: String::new(),
                notes: Vec::new(),
                details: Vec::new(),
                wait_for: None,
                timeline: None,
                latency,
                inconclusive: false,
                lock_order: None,
            },
            test_output: None,
            ignored_goroutines: line.ignored_goroutines,
            leaks: line.leaks,
            running_tests: line.running_tests,
        };
        self.runs.insert(seed.value, (run, shard, at));
        Ok(())
    }

    fn add_summary(&mut self, line: SummaryLine, at: String) -> Result<(), MergeError> {
        let shard = shard_or_whole(line.shard);
        self.splits.see(line.shard);
        if let Some((_, first)) = self.summaries.get(&shard) {
            return Err(MergeError::Duplicate {
                what: format!("the summary of shard {shard}"),
                first: first.clone(),
                second: at,
            });
        }
        self.summaries.insert(shard, (line, at));
        Ok(())
    }

    fn report(mut self) -> Result<DiagnoseReport, MergeError> {
        let what = self.what();
        let inconsistent = |message: String| MergeError::Inconsistent {
            what: what.clone(),
            message,
        };
        let count = self.splits.count("run").map_err(inconsistent)?;
        let missing: Vec<Shard> = (1..=count)
            .map(|index| Shard { index, count })
            .filter(|shard| !self.summaries.contains_key(shard))
            .collect();
        if !missing.is_empty() {
            return Err(MergeError::Missing {
                what,
                shards: missing,
                detail: " (no summary line: it holds the shard's planned seeds and build)".into(),
            });
        }
        let summaries: Vec<&SummaryLine> = self.summaries.values().map(|(s, _)| s).collect();
        let first = summaries[0];
        for (summary, at) in self.summaries.values() {
            if (summary.sites, &summary.notes, summary.planned_all)
                != (first.sites, &first.notes, first.planned_all)
            {
                return Err(inconsistent(format!(
                    "{at}: the shards disagree on the scheduling points, notes or number of seeds ({} and {} of {} seeds)",
                    summary.sites, first.sites, summary.planned_all
                )));
            }
            let shard = shard_or_whole(summary.shard);
            let lines = self.runs.values().filter(|(_, s, _)| *s == shard).count();
            if lines != summary.runs {
                return Err(inconsistent(format!(
                    "{at}: shard {shard}'s summary counts {} runs, but {lines} of its seed lines are here",
                    summary.runs
                )));
            }
        }
        let runs: Vec<SeedRun> = self.runs.into_values().map(|(run, _, _)| run).collect();
        // A replay with no checks is a seed given with --seed, not explored.
        let given_seed = summaries
            .iter()
            .any(|s| s.replay.as_ref().is_some_and(|r| r.checked == 0));
        let replay = if given_seed {
            runs.iter().find(|r| r.reproduced).map(|run| Replay {
                seed: run.seed,
                command: run.command.clone(),
                checked: 0,
                same: 0,
                budget_spent: false,
            })
        } else {
            choose_replay(&runs, &self.checks)
        };
        let interrupted = summaries
            .iter()
            .filter_map(|s| s.signal.as_deref())
            .next()
            .map(|name| {
                name.parse::<Signal>()
                    .map_err(|_| inconsistent(format!("unknown signal {name:?}")))
            })
            .transpose()?;
        let mut report = DiagnoseReport {
            exploration: self.exploration,
            sites: first.sites,
            // The shards built at the same time, on their own machines.
            build_time: Duration::from_secs_f64(
                summaries.iter().map(|s| s.build_ms).fold(0.0, f64::max) / 1e3,
            ),
            notes: first.notes.clone(),
            planned: summaries.iter().map(|s| s.planned).sum(),
            planned_all: first.planned_all,
            shard: None,
            hits: runs.iter().filter(|r| r.reproduced).count(),
            first_reproducing: runs.iter().find(|r| r.reproduced).map(|r| r.seed),
            replay,
            classes: diagnose::count_classes(&runs),
            test_failures: runs.iter().filter(|r| r.tests_failed).count(),
            failed_tests: diagnose::count_failed_tests(&runs),
            first_failing: runs.iter().find(|r| r.tests_failed).map(|r| r.seed),
            interrupted,
            runs,
        };
        if let Some(seed) = report.featured().map(|r| r.seed)
            && let Some(run) = report.runs.iter_mut().find(|r| r.seed == seed)
        {
            run.normalized = self.texts.remove(&run.signature).unwrap_or_default();
        }
        Ok(report)
    }
}

/// The seed whose replay command the report offers, chosen as one process chooses it: of the
/// [`diagnose::replay_candidates`], the first whose replays all gave its diagnosis again; if
/// none did, the first one checked.
///
/// Every seed this walk reaches was checked by its shard: the seeds before it in its shard
/// come before it overall, so they are reproducing seeds the walk passed, whose replays did not
/// all match, and its shard, walking its own seeds the same way, went on to it. A seed with
/// fewer than [`REPLAY_CHECKS`] checks had its shard's replay budget spent (or was cut short by
/// a signal); one with none ends the walk as it ended the shard's.
fn choose_replay(
    runs: &[SeedRun],
    checks: &BTreeMap<u64, Vec<(usize, bool, String)>>,
) -> Option<Replay> {
    let mut first_tried = None;
    for run in diagnose::replay_candidates(runs) {
        let made = checks.get(&run.seed.value).map_or(&[][..], Vec::as_slice);
        if made.is_empty() {
            break;
        }
        let replay = Replay {
            seed: run.seed,
            command: run.command.clone(),
            checked: made.len(),
            same: made.iter().filter(|(_, same, _)| *same).count(),
            budget_spent: made.len() < REPLAY_CHECKS,
        };
        if replay.same == replay.checked {
            return Some(replay);
        }
        first_tried.get_or_insert(replay);
    }
    first_tried
}

/// One run of `gorepro run`, as its closing summary needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunItem {
    /// Its place in the unsplit order of the plan.
    pub item: usize,
    pub scenario: String,
    pub variant: Variant,
    pub gomaxprocs: u32,
    /// Which repeat of the variant under this GOMAXPROCS (from 0).
    pub repeat: u32,
    pub matches: bool,
    /// Why the diagnosis does not meet the spec, one line each.
    pub mismatches: Vec<String>,
    pub signature: String,
    pub block_to_verdict: Option<Duration>,
    /// The command that replays it.
    pub replay: String,
}

/// A scenario variant whose repeats gave different normalized diagnoses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    pub scenario: String,
    pub variant: Variant,
    /// Each normalized diagnosis with its signature and how many runs gave it, by text.
    pub diagnoses: Vec<(String, String, usize)>,
}

/// The closing summary of `gorepro run`, of one process or merged from its shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The identity of the unsplit list of items ([`crate::shard::plan_key`]).
    pub plan: String,
    /// Items in the plan, every shard's together.
    pub items: usize,
    /// The share this summary covers; `None` for all of it.
    pub shard: Option<Shard>,
    /// Runs summarized.
    pub runs: usize,
    /// Per scenario variant, in the plan's order.
    pub rows: Vec<SummaryRow>,
    /// The signatures each row's runs gave, with counts, in the rows' order.
    pub signatures: Vec<Vec<(String, usize)>>,
    pub divergences: Vec<Divergence>,
    /// The runs whose diagnosis did not meet the spec, in the plan's order.
    pub mismatched: Vec<RunItem>,
}

impl RunSummary {
    /// Summarizes `runs` (in any order); `texts` maps their signatures to the normalized
    /// diagnoses, shown for the rows whose runs disagree.
    pub fn of(
        plan: &str,
        items: usize,
        shard: Option<Shard>,
        runs: &[RunItem],
        texts: &HashMap<String, String>,
    ) -> RunSummary {
        let mut ordered: Vec<&RunItem> = runs.iter().collect();
        ordered.sort_by_key(|r| r.item);
        let mut groups: Vec<((&str, Variant), Vec<&RunItem>)> = Vec::new();
        for run in &ordered {
            let key = (run.scenario.as_str(), run.variant);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(run),
                None => groups.push((key, vec![run])),
            }
        }
        let mut summary = RunSummary {
            plan: plan.to_string(),
            items,
            shard,
            runs: runs.len(),
            rows: Vec::new(),
            signatures: Vec::new(),
            divergences: Vec::new(),
            mismatched: ordered
                .iter()
                .filter(|r| !r.matches)
                .map(|r| (*r).clone())
                .collect(),
        };
        for ((scenario, variant), members) in groups {
            let mut signatures: BTreeMap<&str, usize> = BTreeMap::new();
            for run in &members {
                *signatures.entry(run.signature.as_str()).or_default() += 1;
            }
            let mut latencies: Vec<Duration> =
                members.iter().filter_map(|r| r.block_to_verdict).collect();
            latencies.sort();
            summary.rows.push(SummaryRow {
                scenario: scenario.to_string(),
                variant,
                runs: members.len(),
                matched: members.iter().filter(|r| r.matches).count(),
                distinct_diagnoses: signatures.len(),
                median_latency: latencies.get(latencies.len() / 2).copied(),
            });
            if signatures.len() > 1 {
                let mut diagnoses: Vec<(String, String, usize)> = signatures
                    .iter()
                    .map(|(signature, runs)| {
                        let text = texts.get(*signature).cloned().unwrap_or_default();
                        (text, signature.to_string(), *runs)
                    })
                    .collect();
                diagnoses.sort();
                summary.divergences.push(Divergence {
                    scenario: scenario.to_string(),
                    variant,
                    diagnoses,
                });
            }
            summary.signatures.push(
                signatures
                    .into_iter()
                    .map(|(s, n)| (s.to_string(), n))
                    .collect(),
            );
        }
        summary
    }

    /// Every run met its spec and the repeats of each variant agreed.
    pub fn ok(&self) -> bool {
        self.rows
            .iter()
            .all(|r| r.matched == r.runs && r.distinct_diagnoses == 1)
    }
}

/// Every `run` line of one plan.
struct PlanLines {
    plan: String,
    items: usize,
    splits: Splits,
    runs: BTreeMap<usize, (RunItem, String)>,
    texts: HashMap<String, String>,
}

impl PlanLines {
    fn new(line: &RunLine) -> PlanLines {
        PlanLines {
            plan: line.plan.clone(),
            items: line.items,
            splits: Splits::default(),
            runs: BTreeMap::new(),
            texts: HashMap::new(),
        }
    }

    fn what(&self) -> String {
        format!("run plan {} ({} items)", self.plan, self.items)
    }

    fn add(&mut self, line: RunLine, at: String) -> Result<(), MergeError> {
        let shard = shard_or_whole(line.shard);
        self.splits.see(line.shard);
        if line.items != self.items || line.item >= line.items {
            return Err(MergeError::Inconsistent {
                what: self.what(),
                message: format!(
                    "{at}: item {} of {} items does not belong to this plan",
                    line.item, line.items
                ),
            });
        }
        if !shard.takes(line.item as u64) {
            return Err(MergeError::Inconsistent {
                what: self.what(),
                message: format!("{at}: item {} is not one of shard {shard}'s", line.item),
            });
        }
        if let Some((_, first)) = self.runs.get(&line.item) {
            return Err(MergeError::Duplicate {
                what: format!("item {} ({} {})", line.item, line.scenario, line.variant),
                first: first.clone(),
                second: at,
            });
        }
        let variant = match line.variant.as_str() {
            "buggy" => Variant::Buggy,
            "fixed" => Variant::Fixed,
            other => {
                return Err(MergeError::Line {
                    at,
                    message: format!("unknown variant {other:?}"),
                });
            }
        };
        let block_to_verdict = latency(line.timings.verdict)
            .map_err(|message| MergeError::Line {
                at: at.clone(),
                message,
            })?
            .map(|l| l.block_to_verdict);
        self.texts
            .entry(line.signature.clone())
            .or_insert(line.normalized);
        let run = RunItem {
            item: line.item,
            scenario: line.scenario,
            variant,
            gomaxprocs: line.gomaxprocs,
            repeat: line.repeat,
            matches: line.matches,
            mismatches: line.mismatches,
            signature: line.signature,
            block_to_verdict,
            replay: line.replay,
        };
        self.runs.insert(run.item, (run, at));
        Ok(())
    }

    fn summary(self) -> Result<RunSummary, MergeError> {
        let count = self
            .splits
            .count("run")
            .map_err(|message| MergeError::Inconsistent {
                what: self.what(),
                message,
            })?;
        let missing_items: Vec<usize> = (0..self.items)
            .filter(|item| !self.runs.contains_key(item))
            .collect();
        if !missing_items.is_empty() {
            return Err(MergeError::Missing {
                what: self.what(),
                shards: owners(missing_items.iter().map(|&item| item as u64), count),
                detail: format!(
                    " ({} of {} items missing, the first {})",
                    missing_items.len(),
                    self.items,
                    missing_items[0]
                ),
            });
        }
        let runs: Vec<RunItem> = self.runs.into_values().map(|(run, _)| run).collect();
        Ok(RunSummary::of(
            &self.plan,
            self.items,
            None,
            &runs,
            &self.texts,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_one_run_come_from_one_split() {
        let shard = |index| Shard { index, count: 3 };
        let mut splits = Splits::default();
        assert_eq!(splits.count("run"), Ok(1));
        splits.see(Some(shard(2)));
        assert_eq!(splits.count("run"), Ok(3));
        splits.see(None);
        assert_eq!(
            splits.count("run"),
            Err(
                "lines of different splits (unsplit, 3 shards): merge the shards of one run".into()
            )
        );
        assert_eq!(owners([4, 1, 7, 2], 3), [shard(2), shard(3)]);
    }
    use crate::diagnose::tests::sample_run;
    use crate::diagnose::{Progress, ReplayCheck};
    use crate::report;

    fn exploration() -> Exploration {
        Exploration {
            path: "/src/myservice/lock".into(),
            import_path: "myservice/lock".into(),
            package: "lock".into(),
            mode: "test".into(),
            test: None,
            test_flags: Vec::new(),
            go_version: "go1.26.8".into(),
            gomaxprocs: 2,
            schedule_version: 2,
            build: "0123456789abcdef".into(),
        }
    }

    /// Seeds 1..=8: 3, 4 and 7 deadlock, 6 fails a test; the replays of seed 3 differ once,
    /// those of 4 and 7 match.
    fn runs() -> Vec<SeedRun> {
        (1..=8)
            .map(|value| match value {
                3 | 4 | 7 => sample_run(value, Outcome::Deadlock, Some("mutex.double-lock"), &[]),
                6 => sample_run(value, Outcome::Clean, None, &["TestA"]),
                _ => sample_run(value, Outcome::Clean, None, &[]),
            })
            .collect()
    }

    fn same_replays(seed: u64) -> bool {
        seed != 3
    }

    /// The lines one process writes for its share of `runs()`, replaying its own first
    /// reproducing seeds as `diagnose` does.
    fn lines_of(shard: Option<Shard>) -> String {
        let exploration = exploration();
        let mine: Vec<SeedRun> = runs()
            .into_iter()
            .filter(|r| shard_or_whole(shard).takes(r.seed.value - 1))
            .collect();
        let mut out = String::new();
        for run in &mine {
            let event = Progress::Explored {
                exploration: &exploration,
                run,
                planned: Some(8),
            };
            out += &report::render_diagnose_line(&event, shard).unwrap();
            out.push('\n');
        }
        let mut replay = None;
        for run in diagnose::replay_candidates(&mine) {
            for check in 1..=REPLAY_CHECKS {
                let same = same_replays(run.seed.value) || check == 1;
                let event = Progress::Replayed {
                    exploration: &exploration,
                    run,
                    check: ReplayCheck {
                        check,
                        of: REPLAY_CHECKS,
                        same,
                    },
                };
                out += &report::render_diagnose_line(&event, shard).unwrap();
                out.push('\n');
            }
            let same = if same_replays(run.seed.value) { 2 } else { 1 };
            let this = Replay {
                seed: run.seed,
                command: run.command.clone(),
                checked: REPLAY_CHECKS,
                same,
                budget_spent: false,
            };
            if same == REPLAY_CHECKS {
                replay = Some(this);
                break;
            }
            replay.get_or_insert(this);
        }
        let report = DiagnoseReport {
            exploration: exploration.clone(),
            sites: 4,
            build_time: Duration::from_millis(300),
            notes: vec![],
            planned: mine.len(),
            planned_all: 8,
            shard,
            hits: mine.iter().filter(|r| r.reproduced).count(),
            first_reproducing: mine.iter().find(|r| r.reproduced).map(|r| r.seed),
            replay,
            classes: diagnose::count_classes(&mine),
            test_failures: mine.iter().filter(|r| r.tests_failed).count(),
            failed_tests: diagnose::count_failed_tests(&mine),
            first_failing: mine.iter().find(|r| r.tests_failed).map(|r| r.seed),
            interrupted: None,
            runs: mine,
        };
        out + &report::render_diagnose_summary(&report) + "\n"
    }

    #[test]
    fn shards_of_an_exploration_merge_into_the_unsplit_report() {
        let whole = lines_of(None);
        let unsplit = merge([("whole", whole.as_str())]).unwrap();
        let unsplit = report::render_diagnose(&unsplit.explorations[0]);
        // Seed 3 replays differently, so the unsplit process offers seed 4 (checked 2/2).
        assert!(unsplit.contains("bug hit rate: 3/8 runs"), "{unsplit}");
        assert!(unsplit.contains("--seed v3:4 "), "{unsplit}");
        assert!(
            unsplit.contains("(seed v3:4 replayed 2/2 times"),
            "{unsplit}"
        );
        assert!(
            unsplit.contains("diagnosis (seed v3:4):\n  outcome:  deadlock"),
            "{unsplit}"
        );
        for count in 2..=5 {
            let files: Vec<String> = (1..=count)
                .map(|index| lines_of(Some(Shard { index, count })))
                .collect();
            let merged = merge(
                files
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (["a", "b", "c", "d", "e"][i], f.as_str())),
            )
            .unwrap_or_else(|e| panic!("{count} shards: {e}"));
            assert_eq!(merged.explorations.len(), 1);
            assert!(merged.has_findings());
            let report = &merged.explorations[0];
            assert_eq!(report::render_diagnose(report), unsplit, "{count} shards");
            assert_eq!(
                report::render_diagnose_summary(report),
                report::render_diagnose_summary(
                    &merge([("whole", whole.as_str())]).unwrap().explorations[0]
                ),
            );
        }
    }

    #[test]
    fn lines_that_do_not_make_one_report_are_refused() {
        let shard = |index| lines_of(Some(Shard { index, count: 3 }));
        let (a, b, c) = (shard(1), shard(2), shard(3));
        let missing = merge([("a", a.as_str()), ("c", c.as_str())]).unwrap_err();
        assert!(
            matches!(&missing, MergeError::Missing { shards, .. } if shards == &[Shard { index: 2, count: 3 }]),
            "{missing}"
        );
        let twice = merge([
            ("a", a.as_str()),
            ("b", b.as_str()),
            ("b2", b.as_str()),
            ("c", c.as_str()),
        ])
        .unwrap_err();
        assert!(matches!(twice, MergeError::Duplicate { .. }), "{twice}");
        // The summary of an unsplit process beside shards of three.
        let whole = lines_of(None);
        let unsplit_summary = whole.lines().last().unwrap();
        let mixed = merge([
            ("whole", unsplit_summary),
            ("b", b.as_str()),
            ("c", c.as_str()),
        ])
        .unwrap_err();
        assert!(matches!(mixed, MergeError::Inconsistent { .. }), "{mixed}");
        // A seed line dropped from a shard's file: its summary counts it.
        let cut: String = b.lines().skip(1).map(|l| format!("{l}\n")).collect();
        let short = merge([("a", a.as_str()), ("b", cut.as_str()), ("c", c.as_str())]).unwrap_err();
        assert!(matches!(short, MergeError::Inconsistent { .. }), "{short}");
        let garbage = merge([("g", "{\"kind\":\"nonsense\"}\n")]).unwrap_err();
        assert!(
            matches!(&garbage, MergeError::Line { at, .. } if at == "g:1"),
            "{garbage}"
        );
    }

    fn item(item: usize, variant: Variant, signature: &str, matches: bool) -> RunItem {
        RunItem {
            item,
            scenario: "wg-reuse".into(),
            variant,
            gomaxprocs: 1 + (item % 2) as u32,
            repeat: (item / 2) as u32,
            matches,
            mismatches: if matches {
                vec![]
            } else {
                vec!["class x, diagnosed y".into()]
            },
            signature: signature.into(),
            block_to_verdict: Some(Duration::from_micros(1000 + item as u64)),
            replay: format!("gorepro run wg-reuse --variant {variant}"),
        }
    }

    #[test]
    fn repeats_that_disagree_across_shards_are_a_divergence() {
        let texts: HashMap<String, String> =
            [("s1", "outcome: leak\n"), ("s2", "outcome: clean\n")]
                .into_iter()
                .map(|(s, t)| (s.to_string(), t.to_string()))
                .collect();
        // Items 0..4 buggy, 4..8 fixed; the fixed variant's items on shard 2 of 2 (5 and 7)
        // diagnosed differently from those on shard 1 (4 and 6).
        let items: Vec<RunItem> = (0..8)
            .map(|i| {
                let variant = if i < 4 {
                    Variant::Buggy
                } else {
                    Variant::Fixed
                };
                let shard_two_fixed = i >= 4 && i % 2 == 1;
                let signature = if i < 4 || shard_two_fixed { "s1" } else { "s2" };
                item(i, variant, signature, !shard_two_fixed)
            })
            .collect();
        let whole = RunSummary::of("plan", 8, None, &items, &texts);
        assert!(!whole.ok());
        assert_eq!(whole.divergences.len(), 1);
        assert_eq!(whole.divergences[0].variant, Variant::Fixed);
        assert_eq!(
            whole.divergences[0].diagnoses,
            vec![
                ("outcome: clean\n".to_string(), "s2".to_string(), 2),
                ("outcome: leak\n".to_string(), "s1".to_string(), 2)
            ]
        );
        assert_eq!(
            whole.mismatched.iter().map(|r| r.item).collect::<Vec<_>>(),
            [5, 7]
        );
        // Each shard alone sees one diagnosis per variant: only the merge sees both.
        let shard = |index| {
            let shard = Shard { index, count: 2 };
            let mine: Vec<RunItem> = items
                .iter()
                .filter(|r| shard.takes(r.item as u64))
                .cloned()
                .collect();
            RunSummary::of("plan", 8, Some(shard), &mine, &texts)
        };
        assert!(shard(1).divergences.is_empty() && shard(1).ok());
        assert!(shard(2).divergences.is_empty() && !shard(2).ok());
        // The order the lines come in does not matter.
        let reversed: Vec<RunItem> = items.iter().rev().cloned().collect();
        assert_eq!(RunSummary::of("plan", 8, None, &reversed, &texts), whole);
    }
}
