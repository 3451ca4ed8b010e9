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

use super::EndState;
use super::lang::Program;
use super::model::{self, Analysis};
use super::render::{self, Mutation, Rendered};
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
}

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
}

impl Case {
    /// Property 1: nothing the model calls impossible shows up.
    pub fn observed_is_reachable(&self) -> bool {
        self.expected.contains(&self.observed)
    }
}

/// The Go program `codegen` would build for this rendering.
pub fn program(harness: &Harness, rendered: &Rendered) -> codegen::Program {
    let module_dir = harness.config.samples_dir();
    codegen::Program {
        scenario: "fuzz-batch".into(),
        variant: Variant::Buggy,
        package: "./fuzz/batch".into(),
        tags: vec![],
        overlay: vec![(module_dir.join(render::BATCH_FILE), rendered.source.clone())],
        module_dir,
    }
}

/// Renders and builds `programs` into one binary (in `cache_dir`'s build cache).
pub fn build_batch(
    harness: &Harness,
    programs: &[Program],
    mutation: Mutation,
    cache_dir: &std::path::Path,
) -> Result<Batch, Error> {
    let rendered = render::render_with(programs, mutation);
    let artifact = build::build(&harness.toolchain, &program(harness, &rendered), cache_dir)?;
    Ok(Batch {
        programs: programs.to_vec(),
        rendered,
        binary: artifact.binary,
        cached: artifact.cached,
    })
}

/// Runs program `index` of the batch and classifies it.
pub fn run_one(
    harness: &Harness,
    batch: &Batch,
    index: usize,
    gomaxprocs: u32,
    worker: usize,
) -> Result<(Diagnosis, PathBuf), Error> {
    let evidence_dir = harness
        .config
        .cache_dir
        .join("runs")
        .join(format!("fuzz-{}-w{worker}", std::process::id()));
    let output = run::run(
        &run::RunRequest {
            binary: batch.binary.clone(),
            evidence_dir,
            gomaxprocs,
            base_env: harness.toolchain.env(),
            args: vec![render::function_name(index)],
            env: vec![("GOREPRO_TRACE".into(), "off".into())],
        },
        &harness.config,
    )?;
    let evidence = evidence::collect(&harness.toolchain, &harness.config.cache_dir, &output);
    Ok((classify::classify(&evidence), output.evidence_dir))
}

/// Model-checks and runs every program of the batch on `workers` threads, alternating
/// GOMAXPROCS 1 and 2. `corrupt` lets a test plant a classifier mistake between the
/// diagnosis and the comparison.
pub fn check(
    harness: &Harness,
    batch: &Batch,
    workers: usize,
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
                    let analysis = model::analyze(program);
                    let result = run_one(harness, batch, index, gomaxprocs, worker).map(
                        |(mut diagnosis, evidence_dir)| {
                            corrupt(&mut diagnosis);
                            let lines = &batch.rendered.lines[index];
                            Case {
                                index,
                                gomaxprocs,
                                expected: analysis
                                    .terminals
                                    .iter()
                                    .map(|t| EndState::expected(t, lines))
                                    .collect(),
                                observed: EndState::observed(&diagnosis),
                                analysis,
                                diagnosis,
                                evidence_dir,
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
