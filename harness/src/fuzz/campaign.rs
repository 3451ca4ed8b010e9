//! A tier-2 fuzz campaign (`gorepro fuzz`): batches of generated programs checked against the
//! model, each batch built once, the next batch built while the current one runs.
//!
//! Batch `b` of the campaign seeded `s` is drawn from its own random stream (ChaCha seeded with
//! `s` and `b`), so it is the same programs on every machine, whichever shard draws it and
//! whatever batches came before; a shard ([`crate::shard`]) takes the batches whose index `b`
//! is its own. With `forced`, each program runs under a schedule the model picks from the seed,
//! the batch and the program's place (`support.Turn` forces it), and must end exactly where the
//! model says; otherwise it must end in a state the model can reach, and in the only one when
//! the model says there is one.

use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};

use super::batch::{self, Batch, Case};
use super::lang::{self, Program};
use super::model;
use super::render::Mutation;
use crate::{Error, Harness, interrupt};

/// What identifies a campaign: lines of processes with equal campaigns are shares of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub go_version: String,
    pub seed: u64,
    pub batches: u32,
    /// Programs per batch.
    pub programs: usize,
    /// Programs run under a schedule the model forces.
    pub forced: bool,
}

/// A case that broke a property, with what is needed to tell who is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The program's place in its batch.
    pub index: usize,
    pub gomaxprocs: u32,
    /// Which property it broke.
    pub property: String,
    pub observed: String,
    /// The end states the model allows.
    pub expected: Vec<String>,
    /// The program as Go, the model's states, the evidence and a replay command.
    pub explanation: String,
}

/// One batch, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResult {
    /// From 0.
    pub batch: u32,
    /// A hash of the batch's Go source: equal on every machine that drew the batch.
    pub source: String,
    /// Programs checked (with `forced`, those the model found a schedule for).
    pub checked: usize,
    /// Of those, the ones that kept every property.
    pub agree: usize,
    pub failures: Vec<Failure>,
    #[serde(rename = "build_ms", with = "millis")]
    pub build: Duration,
    /// The binary was in gorepro's cache (the batch ran before with this Go).
    pub cached: bool,
    #[serde(rename = "check_ms", with = "millis")]
    pub check: Duration,
}

mod millis {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = <f64 as serde::Deserialize>::deserialize(d)?;
        Ok(Duration::from_secs_f64(ms.max(0.0) / 1e3))
    }
}

/// What a process (or a merge) reports of a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct FuzzReport {
    pub campaign: Campaign,
    /// The share this report covers; `None` for all of it.
    pub shard: Option<crate::shard::Shard>,
    /// The batches this process set out to check.
    pub planned: usize,
    /// The batches checked, in batch order.
    pub batches: Vec<BatchResult>,
    pub interrupted: Option<nix::sys::signal::Signal>,
}

impl FuzzReport {
    pub fn checked(&self) -> usize {
        self.batches.iter().map(|b| b.checked).sum()
    }

    pub fn agree(&self) -> usize {
        self.batches.iter().map(|b| b.agree).sum()
    }

    /// A program broke a property: what makes `gorepro fuzz` exit 1.
    pub fn has_findings(&self) -> bool {
        self.agree() < self.checked()
    }
}

/// The programs of batch `batch` of the campaign seeded `seed`: `programs` the model supports.
pub fn draw(seed: u64, batch: u32, programs: usize) -> Vec<Program> {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..12].copy_from_slice(&batch.to_le_bytes());
    key[12..].copy_from_slice(b"gorepro fuzz tier 2 ");
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
    let mut runner = TestRunner::new_with_rng(ProptestConfig::default(), rng);
    let mut drawn = Vec::with_capacity(programs);
    while drawn.len() < programs {
        let program = lang::program()
            .new_tree(&mut runner)
            .expect("the program strategy never rejects")
            .current();
        if model::analyze(&program).unsupported.is_none() {
            drawn.push(program);
        }
    }
    drawn
}

/// Which property a case breaks, if any.
pub fn broken_property(case: &Case) -> Option<&'static str> {
    if case.schedule.is_some() {
        return (case.observed != case.expected[0])
            .then_some("the forced schedule ended elsewhere than the model says");
    }
    if case.expected.len() == 1 && case.observed != case.expected[0] {
        return Some("the model says every schedule ends in one state, Go ended in another");
    }
    (!case.observed_is_reachable()).then_some("Go ended in a state the model says is unreachable")
}

/// The seed of the forced schedules of one batch.
fn forced_seed(seed: u64, batch: u32) -> u64 {
    seed.rotate_left(17) ^ u64::from(batch).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn build(harness: &Harness, campaign: &Campaign, batch: u32) -> Result<Batch, Error> {
    let programs = draw(campaign.seed, batch, campaign.programs);
    batch::build_batch(
        harness,
        &programs,
        Mutation::None,
        &harness.config.cache_dir,
    )
}

/// Checks the campaign's `batches` in order, building each next batch while the current one
/// runs, and hands each result to `on_batch` as it is done. After SIGINT or SIGTERM no batch
/// starts and the batch the signal cut short is dropped; the signal is returned.
pub fn run(
    harness: &Harness,
    campaign: &Campaign,
    workers: usize,
    batches: impl IntoIterator<Item = u32>,
    mut on_batch: impl FnMut(BatchResult),
) -> Result<Option<nix::sys::signal::Signal>, Error> {
    let mut batches = batches.into_iter();
    std::thread::scope(|scope| {
        let start = |batch: u32| {
            scope.spawn(move || {
                let started = Instant::now();
                build(harness, campaign, batch).map(|built| (batch, built, started.elapsed()))
            })
        };
        let mut next = batches.next().map(start);
        while let Some(building) = next.take() {
            let built = building.join().expect("a batch build does not panic");
            if let Some(signal) = interrupt::received() {
                return Ok(Some(signal));
            }
            let (index, built, build_time) = built?;
            next = batches.next().map(start);
            let started = Instant::now();
            let forced = campaign.forced.then(|| forced_seed(campaign.seed, index));
            let cases = batch::check(harness, &built, workers, forced, &|_| {})?;
            if let Some(signal) = interrupt::received() {
                if let Some(building) = next.take() {
                    let _ = building.join();
                }
                return Ok(Some(signal));
            }
            let failures: Vec<Failure> = cases
                .iter()
                .filter_map(|case| {
                    broken_property(case).map(|property| Failure {
                        index: case.index,
                        gomaxprocs: case.gomaxprocs,
                        property: property.to_string(),
                        observed: case.observed.to_string(),
                        expected: case.expected.iter().map(ToString::to_string).collect(),
                        explanation: batch::explain(harness, &built, case),
                    })
                })
                .collect();
            on_batch(BatchResult {
                batch: index,
                source: blake3::hash(built.rendered.source.as_bytes()).to_hex()[..16].to_string(),
                checked: cases.len(),
                agree: cases.len() - failures.len(),
                failures,
                build: build_time,
                cached: built.cached,
                check: started.elapsed(),
            });
        }
        Ok(None)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_the_same_programs_whatever_was_drawn_before() {
        let alone = draw(7, 3, 12);
        let _ = draw(7, 2, 40);
        assert_eq!(draw(7, 3, 12), alone);
        assert_ne!(draw(7, 4, 12), alone);
        assert_ne!(draw(8, 3, 12), alone);
        assert_eq!(alone.len(), 12);
        assert!(
            alone
                .iter()
                .all(|p| model::analyze(p).unsupported.is_none())
        );
    }
}
