//! Tier 1 as a campaign (`gorepro fuzz --tier 1`): every parameterised scenario of the catalog,
//! at points of its parameter domain drawn from a seed, with the variant drawn too, must
//! diagnose as its spec's rule says at that point ([`super::rule`]).
//!
//! The items are (scenario, point) in catalog order, `points` per scenario; point `p` of a
//! scenario comes from its own random stream (ChaCha seeded with the seed, the scenario's id
//! and `p`), so an item is the same run on every machine and shard ([`crate::shard`]).

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};

use crate::scenario::{Catalog, Params, Scenario, Variant};
use crate::{Error, Harness, RunOptions, interrupt};

/// What identifies a tier-1 campaign: lines of processes with equal ones are shares of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointCampaign {
    pub go_version: String,
    pub seed: u64,
    /// Points per parameterised scenario.
    pub points: u32,
}

/// One point of one scenario.
#[derive(Debug, Clone)]
pub struct Point<'a> {
    pub scenario: &'a Scenario,
    pub variant: Variant,
    pub params: Params,
}

/// A point, run and compared with the spec's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointResult {
    /// The point's place among the campaign's items, from 0.
    pub item: usize,
    pub scenario: String,
    pub variant: String,
    pub params: std::collections::BTreeMap<String, i64>,
    pub matches: bool,
    /// Why the diagnosis does not meet the rule at this point, one line each.
    pub mismatches: Vec<String>,
    /// `outcome class` as diagnosed.
    pub observed: String,
    pub evidence_dir: String,
    pub replay: String,
}

/// What a process (or a merge) reports of a tier-1 campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct PointReport {
    pub campaign: PointCampaign,
    pub shard: Option<crate::shard::Shard>,
    /// Items of the whole campaign.
    pub items: usize,
    /// The items this process set out to run.
    pub planned: usize,
    /// The points run, in item order.
    pub results: Vec<PointResult>,
    pub interrupted: Option<nix::sys::signal::Signal>,
}

impl PointReport {
    pub fn failures(&self) -> usize {
        self.results.iter().filter(|r| !r.matches).count()
    }
}

/// Every item of the campaign, in order.
pub fn items<'a>(catalog: &'a Catalog, campaign: &PointCampaign) -> Vec<Point<'a>> {
    let mut items = Vec::new();
    for scenario in catalog.scenarios.iter().filter(|s| !s.params.is_empty()) {
        let domain: Vec<_> = scenario.params.iter().map(|p| p.min..=p.max).collect();
        for point in 0..campaign.points {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&campaign.seed.to_le_bytes());
            key[8..12].copy_from_slice(&point.to_le_bytes());
            key[12..].copy_from_slice(&blake3::hash(scenario.id.as_bytes()).as_bytes()[..20]);
            let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
            let mut runner = TestRunner::new_with_rng(ProptestConfig::default(), rng);
            let (values, fixed) = (domain.clone(), proptest::bool::ANY)
                .new_tree(&mut runner)
                .expect("ranges and booleans never reject")
                .current();
            items.push(Point {
                scenario,
                variant: if fixed {
                    Variant::Fixed
                } else {
                    Variant::Buggy
                },
                params: Params(
                    scenario
                        .params
                        .iter()
                        .zip(values)
                        .map(|(p, v)| (p.name.clone(), v))
                        .collect(),
                ),
            });
        }
    }
    items
}

/// Runs the items of `campaign` at the positions `mine` (in order) and hands each result to
/// `on_result` as it is done. After SIGINT or SIGTERM no run starts and the one the signal
/// cut short is dropped; the signal is returned.
pub fn run(
    harness: &Harness,
    campaign: &PointCampaign,
    mine: &[usize],
    mut on_result: impl FnMut(PointResult),
) -> Result<Option<nix::sys::signal::Signal>, Error> {
    let all = items(&harness.catalog, campaign);
    for &item in mine {
        if let Some(signal) = interrupt::received() {
            return Ok(Some(signal));
        }
        let point = &all[item];
        // Its own evidence dir: the tier-1 test and other shards may run the same scenario
        // variant at the same time.
        let options = RunOptions {
            gomaxprocs: 2,
            label: format!("point{item}"),
        };
        let record = harness.reproduce(point.scenario, point.variant, &point.params, &options)?;
        if let Some(signal) = interrupt::received() {
            return Ok(Some(signal));
        }
        on_result(PointResult {
            item,
            scenario: record.scenario.clone(),
            variant: record.variant.to_string(),
            params: point.params.0.clone(),
            matches: record.matches,
            mismatches: record.mismatches.clone(),
            observed: match record.observed_class {
                Some(class) => format!("{} {class}", record.observed_outcome),
                None => record.observed_outcome.to_string(),
            },
            evidence_dir: record.evidence_dir.clone(),
            replay: record.replay.clone(),
        });
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn a_point_is_the_same_whatever_else_was_drawn() {
        let config = Config::from_env().unwrap();
        let catalog = Catalog::load(&config.scenarios_dir(), &config.samples_dir()).unwrap();
        let campaign = |seed, points| PointCampaign {
            go_version: "go1.26.8".into(),
            seed,
            points,
        };
        let key = |points: Vec<Point<'_>>| -> Vec<(String, Variant, Params)> {
            points
                .into_iter()
                .map(|p| (p.scenario.id.clone(), p.variant, p.params))
                .collect()
        };
        let four = key(items(&catalog, &campaign(3, 4)));
        let two = key(items(&catalog, &campaign(3, 2)));
        let parameterised = catalog
            .scenarios
            .iter()
            .filter(|s| !s.params.is_empty())
            .count();
        assert!(parameterised > 0);
        assert_eq!(four.len(), 4 * parameterised);
        // The first two points of each scenario do not depend on how many are drawn.
        let firsts: Vec<_> = four.chunks(4).flat_map(|c| c[..2].to_vec()).collect();
        assert_eq!(firsts, two);
        assert_ne!(key(items(&catalog, &campaign(4, 2))), two);
        for point in items(&catalog, &campaign(3, 4)) {
            for spec in &point.scenario.params {
                let value = point.params.0[&spec.name];
                assert!(
                    (spec.min..=spec.max).contains(&value),
                    "{value} out of {}",
                    spec.name
                );
            }
        }
    }
}
