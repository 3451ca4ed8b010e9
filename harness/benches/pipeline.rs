//! `cargo bench --bench pipeline`: the speed claims of the pipeline, as figures with their
//! baselines measured in the same run.
//!
//! - Build cache: finding an unchanged program in gorepro's content-addressed cache, against
//!   `go build` of the same program with Go's own build cache warm.
//! - Verdict latency: block-to-verdict of the in-process supervisor on a deadlocking and a
//!   leaking scenario, against the harness's external deadline (the verdict a timeout-based
//!   harness would give).
//! - Evidence: reading and classifying one run's evidence, against the run itself.
//!
//! Needs Go (`GOREPRO_GO` or `go` on PATH). `GOREPRO_BENCH_RUNS` sets the runs per figure
//! (default 20).

use std::time::{Duration, Instant};

use gorepro::scenario::Variant;
use gorepro::{Config, Harness, RunOptions, build};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let runs: usize = std::env::var("GOREPRO_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let config = Config::from_env().expect("GOREPRO_* settings");
    let harness = Harness::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "pipeline benchmark, {runs} runs per figure, {}",
        harness.toolchain.version
    );

    // Build cache: a fresh bin cache per cold build, so each one really runs `go build`.
    let scenario = harness.catalog.get("chan-send-deadlock").unwrap();
    let params = scenario.params::<&str>(&[]).unwrap();
    let program = harness
        .program(scenario, Variant::Buggy, &params)
        .expect("program");
    build::build(&harness.toolchain, &program, &config.cache_dir).unwrap(); // warm Go's cache
    let mut cold = Vec::new();
    for _ in 0..runs.min(5) {
        let scratch = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let artifact = build::build(&harness.toolchain, &program, scratch.path()).unwrap();
        cold.push(started.elapsed());
        assert!(!artifact.cached);
    }
    let mut cached = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let artifact = build::build(&harness.toolchain, &program, &config.cache_dir).unwrap();
        cached.push(started.elapsed());
        assert!(artifact.cached);
    }
    let (cold, cached) = (median(cold), median(cached));
    println!(
        "build: go build (Go cache warm) {}, gorepro cache hit {}: {:.0}x faster",
        ms(cold),
        ms(cached),
        cold.as_secs_f64() / cached.as_secs_f64()
    );

    // Verdict latency and evidence cost.
    for id in [
        "chan-send-deadlock",
        "chan-send-abandoned",
        "ctx-result-send-gap",
    ] {
        let scenario = harness.catalog.get(id).unwrap();
        let params = scenario.params::<&str>(&[]).unwrap();
        for gomaxprocs in [1, 2] {
            let mut latency = Vec::new();
            let mut run = Vec::new();
            let mut evidence = Vec::new();
            for i in 0..runs {
                let options = RunOptions {
                    gomaxprocs,
                    label: format!("bench{i}"),
                };
                let record = harness
                    .reproduce(scenario, Variant::Buggy, &params, &options)
                    .unwrap();
                assert!(record.matches, "{id}: {:?}", record.mismatches);
                latency.push(
                    record
                        .timings
                        .verdict
                        .expect("a deadlock or leak has a verdict latency")
                        .block_to_verdict,
                );
                run.push(record.timings.run);
                evidence.push(record.timings.evidence);
            }
            let latency = median(latency);
            println!(
                "{id} GOMAXPROCS={gomaxprocs}: verdict {} after the block (external deadline {:.0} ms: {:.0}x sooner); run {}, evidence {}",
                ms(latency),
                config.hard_deadline().as_secs_f64() * 1e3,
                config.hard_deadline().as_secs_f64() / latency.as_secs_f64(),
                ms(median(run)),
                ms(median(evidence)),
            );
        }
    }
}
