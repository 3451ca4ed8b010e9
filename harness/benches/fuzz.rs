//! `cargo bench --bench fuzz`: tier-2 throughput, checked programs per second (model check, run,
//! classify, compare), measured in one run four ways, each on programs of its own:
//!
//! - **fresh batches, pipelined**: what `gorepro fuzz` does, a campaign of new batches, each
//!   next batch built while the current one runs. gorepro's binary cache is a fresh directory,
//!   so every batch is built; Go's build cache is warm (the standard library and the supervisor
//!   are compiled in a warm-up pass that is not counted). This is what a campaign meets.
//! - **fresh batch, built then checked**: one new batch at a time, the build not overlapped;
//!   its stage times give the breakdown printed at the end.
//! - **cached batch**: a batch checked before, its binary found in gorepro's cache: running
//!   and checking alone.
//! - **naive**: one build per program, the baseline the others are compared to.
//!
//! Settings: `GOREPRO_BENCH_PROGRAMS` (programs per batch, default 256, `gorepro fuzz`'s),
//! `GOREPRO_BENCH_PASSES` (batches per fresh measurement, default 4), `GOREPRO_BENCH_WORKERS`
//! (default 2).

use std::time::{Duration, Instant};

use gorepro::fuzz::batch::{self, CaseTimings};
use gorepro::fuzz::campaign::{self, Campaign};
use gorepro::fuzz::lang::{self, Program};
use gorepro::fuzz::render::Mutation;
use gorepro::{Config, Harness};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n` new programs the model supports.
fn draw(runner: &mut TestRunner, n: usize) -> Vec<Program> {
    let mut programs = Vec::new();
    while programs.len() < n {
        let program = lang::program().new_tree(runner).unwrap().current();
        if gorepro::fuzz::model::analyze(&program)
            .unsupported
            .is_none()
        {
            programs.push(program);
        }
    }
    programs
}

/// One batch checked: how long it took, its build, and its cases' stage times.
struct Pass {
    programs: usize,
    wall: Duration,
    build: Duration,
    cached: bool,
    stages: CaseTimings,
    agree: usize,
}

fn pass(harness: &Harness, programs: &[Program], workers: usize, cache: &std::path::Path) -> Pass {
    let started = Instant::now();
    let built = batch::build_batch(harness, programs, Mutation::None, cache).unwrap();
    let cases = batch::check(harness, &built, workers, None, &|_| {}).unwrap();
    let wall = started.elapsed();
    let mut stages = CaseTimings::default();
    for case in &cases {
        stages += case.timings;
    }
    Pass {
        programs: programs.len(),
        wall,
        build: built.build_time,
        cached: built.cached,
        stages,
        agree: cases.iter().filter(|c| c.observed_is_reachable()).count(),
    }
}

fn rate(programs: usize, wall: Duration) -> f64 {
    programs as f64 / wall.as_secs_f64()
}

fn ms(d: Duration, programs: usize) -> f64 {
    d.as_secs_f64() * 1e3 / programs as f64
}

fn main() {
    let n = setting("GOREPRO_BENCH_PROGRAMS", 256);
    let passes = setting("GOREPRO_BENCH_PASSES", 4).max(1);
    let workers = setting("GOREPRO_BENCH_WORKERS", 2).max(1);
    // gorepro's binary cache in a fresh directory, Go's build cache where it always is.
    let scratch = tempfile::tempdir().unwrap();
    let mut config = Config::from_env().expect("settings");
    config.go_cache_dir = Some(config.go_cache());
    config.cache_dir = scratch.path().join("cache");
    let harness = Harness::new(config).unwrap_or_else(|e| panic!("{e}"));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut runner = TestRunner::deterministic();

    // Go's build cache gets the supervisor and the standard library; not counted.
    let warm_up = pass(&harness, &draw(&mut runner, n), workers, scratch.path());

    let mut fresh = Vec::new();
    let mut first_batch = Vec::new();
    for i in 0..passes {
        let programs = draw(&mut runner, n);
        fresh.push(pass(&harness, &programs, workers, scratch.path()));
        if i == 0 {
            first_batch = programs;
        }
    }
    let cached = pass(&harness, &first_batch, workers, scratch.path());
    assert!(cached.cached && fresh.iter().all(|p| !p.cached));

    let campaign = Campaign {
        go_version: harness.toolchain.version.to_string(),
        seed: 0x5eed,
        batches: passes as u32,
        programs: n,
        forced: false,
    };
    let mut pipelined_programs = 0;
    let mut pipelined_builds = Duration::ZERO;
    let started = Instant::now();
    campaign::run(
        &harness,
        &campaign,
        workers,
        0..campaign.batches,
        |result| {
            assert!(
                !result.cached,
                "batch {} was in the fresh cache",
                result.batch
            );
            pipelined_programs += result.checked;
            pipelined_builds += result.build;
        },
    )
    .unwrap();
    let pipelined_wall = started.elapsed();

    let naive_n = n.min(8);
    let started = Instant::now();
    for (i, program) in draw(&mut runner, naive_n).iter().enumerate() {
        let dir = scratch.path().join(format!("naive-{i}"));
        pass(&harness, std::slice::from_ref(program), 1, &dir);
    }
    let naive = rate(naive_n, started.elapsed());

    let fresh_programs: usize = fresh.iter().map(|p| p.programs).sum();
    let fresh_wall: Duration = fresh.iter().map(|p| p.wall).sum();
    let fresh_rate = rate(fresh_programs, fresh_wall);
    let cached_rate = rate(cached.programs, cached.wall);
    println!(
        "fuzz throughput, {}, {n} programs per batch, {workers} workers, {} cores; load average before: {}",
        harness.toolchain.version,
        std::thread::available_parallelism().map_or(0, |p| p.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "  warm-up (not counted): {:.1} programs/s, build {:.2} s",
        rate(warm_up.programs, warm_up.wall),
        warm_up.build.as_secs_f64()
    );
    for (i, p) in fresh.iter().enumerate() {
        println!(
            "  fresh batch {}: {:.1} programs/s ({:.2} s, build {:.2} s; {} of {} agree with the model)",
            i + 1,
            rate(p.programs, p.wall),
            p.wall.as_secs_f64(),
            p.build.as_secs_f64(),
            p.agree,
            p.programs
        );
    }
    let pipelined_rate = rate(pipelined_programs, pipelined_wall);
    println!(
        "  fresh batches, pipelined (gorepro fuzz, {passes} batches): {pipelined_rate:.1} programs/s, {:.1}x naive ({:.2} s; builds {:.2} s in all, overlapped)",
        pipelined_rate / naive,
        pipelined_wall.as_secs_f64(),
        pipelined_builds.as_secs_f64()
    );
    println!(
        "  fresh batch, built then checked:  {fresh_rate:.1} programs/s, {:.1}x naive",
        fresh_rate / naive
    );
    println!(
        "  cached batch (no build):          {cached_rate:.1} programs/s, {:.1}x naive",
        cached_rate / naive
    );
    println!("  naive (1 build per program, {naive_n} programs): {naive:.1} programs/s");

    // Stage times are summed over the cases of every worker, so they add up to about
    // `workers` times the checking wall time.
    let mut stages = CaseTimings::default();
    for p in &fresh {
        stages += p.stages;
    }
    let build: Duration = fresh.iter().map(|p| p.build).sum();
    let check_wall = fresh_wall.saturating_sub(build);
    let per = |d| ms(d, fresh_programs);
    println!("where the time of the fresh batches built then checked went, ms per program:");
    println!(
        "  wall {:.2} = build {:.2} (one go build per batch, {:.0} ms each) + checking {:.2} on {workers} workers",
        per(fresh_wall),
        per(build),
        build.as_secs_f64() * 1e3 / fresh.len() as f64,
        per(check_wall)
    );
    println!(
        "  per program on one worker (sum {:.2}): model {:.2}, process {:.2} (start to verdict {:.2}, \
         dump+evidence files+exit {:.2}), run overhead {:.2} (evidence dir, spawn, reap, output files), \
         evidence {:.2}, classify {:.2}",
        per(stages.model
            + stages.process
            + stages.run_overhead
            + stages.evidence
            + stages.classify),
        per(stages.model),
        per(stages.process),
        per(stages.to_verdict),
        per(stages.process.saturating_sub(stages.to_verdict)),
        per(stages.run_overhead),
        per(stages.evidence),
        per(stages.classify),
    );
}
