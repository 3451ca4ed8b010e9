//! Fuzzing against oracles: tier 1 (catalog parameters against the spec's rule) and tier 2
//! (generated programs against the model checker), and proof that the oracles bite.
//!
//! `PROPTEST_CASES` sets the number of cases of each property (default: a bounded CI pass).
//! Failures persist in `fuzz.proptest-regressions` beside this file and run first; a real find
//! is promoted to `scenarios/regressions/`.

use gorepro::Diagnosis;
use gorepro::fuzz::batch::{self, Batch, Case};
use gorepro::fuzz::lang::{self, Program};
use gorepro::fuzz::model;
use gorepro::fuzz::render::Mutation;
use gorepro::{Config, Harness};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence, TestRunner};

/// Average programs per tier-2 case (1 to twice this, so a failure shrinks to one program); a
/// case's programs share one build.
const BATCH: usize = 24;

fn harness() -> Harness {
    Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"))
}

/// `PROPTEST_CASES`, or `default` for the bounded CI pass.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        // Each shrink step is a build and a run; enough to reach a one-program batch and
        // shrink that program's operations.
        max_shrink_iters: 300,
        ..ProptestConfig::default()
    }
}

/// Builds the supported programs into one batch and checks every one of them.
fn run_batch(
    harness: &Harness,
    programs: Vec<Program>,
    mutation: Mutation,
    corrupt: &(dyn Fn(&mut Diagnosis) + Sync),
) -> (Batch, Vec<Case>) {
    let programs: Vec<Program> = programs
        .into_iter()
        .filter(|p| model::analyze(p).unsupported.is_none())
        .collect();
    let batch = batch::build_batch(harness, &programs, mutation, &harness.config.cache_dir)
        .unwrap_or_else(|e| panic!("{e}"));
    let cases = batch::check(harness, &batch, 2, None, corrupt).unwrap_or_else(|e| panic!("{e}"));
    (batch, cases)
}

/// Properties 1 and 2 for one case; `Err` explains the failure.
fn properties(harness: &Harness, batch: &Batch, case: &Case) -> Result<(), String> {
    if case.expected.len() == 1 && case.observed != case.expected[0] {
        return Err(format!(
            "the model says every schedule ends in one state, Go ended in another\n{}",
            batch::explain(harness, batch, case)
        ));
    }
    if !case.observed_is_reachable() {
        return Err(format!(
            "Go ended in a state the model says is unreachable\n{}",
            batch::explain(harness, batch, case)
        ));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(4))]

    /// Every generated program ends, in Go, in a state the model can reach, and in the only one
    /// when the model says there is only one.
    #[test]
    fn tier2_go_ends_where_the_model_says(programs in prop::collection::vec(lang::program(), 1..=2 * BATCH)) {
        let harness = harness();
        let (batch, cases) = run_batch(&harness, programs, Mutation::None, &|_| {});
        for case in &cases {
            properties(&harness, &batch, case).map_err(TestCaseError::fail)?;
        }
    }
}

proptest! {
    #![proptest_config(config(3))]

    /// Under a schedule the model picks from the seed and Go is forced to follow
    /// (`support.Turn`), Go ends exactly where the model says that schedule ends.
    #[test]
    fn tier2_forced_schedules_end_where_the_model_says(
        programs in prop::collection::vec(lang::program(), 1..=2 * BATCH),
        seed in any::<u64>(),
    ) {
        let harness = harness();
        let programs: Vec<Program> = programs
            .into_iter()
            .filter(|p| model::analyze(p).unsupported.is_none())
            .collect();
        let batch = batch::build_batch(&harness, &programs, Mutation::None, &harness.config.cache_dir)
            .unwrap_or_else(|e| panic!("{e}"));
        let cases = batch::check(&harness, &batch, 2, Some(seed), &|_| {}).unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(cases.len() * 2 >= programs.len(), "the model found a forced schedule for only {} of {} programs", cases.len(), programs.len());
        for case in &cases {
            prop_assert!(
                case.observed == case.expected[0],
                "the forced schedule ended elsewhere than the model says\n{}",
                batch::explain(&harness, &batch, case)
            );
        }
    }
}

/// A fixed sample of generated programs (deterministic seed) for the mutation tests.
fn sample(n: usize) -> Vec<Program> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| lang::program().new_tree(&mut runner).unwrap().current())
        .collect()
}

fn failures(harness: &Harness, batch: &Batch, cases: &[Case]) -> usize {
    cases
        .iter()
        .filter(|c| properties(harness, batch, c).is_err())
        .count()
}

#[test]
fn tier2_the_unmutated_sample_agrees_and_mutations_are_caught() {
    let harness = harness();
    let programs = sample(48);
    let (batch, cases) = run_batch(&harness, programs.clone(), Mutation::None, &|_| {});
    for case in &cases {
        if let Err(why) = properties(&harness, &batch, case) {
            panic!("{why}");
        }
    }
    for mutation in [Mutation::DropUnlock, Mutation::BiggerBuffers] {
        let (batch, cases) = run_batch(&harness, programs.clone(), mutation, &|_| {});
        let caught = failures(&harness, &batch, &cases);
        assert!(caught > 0, "renderer mutation {mutation:?} went unnoticed");
        eprintln!(
            "renderer mutation {mutation:?}: {caught} of {} programs disagree",
            cases.len()
        );
    }
    // Property 3 alone (forced schedules) catches the buffer mutation too.
    let batch = batch::build_batch(
        &harness,
        &programs,
        Mutation::BiggerBuffers,
        &harness.config.cache_dir,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cases =
        batch::check(&harness, &batch, 2, Some(7), &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let caught = cases.iter().filter(|c| c.observed != c.expected[0]).count();
    assert!(caught > 0, "forced schedules missed the buffer mutation");
    eprintln!(
        "renderer mutation BiggerBuffers under forced schedules: {caught} of {} programs disagree",
        cases.len()
    );
    // A classifier that confuses a send with a receive.
    let swap = |d: &mut Diagnosis| {
        for group in &mut d.stuck {
            group.wait = match group.wait.as_str() {
                "chan send" => "chan receive".into(),
                "chan receive" => "chan send".into(),
                other => other.into(),
            };
        }
    };
    let (batch, cases) = run_batch(&harness, programs.clone(), Mutation::None, &swap);
    let caught = failures(&harness, &batch, &cases);
    assert!(
        caught > 0,
        "the send/receive classifier mutation went unnoticed"
    );
    eprintln!(
        "classifier mutation (send/receive swapped): {caught} of {} programs disagree",
        cases.len()
    );
    // A classifier that calls every leak a deadlock.
    let leak_as_deadlock = |d: &mut Diagnosis| {
        if d.outcome == gorepro::Outcome::Leak {
            d.outcome = gorepro::Outcome::Deadlock;
        }
    };
    let (batch, cases) = run_batch(&harness, programs, Mutation::None, &leak_as_deadlock);
    let caught = failures(&harness, &batch, &cases);
    assert!(
        caught > 0,
        "the leak-as-deadlock classifier mutation went unnoticed"
    );
}

/// Tier 1: every parameterised catalog scenario, at parameter points drawn from its domain, with
/// the variant drawn too (a build per point is the cost, so the bounded pass draws one point per
/// scenario), diagnoses as its spec's rule says (`when` clauses and `count_of`).
#[test]
fn tier1_catalog_parameters_follow_the_spec_rule() {
    use gorepro::scenario::{Params, Variant};
    let harness = harness();
    let mut failures = Vec::new();
    for scenario in harness
        .catalog
        .scenarios
        .iter()
        .filter(|s| !s.params.is_empty())
    {
        let mut config = config(1);
        config.source_file = Some(file!());
        let mut runner = TestRunner::new(config);
        let domain: Vec<_> = scenario.params.iter().map(|p| p.min..=p.max).collect();
        let result = runner.run(&(domain, any::<bool>()), |(values, fixed)| {
            let variant = if fixed {
                Variant::Fixed
            } else {
                Variant::Buggy
            };
            let params = Params(
                scenario
                    .params
                    .iter()
                    .zip(&values)
                    .map(|(p, v)| (p.name.clone(), *v))
                    .collect(),
            );
            let options = gorepro::RunOptions {
                gomaxprocs: 2,
                label: "tier1".into(),
            };
            let record = harness
                .reproduce(scenario, variant, &params, &options)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            if record.matches {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!(
                    "{} ({variant}) at {:?}: {}; diagnosed {} {:?}; evidence {}; replay: {}",
                    scenario.id,
                    params.0,
                    record.mismatches.join("; "),
                    record.observed_outcome,
                    record.observed_class.unwrap_or("none"),
                    record.evidence_dir,
                    record.replay,
                )))
            }
        });
        if let Err(e) = result {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A real find of the fuzzer, kept as data in `scenarios/regressions/`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Regression {
    #[allow(dead_code)] // read by people
    title: String,
    #[allow(dead_code)]
    found: String,
    /// `unsupported`, or an end state of the model (`clean`, `deadlock: ...`, as displayed).
    expect: String,
    program: Program,
}

#[test]
fn fuzz_regressions_keep_their_verdict() {
    let dir = harness().config.root.join("scenarios/regressions");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let regression: Regression =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let analysis = model::analyze(&regression.program);
        let verdict = match &analysis.unsupported {
            Some(_) => vec!["unsupported".to_string()],
            None => analysis.terminals.iter().map(|t| t.to_string()).collect(),
        };
        assert!(
            verdict.contains(&regression.expect),
            "{}: the model now says {verdict:?}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked > 0, "no regressions in {}", dir.display());
}
