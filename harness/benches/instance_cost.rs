//! `cargo bench --bench instance_cost`: what the instance evidence costs, measured in one run
//! against stock builds (`GOREPRO_INSTANCES=off`: nothing of the toolchain laid over).
//!
//! - The catalog: every scenario variant reproduced (GOMAXPROCS 1, then 2, builds cached, as
//!   `trace_cost` does) with the runtime/sync/context overlay and without it, the two modes
//!   alternating pass by pass so that load on the machine falls on both alike; the wall time of
//!   a whole catalog pass in each mode (median) and their ratio.
//! - `gorepro diagnose`: the corpus's buggy tests, each built once per mode, then the same seeds
//!   run in both modes in turn; the mean time per seed (program run, evidence, diagnosis) in
//!   each mode and their ratio.
//!
//! Each mode also counts how many runs got their expected class: what the evidence buys.
//! `GOREPRO_BENCH_PASSES` sets the catalog passes per mode (default 3),
//! `GOREPRO_BENCH_SEEDS` the seeds per corpus case (default 5), `GOREPRO_BENCH_CASES` a
//! comma-separated subset of the corpus.

use std::time::{Duration, Instant};

use gorepro::diagnose::{self, DiagnoseRequest, Preparation, SCHEDULE_VERSION, Seed};
use gorepro::gotest::TestFlags;
use gorepro::scenario::Variant;
use gorepro::{Config, Harness, RunOptions};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// One catalog pass: its wall time and how many runs matched their spec (outcome and class).
fn catalog_pass(harness: &Harness, gomaxprocs: u32) -> (Duration, usize) {
    let started = Instant::now();
    let mut matched = 0;
    for scenario in &harness.catalog.scenarios {
        let params = scenario.params::<&str>(&[]).unwrap();
        for variant in Variant::ALL {
            let options = RunOptions {
                gomaxprocs,
                label: "instance-bench".into(),
            };
            let record = harness
                .reproduce(scenario, variant, &params, &options)
                .unwrap_or_else(|e| panic!("{}: {e}", scenario.id));
            // Without the overlay a class may fall back; the outcome never depends on it.
            assert_eq!(
                record.observed_outcome, record.expected_outcome,
                "{} ({variant})",
                scenario.id
            );
            matched += usize::from(record.matches);
        }
    }
    (started.elapsed(), matched)
}

/// The corpus case's buggy test, rewritten and built in `harness`'s mode.
fn prepare(
    harness: &Harness,
    request: &DiagnoseRequest,
) -> (diagnose::Prepared, gorepro::build::Artifact) {
    let toolchain = harness.toolchain.for_user(request.env.clone());
    let mut targets = diagnose::resolve(&toolchain, request, &harness.config.cache_dir).unwrap();
    match diagnose::prepare(harness, &toolchain, targets.remove(0), &request.flags).unwrap() {
        Preparation::Built(built) => *built,
        _ => panic!("{:?} has no tests to run", request.patterns),
    }
}

fn main() {
    let passes = env_or("GOREPRO_BENCH_PASSES", 3) as usize;
    let seeds = env_or("GOREPRO_BENCH_SEEDS", 5);
    let only: Option<Vec<String>> = std::env::var("GOREPRO_BENCH_CASES")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let config = Config::from_env().expect("GOREPRO_* settings");
    let with = Harness::new(Config {
        instances: true,
        ..config.clone()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let without = Harness::new(Config {
        instances: false,
        ..config
    })
    .unwrap_or_else(|e| panic!("{e}"));

    let runs = with.catalog.scenarios.len() * Variant::ALL.len();
    for gomaxprocs in [1, 2] {
        println!(
            "instance evidence, catalog: {runs} runs per pass, GOMAXPROCS={gomaxprocs}, builds cached, {passes} passes per mode, {}",
            with.toolchain.version
        );
        // Warm: both modes' builds, Go's cache, the trace reader.
        catalog_pass(&with, gomaxprocs);
        catalog_pass(&without, gomaxprocs);
        let (mut on, mut off) = (Vec::new(), Vec::new());
        let (mut matched_on, mut matched_off) = (0, 0);
        for _ in 0..passes {
            let (time, matched) = catalog_pass(&with, gomaxprocs);
            on.push(time);
            matched_on = matched;
            let (time, matched) = catalog_pass(&without, gomaxprocs);
            off.push(time);
            matched_off = matched;
        }
        let (on, off) = (median(on), median(off));
        println!(
            "  with the overlay:    {:>8.0} ms per catalog pass ({matched_on}/{runs} runs as their spec says)",
            on.as_secs_f64() * 1e3
        );
        println!(
            "  stock builds:        {:>8.0} ms per catalog pass ({matched_off}/{runs} runs as their spec says)",
            off.as_secs_f64() * 1e3
        );
        println!(
            "  the instance evidence costs {:+.1}% ({:+.0} ms per pass, {:+.1} ms per run)",
            (on.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0,
            (on.as_secs_f64() - off.as_secs_f64()) * 1e3,
            (on.as_secs_f64() - off.as_secs_f64()) * 1e3 / runs as f64
        );
    }

    let cases = diagnose::load_corpus(&with.config.samples_dir().join("corpus")).unwrap();
    let cases: Vec<_> = cases
        .iter()
        .filter(|c| only.as_ref().is_none_or(|o| o.contains(&c.id)))
        .collect();
    println!(
        "instance evidence, diagnose: {} corpus cases x {seeds} seeds of TestBuggy per mode, GOMAXPROCS=2, builds cached",
        cases.len()
    );
    let (mut on, mut off) = (Duration::ZERO, Duration::ZERO);
    let (mut right_on, mut right_off, mut hits) = (0, 0, 0);
    let mut total = 0;
    for case in &cases {
        let mut request = DiagnoseRequest::new(&[case.dir.to_str().unwrap()]);
        request.flags = TestFlags {
            run: Some("^TestBuggy$".into()),
            ..TestFlags::default()
        };
        let (prepared_on, artifact_on) = prepare(&with, &request);
        let (prepared_off, artifact_off) = prepare(&without, &request);
        for value in 1..=seeds {
            let seed = Seed {
                version: SCHEDULE_VERSION,
                value,
            };
            for (harness, prepared, artifact, time, right) in [
                (&with, &prepared_on, &artifact_on, &mut on, &mut right_on),
                (
                    &without,
                    &prepared_off,
                    &artifact_off,
                    &mut off,
                    &mut right_off,
                ),
            ] {
                let started = Instant::now();
                let run = diagnose::run_seed(harness, prepared, artifact, &request, seed, 0, &[])
                    .unwrap_or_else(|e| panic!("{}: {e}", case.id));
                *time += started.elapsed();
                *right +=
                    usize::from(run.reproduced && run.diagnosis.class == Some(case.class.as_str()));
                hits += usize::from(run.reproduced);
            }
            total += 1;
        }
    }
    let per_seed = |t: Duration| t.as_secs_f64() * 1e3 / total.max(1) as f64;
    println!(
        "  with the overlay:    {:>8.1} ms per seed ({right_on}/{total} seeds with the case's class)",
        per_seed(on)
    );
    println!(
        "  stock builds:        {:>8.1} ms per seed ({right_off}/{total} seeds with the case's class)",
        per_seed(off)
    );
    println!(
        "  the instance evidence costs {:+.1}% ({:+.1} ms per seed); {hits} of {} runs reproduced",
        (on.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0,
        per_seed(on) - per_seed(off),
        2 * total
    );
}
