//! `cargo bench --bench trace_cost`: what execution tracing costs the catalog.
//!
//! Reproduces every scenario variant of the catalog (on GOMAXPROCS 1, then 2, as the
//! determinism gate does; builds cached) with the
//! trace on (`GOREPRO_TRACE=stream`: captured by the program, converted by the trace reader,
//! parsed, turned into the timeline) and off (`off`: no capture, no reader), alternating the
//! two modes pass by pass so that load on the machine falls on both alike, and prints the wall
//! time of a whole catalog pass in each mode and their ratio. `GOREPRO_BENCH_PASSES` sets the
//! passes per mode (default 3).

use std::time::{Duration, Instant};

use gorepro::config::TraceMode;
use gorepro::scenario::Variant;
use gorepro::{Config, Harness, RunOptions};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn pass(harness: &Harness, gomaxprocs: u32) -> Duration {
    let started = Instant::now();
    for scenario in &harness.catalog.scenarios {
        let params = scenario.params::<&str>(&[]).unwrap();
        for variant in Variant::ALL {
            let options = RunOptions {
                gomaxprocs,
                label: "bench".into(),
            };
            let record = harness
                .reproduce(scenario, variant, &params, &options)
                .unwrap_or_else(|e| panic!("{}: {e}", scenario.id));
            assert_eq!(
                record.observed_outcome, record.expected_outcome,
                "{} ({variant})",
                scenario.id
            );
        }
    }
    started.elapsed()
}

fn main() {
    let passes: usize = std::env::var("GOREPRO_BENCH_PASSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let config = Config::from_env().expect("GOREPRO_* settings");
    let traced = Harness::new(Config {
        trace: TraceMode::Stream,
        ..config.clone()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let untraced = Harness::new(Config {
        trace: TraceMode::Off,
        ..config
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let runs = traced.catalog.scenarios.len() * 2;
    for gomaxprocs in [1, 2] {
        println!(
            "trace cost: the catalog ({runs} runs per pass, GOMAXPROCS={gomaxprocs}, builds cached), {passes} passes per mode, {}",
            traced.toolchain.version
        );
        pass(&traced, gomaxprocs); // warm: builds, Go's cache, the trace reader
        let (mut on, mut off) = (Vec::new(), Vec::new());
        for _ in 0..passes {
            on.push(pass(&traced, gomaxprocs));
            off.push(pass(&untraced, gomaxprocs));
        }
        let (on, off) = (median(on), median(off));
        println!(
            "  trace on  (capture + reader + timeline): {:>8.0} ms per catalog pass",
            on.as_secs_f64() * 1e3
        );
        println!(
            "  trace off (no capture, no reader):       {:>8.0} ms per catalog pass",
            off.as_secs_f64() * 1e3
        );
        println!(
            "  tracing costs {:+.1}% ({:+.0} ms, {:+.1} ms per run)",
            (on.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0,
            (on.as_secs_f64() - off.as_secs_f64()) * 1e3,
            (on.as_secs_f64() - off.as_secs_f64()) * 1e3 / runs as f64
        );
    }
}
