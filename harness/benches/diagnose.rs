//! `cargo bench --bench diagnose`: time to the first reproduction of each corpus bug with
//! `gorepro diagnose` (seeds explored in order until one reproduces; the build is cached, as it
//! is on every run after the first), against simply rerunning the unmodified test with
//! `go test -count=N -timeout=T` for the same wall budget T.
//!
//! `go test` sees a blocking bug only when its alarm fires at T (the runtime's own deadlock
//! check never fires while the alarm's timer is armed), and never sees a goroutine left behind.
//! N is small enough that a test that does not hang finishes well within T.
//!
//! Needs Go. `GOREPRO_BENCH_BUDGET_MS` sets T (default 5000), `GOREPRO_BENCH_SEEDS` the most
//! seeds gorepro may try (default 30), `GOREPRO_BENCH_CASES` a comma-separated subset.

use std::time::{Duration, Instant};

use gorepro::diagnose::{self, DiagnoseRequest, SCHEDULE_VERSION, Seed};
use gorepro::{Config, Harness};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Option<Duration> {
    samples.sort();
    samples.get(samples.len() / 2).copied()
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

/// Seeds tried and the time until the first reproduction, if any within `max_seeds`.
fn gorepro_first(
    harness: &Harness,
    request: &DiagnoseRequest,
    max_seeds: u64,
) -> (u64, Option<Duration>) {
    let started = Instant::now();
    let target = diagnose::locate(&request.path, &harness.config.cache_dir).unwrap();
    let (prepared, artifact) = diagnose::prepare(harness, target, true).unwrap();
    for value in 1..=max_seeds {
        let seed = Seed {
            version: SCHEDULE_VERSION,
            value,
        };
        let run = diagnose::run_seed(harness, &prepared, &artifact, request, seed, 0, &[]).unwrap();
        if run.reproduced {
            return (value, Some(started.elapsed()));
        }
    }
    (max_seeds, None)
}

/// `go test -count -timeout` on the unmodified package: the wall time and whether the alarm
/// fired (the only way it shows a hang).
fn go_test(harness: &Harness, dir: &std::path::Path, budget: Duration) -> (Duration, bool) {
    let go_test = |args: &[String]| {
        let mut all = vec!["test".to_string()];
        all.extend_from_slice(args);
        harness.toolchain.command(dir, all)
    };
    // Compile first (no test selected), so the figure is the rerunning, not the build.
    go_test(&["-count=1".into(), "-run=^$".into(), ".".into()])
        .stdout_null()
        .stderr_null()
        .unchecked()
        .run()
        .unwrap();
    let started = Instant::now();
    let output = go_test(&[
        "-count=100".into(),
        format!("-timeout={}ms", budget.as_millis()),
        "-run=^TestBuggy$".into(),
        ".".into(),
    ])
    .stderr_to_stdout()
    .stdout_capture()
    .unchecked()
    .run()
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    (started.elapsed(), text.contains("panic: test timed out"))
}

fn main() {
    let budget = Duration::from_millis(env_or("GOREPRO_BENCH_BUDGET_MS", 5000));
    let max_seeds = env_or("GOREPRO_BENCH_SEEDS", 30);
    let only: Option<Vec<String>> = std::env::var("GOREPRO_BENCH_CASES")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let harness = Harness::new(Config::from_env().expect("GOREPRO_* settings"))
        .unwrap_or_else(|e| panic!("{e}"));
    let cases = diagnose::load_corpus(&harness.config.samples_dir().join("corpus")).unwrap();
    println!(
        "diagnose benchmark: {}, go test budget {} (-count=100), up to {max_seeds} seeds",
        harness.toolchain.version,
        ms(budget)
    );
    println!(
        "{:<20} {:<9} {:>6} {:>10}   {:<28}",
        "case", "kind", "seeds", "gorepro", "go test -count -timeout"
    );
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut ours_missed, mut theirs_missed) = (0, 0);
    for case in cases
        .iter()
        .filter(|c| only.as_ref().is_none_or(|o| o.contains(&c.id)))
    {
        let request = DiagnoseRequest {
            path: case.dir.clone(),
            test: Some("^TestBuggy$".into()),
            runs: 1,
            seed: None,
            gomaxprocs: 2,
            timeout: None,
        };
        // Warm both caches: gorepro's binary and Go's build cache for `go test`.
        let target = diagnose::locate(&request.path, &harness.config.cache_dir).unwrap();
        diagnose::prepare(&harness, target, true).unwrap();
        let (seeds, first) = gorepro_first(&harness, &request, max_seeds);
        let (wall, fired) = go_test(&harness, &case.dir, budget);
        match first {
            Some(t) => ours.push(t),
            None => ours_missed += 1,
        }
        if fired {
            theirs.push(wall);
        } else {
            theirs_missed += 1;
        }
        println!(
            "{:<20} {:<9} {:>6} {:>10}   {}",
            case.id,
            case.kind,
            seeds,
            first.map_or("missed".to_string(), ms),
            if fired {
                format!("alarm after {} (a timeout, unclassified)", ms(wall))
            } else {
                format!("passed in {} (bug not seen)", ms(wall))
            }
        );
    }
    let n = ours.len() + ours_missed;
    println!(
        "gorepro: reproduced {}/{n}, median time to first reproduction {}",
        ours.len(),
        median(ours.clone()).map_or("-".into(), ms)
    );
    println!(
        "go test -count=100 -timeout={}: reproduced {}/{n} (missed {theirs_missed}), median time \
         to its failure {}",
        ms(budget),
        theirs.len(),
        median(theirs.clone()).map_or("-".into(), ms)
    );
    if let (Some(a), Some(b)) = (median(ours), median(theirs)) {
        println!(
            "ratio of medians (go test / gorepro): {:.1}x",
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
}
