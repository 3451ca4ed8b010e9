//! Fuzzing against oracles: tier 1 (catalog parameters against the spec's rule) and tier 2
//! (generated programs against the model checker), and proof that the oracles bite.
//!
//! `PROPTEST_CASES` sets the number of cases of each property (default: a bounded CI pass).
//! Failures persist under `harness/tests/integration/fuzz.proptest-regressions` and run first.

use gorepro::fuzz::batch::{self, Case};
use gorepro::fuzz::lang::{self, Op, Program};
use gorepro::fuzz::render::{self, Mutation};
use gorepro::{Config, Harness};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};

fn harness() -> Harness {
    Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"))
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `programs` as one batch and returns the cases.
fn check(harness: &Harness, programs: &[Program], mutation: Mutation) -> Vec<Case> {
    let batch = batch::build_batch(harness, programs, mutation, &harness.config.cache_dir)
        .unwrap_or_else(|e| panic!("{e}"));
    batch::check(harness, &batch, 2, &|_| {}).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn fuzz_smoke() {
    let harness = harness();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let programs: Vec<Program> = (0..40)
        .map(|_| lang::program().new_tree(&mut runner).unwrap().current())
        .collect();
    let results = check(&harness, &programs, Mutation::None);
    let mut bad = 0;
    for case in &results {
        eprintln!(
            "{} {:?} -> {} ({} states, {} terminals)",
            case.index,
            programs[case.index].goroutines,
            case.observed,
            case.analysis.states,
            case.expected.len()
        );
        if !case.observed_is_reachable() {
            bad += 1;
            eprintln!("---- program {}: {:?}", case.index, programs[case.index]);
            eprintln!("observed: {}", case.observed);
            for e in &case.expected {
                eprintln!("  model: {e}");
            }
            eprintln!("  evidence: {}", case.evidence_dir.display());
        }
    }
    assert_eq!(bad, 0);
}
