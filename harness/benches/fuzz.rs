//! `cargo bench --bench fuzz`: tier-2 throughput, checked programs per second (model check, run,
//! classify, compare), batched (one `go build` for all) against naive (one build per program),
//! measured in the same run. `GOREPRO_BENCH_PROGRAMS` sets the batch size (default 64).

use std::time::Instant;

use gorepro::fuzz::batch;
use gorepro::fuzz::lang;
use gorepro::fuzz::render::Mutation;
use gorepro::{Config, Harness};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn main() {
    let n: usize = std::env::var("GOREPRO_BENCH_PROGRAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let harness =
        Harness::new(Config::from_env().expect("settings")).unwrap_or_else(|e| panic!("{e}"));
    let mut runner = TestRunner::deterministic();
    let programs: Vec<_> = (0..n)
        .map(|_| lang::program().new_tree(&mut runner).unwrap().current())
        .filter(|p| gorepro::fuzz::model::analyze(p).unsupported.is_none())
        .collect();
    let scratch = tempfile::tempdir().unwrap();

    let started = Instant::now();
    let built = batch::build_batch(&harness, &programs, Mutation::None, scratch.path()).unwrap();
    let cases = batch::check(&harness, &built, 2, None, &|_| {}).unwrap();
    let batched = started.elapsed();
    let agree = cases.iter().filter(|c| c.observed_is_reachable()).count();

    let naive_n = programs.len().min(8);
    let started = Instant::now();
    for (i, program) in programs.iter().take(naive_n).enumerate() {
        let dir = scratch.path().join(format!("naive-{i}"));
        let one = batch::build_batch(
            &harness,
            std::slice::from_ref(program),
            Mutation::None,
            &dir,
        )
        .unwrap();
        batch::check(&harness, &one, 1, None, &|_| {}).unwrap();
    }
    let naive = started.elapsed();

    println!(
        "fuzz throughput, {}, {} programs ({agree} agree with the model)",
        harness.toolchain.version,
        programs.len()
    );
    println!(
        "  batched (1 build, 2 workers): {:.1} programs/s ({:.2} s)",
        programs.len() as f64 / batched.as_secs_f64(),
        batched.as_secs_f64()
    );
    println!(
        "  naive (1 build per program, {naive_n} programs): {:.1} programs/s ({:.2} s)",
        naive_n as f64 / naive.as_secs_f64(),
        naive.as_secs_f64()
    );
}
