//! Many fuzz programs in one Go binary: one `go build` per batch instead of one per case.
//!
//! The batch is rendered into `go-samples/fuzz/batch/programs.go` (laid over the committed,
//! empty file with `-overlay`, like a scenario's `params.go`), built through the usual
//! content-addressed [`build`], and each program is run by name on its own supervised process.
//! Fuzz runs switch the execution trace off (`GOREPRO_TRACE=off`): the end state needs only the
//! verdict, the dump and stderr, and reading a trace costs more than the run. Runs are spread
//! over `workers` threads.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::EndState;
use super::lang::Program;
use super::model::{self, Analysis, Schedule};
use super::render::{self, Mutation, Rendered};
use crate::evidence::world::UserCode;
use crate::scenario::Variant;
use crate::{Diagnosis, Error, Harness, build, classify, codegen, evidence, run};

/// A batch built into one binary.
#[derive(Debug, Clone)]
pub struct Batch {
    pub programs: Vec<Program>,
    pub rendered: Rendered,
    pub binary: PathBuf,
    /// Whether the binary was already in the build cache.
    pub cached: bool,
    /// Rendering the programs and building (or finding) the binary.
    pub build_time: Duration,
    /// Distinguishes the evidence dirs of batches checked at the same time in one process.
    pub id: usize,
}

/// The supervisor's deadline for a fuzz run (the catalog's default is 10 s).
const FUZZ_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

static BATCHES: AtomicUsize = AtomicUsize::new(0);

/// One program's run: what the model allows and what the classifier saw.
#[derive(Debug, Clone)]
pub struct Case {
    pub index: usize,
    pub gomaxprocs: u32,
    pub analysis: Analysis,
    pub expected: Vec<EndState>,
    pub observed: EndState,
    pub diagnosis: Diagnosis,
    pub evidence_dir: PathBuf,
    /// The forced schedule the run followed, if any; `expected` is then its one end state.
    pub schedule: Option<Schedule>,
    pub timings: CaseTimings,
}

/// Where one case's time went (the fuzz bench adds them up).
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseTimings {
    /// Model checking the program.
    pub model: Duration,
    /// The program's process, start to exit.
    pub process: Duration,
    /// Of `process`: from the supervisor's start to its verdict (`verdict.json`).
    pub to_verdict: Duration,
    /// The rest of running it: wiping the evidence dir, spawning, reaping, saving the output.
    pub run_overhead: Duration,
    /// Reading and parsing the evidence files.
    pub evidence: Duration,
    pub classify: Duration,
}

impl std::ops::AddAssign for CaseTimings {
    fn add_assign(&mut self, other: CaseTimings) {
        self.model += other.model;
        self.process += other.process;
        self.to_verdict += other.to_verdict;
        self.run_overhead += other.run_overhead;
        self.evidence += other.evidence;
        self.classify += other.classify;
    }
}

impl Case {
    /// Property 1: nothing the model calls impossible shows up.
    pub fn observed_is_reachable(&self) -> bool {
        self.expected.contains(&self.observed)
    }
}

/// The Go program `codegen` would build for this rendering.
pub fn program(harness: &Harness, rendered: &Rendered) -> Result<codegen::Program, Error> {
    let module_dir = harness.config.samples_dir();
    let mut program = codegen::Program {
        scenario: "fuzz-batch".into(),
        variant: Variant::Buggy,
        package: "./fuzz/batch".into(),
        files: vec![],
        tags: vec![],
        flags: vec![],
        race: false,
        overlay: vec![(module_dir.join(render::BATCH_FILE), rendered.source.clone())],
        test_binary: false,
        extra_inputs: Vec::new(),
        module_dir,
    };
    if harness.config.instances {
        program.add_instances(&harness.toolchain.goroot()?)?;
    }
    Ok(program)
}

/// Renders and builds `programs` into one binary (in `cache_dir`'s build cache).
pub fn build_batch(
    harness: &Harness,
    programs: &[Program],
    mutation: Mutation,
    cache_dir: &std::path::Path,
) -> Result<Batch, Error> {
    let started = Instant::now();
    let rendered = render::render_with(programs, mutation);
    let artifact = build::build(&harness.toolchain, &program(harness, &rendered)?, cache_dir)?;
    Ok(Batch {
        programs: programs.to_vec(),
        rendered,
        binary: artifact.binary,
        cached: artifact.cached,
        build_time: started.elapsed(),
        id: BATCHES.fetch_add(1, Ordering::Relaxed),
    })
}

/// Runs program `index` of the batch and classifies it; the timings leave `model` to the
/// caller.
pub fn run_one(
    harness: &Harness,
    batch: &Batch,
    index: usize,
    gomaxprocs: u32,
    worker: usize,
    schedule: Option<&Schedule>,
) -> Result<(Diagnosis, PathBuf, CaseTimings), Error> {
    let mut env = Vec::new();
    if let Some(schedule) = schedule {
        env.push(("GOREPRO_SCHEDULE".into(), schedule.env_value()));
        env.push(("GOREPRO_GATE_TIMEOUT_MS".into(), "1000".into()));
    }
    let evidence_dir = harness.config.cache_dir.join("runs").join(format!(
        "fuzz-{}-{}-w{worker}",
        std::process::id(),
        batch.id
    ));
    // Fuzz programs finish in milliseconds; a hang should cost seconds, not the default 15.
    let mut config = harness.config.clone();
    config.supervisor_deadline = config.supervisor_deadline.min(FUZZ_DEADLINE);
    config.backstop_after = config.backstop_after.min(FUZZ_DEADLINE / 2);
    // The oracle needs end states, not orders of events: no trace, no trace reader.
    config.trace = crate::config::TraceMode::Off;
    let started = Instant::now();
    let output = run::run(
        &run::RunRequest {
            binary: batch.binary.clone(),
            evidence_dir,
            gomaxprocs,
            base_env: harness.toolchain.env(),
            args: vec![render::function_name(index)],
            env,
        },
        &config,
    )?;
    let ran = started.elapsed();
    let evidence = evidence::collect(&harness.trace_reader, &config, &output);
    let collected = started.elapsed();
    let diagnosis = classify::classify(&evidence, &UserCode::samples());
    let timings = CaseTimings {
        model: Duration::ZERO,
        process: output.wall,
        to_verdict: evidence
            .verdict
            .as_ref()
            .map_or(Duration::ZERO, |v| Duration::from_nanos(v.verdict_after_ns)),
        run_overhead: ran.saturating_sub(output.wall),
        evidence: collected - ran,
        classify: started.elapsed() - collected,
    };
    Ok((diagnosis, output.evidence_dir, timings))
}

/// Model-checks and runs every program of the batch on `workers` threads, alternating
/// GOMAXPROCS 1 and 2. With `forced = Some(seed)`, each program runs under a schedule the
/// model chooses from the seed (programs without one are skipped) and is expected to end in
/// that schedule's state. `corrupt` lets a test plant a classifier mistake between the
/// diagnosis and the comparison.
pub fn check(
    harness: &Harness,
    batch: &Batch,
    workers: usize,
    forced: Option<u64>,
    corrupt: &(dyn Fn(&mut Diagnosis) + Sync),
) -> Result<Vec<Case>, Error> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Result<Case, Error>>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..workers.max(1) {
            let (next, results) = (&next, &results);
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(program) = batch.programs.get(index) else {
                        break;
                    };
                    let gomaxprocs = 1 + (index % 2) as u32;
                    let modelled = Instant::now();
                    let analysis = model::analyze(program);
                    let schedule = match forced {
                        Some(seed) => match model::forced_schedule(program, seed ^ index as u64) {
                            Some(schedule) => Some(schedule),
                            None => continue,
                        },
                        None => None,
                    };
                    let lines = &batch.rendered.lines[index];
                    let expected = match &schedule {
                        Some(s) => vec![EndState::expected(&s.terminal, lines)],
                        None => analysis
                            .terminals
                            .iter()
                            .map(|t| EndState::expected(t, lines))
                            .collect(),
                    };
                    let model_time = modelled.elapsed();
                    let result =
                        run_one(harness, batch, index, gomaxprocs, worker, schedule.as_ref()).map(
                            |(mut diagnosis, evidence_dir, timings)| {
                                corrupt(&mut diagnosis);
                                Case {
                                    index,
                                    gomaxprocs,
                                    expected,
                                    observed: EndState::observed(&diagnosis),
                                    analysis,
                                    diagnosis,
                                    evidence_dir,
                                    schedule,
                                    timings: CaseTimings {
                                        model: model_time,
                                        ..timings
                                    },
                                }
                            },
                        );
                    results.lock().unwrap().push(result);
                }
            });
        }
    });
    let mut cases = results
        .into_inner()
        .unwrap()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    cases.sort_by_key(|c| c.index);
    Ok(cases)
}

/// Why a case fails the properties, with everything needed to tell who is wrong: the program as
/// Go, the model's terminal states against the observed one, the raw evidence and a command
/// that replays the Go program alone.
pub fn explain(harness: &Harness, batch: &Batch, case: &Case) -> String {
    let program = &batch.programs[case.index];
    let alone = render::render(std::slice::from_ref(program));
    let dir = harness.config.cache_dir.join("fuzz").join("failures");
    let file = dir.join(format!(
        "{}.go",
        blake3::hash(alone.source.as_bytes()).to_hex()[..16].to_owned()
    ));
    let saved = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&file, &alone.source))
        .is_ok();
    let target = harness.config.samples_dir().join(render::BATCH_FILE);
    let experiment = if harness.toolchain.version.to_string().contains("1.26") {
        "GOEXPERIMENT=goroutineleakprofile "
    } else {
        ""
    };
    let mut out = format!(
        "program {index} (GOMAXPROCS={procs}): {program:?}\n\n{source}\n",
        index = case.index,
        procs = case.gomaxprocs,
        source = alone
            .source
            .split("\nfunc ")
            .nth(1)
            .map_or(String::new(), |f| format!("func {f}")),
    );
    if let Some(schedule) = &case.schedule {
        out.push_str(&format!(
            "forced schedule (goroutine per operation): {}\n",
            schedule.env_value()
        ));
    }
    out.push_str(&format!("observed:  {}\n", case.observed));
    for state in &case.expected {
        out.push_str(&format!("model:     {state}\n"));
    }
    out.push_str(&format!(
        "model explored {} states; the line numbers above are in the batch file, the source \
         shown is the program rendered alone (p0)\n",
        case.analysis.states
    ));
    out.push_str(&format!(
        "evidence:  {} (verdict.json, goroutines.txt, stderr.txt: the runtime's own account)\n",
        case.evidence_dir.display()
    ));
    out.push_str(&format!("diagnosis: {:?}\n", case.diagnosis.stuck));
    if saved {
        out.push_str(&format!(
            "replay:    cd {samples} && printf '{{\"Replace\":{{\"{target}\":\"{file}\"}}}}' > /tmp/fuzz-overlay.json \
             && {experiment}{go} build -overlay /tmp/fuzz-overlay.json -o /tmp/fuzz-case ./fuzz/batch \
             && GOTRACEBACK=all GOMAXPROCS={procs} GOREPRO_TRACE=off{schedule} /tmp/fuzz-case p0\n",
            samples = harness.config.samples_dir().display(),
            target = target.display(),
            file = file.display(),
            go = harness.toolchain.go.display(),
            procs = case.gomaxprocs,
            schedule = case
                .schedule
                .as_ref()
                .map_or(String::new(), |s| format!(" GOREPRO_SCHEDULE={}", s.env_value())),
        ));
    }
    out.push_str(
        "who is wrong: if goroutines.txt/stderr.txt show the observed state, the classifier is \
         right and the model (or Go) is wrong: check the operation against the Go spec; if they \
         show a model state, the classifier is wrong; if the Go source does not say what the \
         program says, the renderer is wrong.\n",
    );
    out
}
