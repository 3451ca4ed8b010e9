//! `gorepro diagnose`: the pipeline applied to a user's own Go code instead of a scenario.
//!
//! It takes packages as `go test` does: patterns (`./...`, import paths, directories) resolved
//! with `go list` in the user's module, or `.go` files that form one package; go test's flags
//! ([`crate::gotest`]). Each package is prepared, built and explored in turn; a package without
//! test files, or whose test files hold nothing `go test` would run, is skipped as go test
//! skips it. Builds and tests get the user's environment ([`Toolchain::for_user`]).
//!
//! The user's files are never written. The source rewriter (`go-samples/tools/perturb`, built
//! once per Go version like the trace reader) reads the package and returns the files to lay
//! over it with `-overlay`: copies with seeded scheduling points inserted on the original lines,
//! and an entry point that hands the program (`main`) or the tests (`TestMain`, wrapping one the
//! package already has) to the in-process supervisor. The supervisor is the real
//! `gorepro.dev/samples/support` package: the overlay also replaces the user's `go.mod` with
//! one that requires `gorepro.dev/samples` and replaces it with the local `go-samples/`
//! directory, so its function names (the root's `support.runRoot`) are the ones the classifier
//! already knows. Named `.go` files inside a module are built as part of it (go's
//! `command-line-arguments` package); outside any module, as the files of a generated module in
//! the cache.
//!
//! One binary serves every seed: the seed reaches the scheduling points through
//! `GOREPRO_PERTURB_SEED`, so exploring N seeds costs one build and N runs. Seeds are written
//! `v<schedule version>:<n>`; a seed of another schedule version is refused, since the same
//! number would no longer mean the same schedule.
//!
//! Results are told as they come ([`Progress`]): each run as soon as it is classified, so an
//! exploration that is killed still leaves the runs that finished. After SIGINT or SIGTERM
//! ([`crate::interrupt`]) no new run starts, the run the signal cut short is dropped, and the
//! report covers the runs that finished. A test that fails (`--- FAIL`, or the tests' non-zero
//! exit status) is a finding of its own, recorded with the run, not a reproduction of a
//! concurrency bug; so is a clean run whose lock order shows a potential inversion (class
//! `mutex.potential-lock-order-inversion`, [`crate::lockorder`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::build::{self, BuildError};
use crate::classify::{self, Diagnosis};
use crate::codegen::Program;
use crate::codegen::SAMPLES_MODULE_PATH;
use crate::evidence::world::UserCode;
use crate::gotest::{FlagError, TestFlags};
use crate::ignore::{IgnoreFileError, IgnoreRule};
use crate::leaks::TestLeak;
use crate::scenario::Variant;
use crate::shard::Shard;
use crate::toolchain::{Toolchain, ToolchainError};
use crate::vocabulary::{Outcome, taxonomy};
use crate::{Harness, evidence, interrupt, run, vet};

/// The schedule version this harness writes and replays; it must equal the rewriter's
/// `ScheduleVersion` (checked on every use).
pub const SCHEDULE_VERSION: u32 = 3;

/// The Go version the supervisor's module needs from a module that requires it.
const SAMPLES_GO: (u32, u32) = (1, 26);

/// A seed of the schedule exploration: `v3:42` (also in JSON, the form `--seed` reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    pub version: u32,
    pub value: u64,
}

impl Serialize for Seed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::fmt::Display for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}:{}", self.version, self.value)
    }
}

impl FromStr for Seed {
    type Err = DiagnoseError;
    fn from_str(text: &str) -> Result<Seed, DiagnoseError> {
        let bad = || DiagnoseError::BadSeed { text: text.into() };
        let (version, value) = text
            .strip_prefix('v')
            .and_then(|rest| rest.split_once(':'))
            .ok_or_else(bad)?;
        let version: u32 = version.parse().map_err(|_| bad())?;
        let value: u64 = value.parse().map_err(|_| bad())?;
        if value == 0 {
            return Err(bad());
        }
        if version != SCHEDULE_VERSION {
            return Err(DiagnoseError::SeedVersion {
                seed: text.into(),
                version,
            });
        }
        Ok(Seed { version, value })
    }
}

/// What to diagnose and how.
#[derive(Debug, Clone)]
pub struct DiagnoseRequest {
    /// What to diagnose, as `go test` takes it: package patterns (`./...`, `shop/cart`,
    /// `shop/...`, directories) or `.go` files (together one package); none is `.`.
    pub patterns: Vec<String>,
    /// Where relative patterns start and import paths are looked up (the current directory).
    pub dir: PathBuf,
    /// go test's flags.
    pub flags: TestFlags,
    /// How many seeds to explore (ignored with `seed`).
    pub runs: u32,
    /// Replay exactly this seed.
    pub seed: Option<Seed>,
    pub gomaxprocs: u32,
    /// The user's environment: builds and tests run in it, with only what gorepro must set.
    pub env: Vec<(OsString, OsString)>,
    /// Explore only this shard's seeds: seed `v3:s` is item `s - 1` ([`Shard::takes`]).
    pub shard: Option<Shard>,
    /// A run still going after this long ends as a `timeout`, as under `go test -timeout`
    /// (from 1 ms to 24 h); `None`: [`DEFAULT_TIMEOUT`].
    pub timeout: Option<Duration>,
    /// Goroutines to ignore (`--ignore`), besides the rules of each module's `.goreproignore`.
    pub ignore: Vec<IgnoreRule>,
}

impl DiagnoseRequest {
    /// A request for `patterns` with the defaults of the command line (10 seeds, GOMAXPROCS=2,
    /// no go test flags) and this process's environment.
    pub fn new(patterns: &[&str]) -> DiagnoseRequest {
        DiagnoseRequest {
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            flags: TestFlags::default(),
            runs: 10,
            seed: None,
            gomaxprocs: 2,
            env: std::env::vars_os().collect(),
            shard: None,
            timeout: None,
            ignore: Vec::new(),
        }
    }
}

/// `go test`'s default `-timeout`: a healthy suite never reaches it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// The supervisor's deadline is at most a day (`support/config.go`).
const TIMEOUT_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(24 * 60 * 60);

/// Parses `--timeout`: a duration in Go's syntax (`time.ParseDuration`, what `go test
/// -timeout` takes), such as `90s`, `10m`, `1h30m` or `1.5s`, from 1 ms to 24 h. Unlike
/// `go test`, `0` is refused: every run has a deadline.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let timeout = parse_go_duration(text)
        .ok_or_else(|| format!("{text:?} is not a duration such as 30s, 10m or 1h30m"))?;
    if !TIMEOUT_RANGE.contains(&timeout) {
        return Err(format!("{text}: the timeout must be from 1ms to 24h"));
    }
    Ok(timeout)
}

/// Go's duration syntax: one or more decimal numbers, each with a unit (`ns`, `us`, `µs`,
/// `ms`, `s`, `m`, `h`); a lone `0` is zero.
fn parse_go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = text;
    let mut seconds = 0.0;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let unit_end = rest[number_end..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .map_or(rest.len(), |i| number_end + i);
        let number = &rest[..number_end];
        if number.is_empty() || number == "." {
            return None;
        }
        let scale = match &rest[number_end..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        seconds += number.parse::<f64>().ok()? * scale;
        rest = &rest[unit_end..];
    }
    if text.is_empty() {
        return None;
    }
    Duration::try_from_secs_f64(seconds).ok()
}

/// `gorepro diagnose` cannot do what was asked. The Go program's behaviour is never one.
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    #[error("{} does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("{} is neither a directory nor a .go file", path.display())]
    NotGo { path: PathBuf },
    #[error("{} is not inside a Go module (no go.mod in it or above it)", path.display())]
    NoModule { path: PathBuf },
    #[error("go list {pattern} failed:\n{output}")]
    List { pattern: String, output: String },
    #[error("pattern {pattern} matched no packages")]
    NoPackages { pattern: String },
    #[error(
        "{import_path} is not in the main module{}: gorepro diagnoses the packages of the module it runs in",
        module.as_deref().map(|m| format!(" (it is in {m})")).unwrap_or_default()
    )]
    NotInModule {
        import_path: String,
        module: Option<String>,
    },
    #[error("{} and {}: named .go files must all be in one directory", first.display(), other.display())]
    FilesInSeveralDirs { first: PathBuf, other: PathBuf },
    #[error(
        "{file} is named with packages: name .go files alone (they form one package) or packages"
    )]
    FilesAndPackages { file: String },
    #[error(transparent)]
    Flags(#[from] FlagError),
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot prepare {}: {message}", path.display())]
    Prepare { path: PathBuf, message: String },
    #[error(
        "{} needs {module}, which go could neither find in the module cache nor download (GOPROXY, GOFLAGS=-mod, go.sum); run `go mod download` in the module first:\n{output}",
        path.display()
    )]
    MissingModule {
        path: PathBuf,
        module: String,
        output: String,
    },
    #[error("{} does not build:\n{output}", path.display())]
    Compile { path: PathBuf, output: String },
    #[error(
        "{}: -race needs cgo and a C compiler (CC, default gcc), which the build could not use:\n{output}",
        path.display()
    )]
    RaceNeedsCgo { path: PathBuf, output: String },
    #[error("{selection} matches no test in {}; its tests are: {}", path.display(), tests.join(", "))]
    NoTestsMatch {
        path: PathBuf,
        /// The selecting flags, as given (`-run '^TestX$'`).
        selection: String,
        tests: Vec<String>,
    },
    #[error("seed {text:?} is not a seed; seeds are written v{SCHEDULE_VERSION}:N with N >= 1")]
    BadSeed { text: String },
    #[error("a timeout of {timeout:?} is out of range: from 1ms to 24h")]
    Timeout { timeout: Duration },
    #[error(
        "seed {seed} is of schedule version {version}, but this gorepro explores schedule version {SCHEDULE_VERSION}: the same number would be a different schedule"
    )]
    SeedVersion { seed: String, version: u32 },
    #[error(
        "the source rewriter speaks schedule version {found}, the harness {SCHEDULE_VERSION}; rebuild gorepro"
    )]
    RewriterVersion { found: u32 },
    #[error(transparent)]
    IgnoreFile(#[from] IgnoreFileError),
    #[error("corpus case {}: {message}", path.display())]
    Corpus { path: PathBuf, message: String },
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    #[error(transparent)]
    Codegen(#[from] crate::codegen::CodegenError),
    #[error(transparent)]
    Build(BuildError),
    #[error(transparent)]
    Run(#[from] run::RunError),
    #[error("interrupted by {}", signal.as_str())]
    Interrupted { signal: Signal },
}

/// One package to diagnose, as `go` will see it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The package directory, or the named file (the first, if several), canonical.
    pub path: PathBuf,
    /// `shop/cart`; `command-line-arguments` for named files, as go calls them.
    pub import_path: String,
    /// The Go package's name.
    pub name: String,
    /// Where `go` runs: the module root (or the generated module of files outside any module).
    pub module_root: PathBuf,
    pub module_path: String,
    /// The package directory as `go` sees it.
    pub package_dir: PathBuf,
    /// The files to rewrite: the package's Go files as `go list` selects them (tags applied,
    /// cgo files left as they are), or the named files.
    pub files: Vec<PathBuf>,
    /// The files the user named (a replay names them again), when the package is made of them.
    pub named: Vec<PathBuf>,
    /// Built from the named files inside their module (`go build a.go b.go`), not as a
    /// package directory.
    pub named_in_module: bool,
    /// The package has `_test.go` files.
    pub has_test_files: bool,
    /// Named without a wildcard: a `main` package without tests then runs its `main`.
    pub explicit: bool,
    /// Why go cannot load the package (no Go files, a syntax error), if it cannot.
    pub error: Option<String>,
}

/// What the rewriter returns.
#[derive(Debug, Clone, Deserialize)]
struct Rewrite {
    schedule_version: u32,
    package: String,
    mode: String,
    tests: Vec<String>,
    sites: usize,
    benchmarks: Vec<String>,
    silent_examples: Vec<String>,
    files: Option<Vec<RewrittenFile>>,
}

#[derive(Debug, Clone, Deserialize)]
struct RewrittenFile {
    target: PathBuf,
    contents: String,
}

/// The built program for a target.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub target: Target,
    pub program: Program,
    /// `main` or `test`.
    pub mode: String,
    pub package: String,
    pub tests: Vec<String>,
    /// Scheduling points inserted.
    pub sites: usize,
    /// Why the build differs from a plain `go build`, when it does.
    pub notes: Vec<String>,
    /// The rules of the module's `.goreproignore`.
    pub ignore: Vec<IgnoreRule>,
}

/// What every line of a report names: lines of several gorepro processes whose explorations
/// are equal ran seeds of the same build under the same settings, so their runs can be merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploration {
    /// The package directory or the file, canonical.
    pub path: String,
    /// The Go package's name.
    pub package: String,
    /// The import path (`shop/cart`; `command-line-arguments` for named files).
    pub import_path: String,
    /// `main` or `test`.
    pub mode: String,
    /// The `-run` regex, if one was given.
    pub test: Option<String>,
    /// The go test flags, as go test spells them (`["-run=^TestA$", "-count=2"]`).
    pub test_flags: Vec<String>,
    pub go_version: String,
    pub gomaxprocs: u32,
    pub schedule_version: u32,
    /// The binary's cache key, shortened: Go version and path, flags, sources and overlay with
    /// their absolute paths (equal for the same code in the same place).
    pub build: String,
}

/// One seed's run.
#[derive(Debug, Clone, Serialize)]
pub struct SeedRun {
    /// Left to the JSON line, which puts it beside the exploration it belongs to.
    #[serde(skip)]
    pub seed: Seed,
    /// A concurrency bug showed: the run was not clean, was not a timeout the scheduling holds
    /// explain, and was more than a test that panicked for a reason the evidence ties to no
    /// concurrency class (that is a failing test).
    pub reproduced: bool,
    /// The tests failed: the testing package reported a failure, the tests' exit status was
    /// not 0, or the test binary panicked for a reason the evidence ties to no concurrency class.
    pub tests_failed: bool,
    /// The tests the testing package reported failing, subtests included, in its order.
    pub failed_tests: Vec<FailedTest>,
    /// What `m.Run` returned when it was not 0 (the supervisor prints it).
    pub tests_exit_status: Option<i32>,
    /// The normalized diagnosis, hashed: runs with equal signatures were diagnosed the same.
    pub signature: String,
    /// The normalized diagnosis as the report prints it (what `signature` hashes), so lines
    /// merged from several processes can still show it.
    pub normalized: String,
    /// The command that replays this seed.
    pub command: String,
    /// Start to exit of the program.
    #[serde(rename = "wall_ms", serialize_with = "as_millis")]
    pub wall: Duration,
    /// From the moment the goroutines got stuck to the supervisor's verdict.
    pub block_to_verdict: Option<classify::Latency>,
    pub evidence_dir: String,
    pub diagnosis: Diagnosis,
    /// The test binary's output, kept with `-v` to be shown.
    #[serde(skip)]
    pub test_output: Option<String>,
    /// Goroutines ignored at the verdict: the ignore rules' and the standard library's own.
    pub ignored_goroutines: usize,
    /// In a test binary's leak run: the goroutines left behind, by the test that started them.
    pub leaks: Vec<TestLeak>,
    /// In a test binary: the innermost tests that had started and not ended at the verdict
    /// (`TestCache/empty`, not also `TestCache`): the tests a deadlock or a timeout was in.
    #[serde(default)]
    pub running_tests: Vec<String>,
}

/// A test the testing package reported failing (`--- FAIL: TestX (0.00s)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedTest {
    pub name: String,
    /// What it logged under its `--- FAIL` line (at most [`MAX_TEST_LOG_LINES`]).
    pub log: Vec<String>,
}

/// Lines of a failing test's log kept with the run; the rest stays in `stdout.txt`.
pub const MAX_TEST_LOG_LINES: usize = 20;

/// What [`diagnose`] tells its caller as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A package is about to be rewritten and built.
    Preparing { target: &'a Target },
    /// A package was skipped, as go test skips it.
    Skipped { skipped: &'a Skipped },
    /// A package could not be diagnosed (several packages were named; the others go on).
    Failed {
        target: &'a Target,
        error: &'a DiagnoseError,
    },
    /// A package's exploration ended: its report.
    Finished { report: &'a DiagnoseReport },
    /// A run is about to start; its replay command, so a run that never ends can be replayed.
    Starting { command: &'a str },
    /// An exploring run finished. `planned` is the number of seeds of the exploration (every
    /// shard's: a seed's number is its place among them), `None` when the seed was given
    /// (`--seed`).
    Explored {
        exploration: &'a Exploration,
        run: &'a SeedRun,
        planned: Option<usize>,
    },
    /// A replay check of a reproducing seed finished.
    Replayed {
        exploration: &'a Exploration,
        run: &'a SeedRun,
        check: ReplayCheck,
    },
}

/// Which replay check a run was, and whether it gave the exploring run's diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReplayCheck {
    /// 1 for the first check of the seed.
    pub check: usize,
    /// The checks made of each seed.
    pub of: usize,
    pub same: bool,
}

/// The result of `gorepro diagnose`.
#[derive(Debug, Clone)]
pub struct DiagnoseReport {
    pub exploration: Exploration,
    /// Scheduling points inserted.
    pub sites: usize,
    pub build_time: Duration,
    pub notes: Vec<String>,
    /// The seeds the exploration set out to run (this shard's, when sharded).
    pub planned: usize,
    /// The seeds of the whole exploration, every shard's together.
    pub planned_all: usize,
    /// The share of the seeds this process explored.
    pub shard: Option<Shard>,
    /// The exploring runs that finished, in seed order (replay checks are not among them).
    pub runs: Vec<SeedRun>,
    /// Runs that reproduced a bug.
    pub hits: usize,
    pub first_reproducing: Option<Seed>,
    /// The seed to replay the bug with, checked by replaying it.
    pub replay: Option<Replay>,
    /// The outcomes and classes of the runs, with how many runs had each, most runs first.
    pub classes: Vec<ClassCount>,
    /// Runs whose tests failed.
    pub test_failures: usize,
    /// The tests that failed, in the order they first did, with how many runs they failed in.
    pub failed_tests: Vec<TestCount>,
    pub first_failing: Option<Seed>,
    /// The signal that stopped the exploration before its end.
    pub interrupted: Option<Signal>,
}

/// Why a package was not explored: go test's `? pkg [no test files]` and `[no tests to run]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum SkipReason {
    /// No `_test.go` files (and not a `main` package named on its own).
    NoTestFiles,
    /// Test files, but nothing `go test` runs without `-bench`: only benchmarks and examples
    /// without an output comment. The package is not built.
    NothingToRun {
        benchmarks: Vec<String>,
        silent_examples: Vec<String>,
    },
    /// `-run`/`-skip` selected none of its tests.
    NoneSelected { tests: Vec<String> },
}

/// A package skipped as go test skips it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The package directory (or named file), canonical.
    pub path: String,
    pub import_path: String,
    /// The Go package's name.
    pub package: String,
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// What became of one package.
#[derive(Debug)]
pub enum PackageResult {
    Explored(DiagnoseReport),
    Skipped(Skipped),
    /// It could not be diagnosed (it does not build, go cannot load it); the others went on.
    Failed {
        target: Target,
        error: DiagnoseError,
    },
}

/// The result of `gorepro diagnose`: every package, in the order they were named.
#[derive(Debug)]
pub struct Diagnosed {
    pub packages: Vec<PackageResult>,
    /// The signal that stopped it before the end.
    pub interrupted: Option<Signal>,
}

impl Diagnosed {
    pub fn explored(&self) -> impl Iterator<Item = &DiagnoseReport> {
        self.packages.iter().filter_map(|p| match p {
            PackageResult::Explored(report) => Some(report),
            _ => None,
        })
    }

    pub fn skipped(&self) -> impl Iterator<Item = &Skipped> {
        self.packages.iter().filter_map(|p| match p {
            PackageResult::Skipped(skipped) => Some(skipped),
            _ => None,
        })
    }

    /// The packages that could not be diagnosed.
    pub fn failed(&self) -> usize {
        self.packages
            .iter()
            .filter(|p| matches!(p, PackageResult::Failed { .. }))
            .count()
    }

    /// A bug reproduced or a test failed in some package.
    pub fn has_findings(&self) -> bool {
        self.explored().any(DiagnoseReport::has_findings)
    }

    /// The tests that failed, over every package (each test once, however many runs).
    pub fn failing_tests(&self) -> usize {
        self.explored().map(|r| r.failed_tests.len()).sum()
    }
}

/// How many runs ended with one outcome and class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassCount {
    pub outcome: Outcome,
    pub class: Option<&'static str>,
    pub runs: usize,
}

/// How many runs one test failed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestCount {
    pub name: String,
    pub runs: usize,
}

pub(crate) fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

/// A reproducing seed and how its replays went.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    pub seed: Seed,
    /// The command that replays it.
    pub command: String,
    /// Replays run to check it (0 when the seed was given, not explored).
    pub checked: usize,
    /// Replays that gave the same normalized diagnosis as the exploring run, goroutine
    /// numbers and the timeline aside (see [`same_but_timing`]).
    pub same: usize,
    /// The replays stopped before [`REPLAY_CHECKS`]: there were as many as exploring runs
    /// (see [`check_replays`]).
    pub budget_spent: bool,
}

/// A goroutine's number in a report (`G12`; both ends of `G2322..G3321`).
static GOROUTINE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bG\d+\b").expect("a valid regex"));

/// Whether two diagnoses are the same but for what a seed does not fix in a test suite whose
/// parallel subtests and pools start goroutines as the machine's timing lets them: the
/// goroutine numbers, given in creation order (the same seven leaked workers are G951..G957 in
/// one run and G941..G947 in its replay), and the timeline (how many short-lived pool
/// goroutines came and went: 865 in one run, 873 in the next). Everything else must match:
/// outcome, class, the stuck groups and their sizes, lines, evidence, wait-for graph.
fn same_but_timing(a: &Diagnosis, b: &Diagnosis) -> bool {
    let comparable = |diagnosis: &Diagnosis| {
        let untimed = Diagnosis {
            timeline: None,
            ..diagnosis.clone()
        };
        without_numbers(&crate::report::render_diagnose_diagnosis(&untimed))
    };
    comparable(a) == comparable(b)
}

/// The text with every goroutine number erased (`G12` -> `G`).
fn without_numbers(text: &str) -> String {
    GOROUTINE_NUMBER.replace_all(text, "G").into_owned()
}

/// Times a reproducing seed is replayed before its replay command is offered, at most.
pub(crate) const REPLAY_CHECKS: usize = 2;
/// Reproducing seeds tried, in seed order, for one whose every replay matches.
pub(crate) const REPLAY_CANDIDATES: usize = 3;

impl SeedRun {
    /// The tests a reproduction that left no leaks was in, joined (`TestA, TestB/x`): what the
    /// report, the progress line and JUnit name a deadlock or a timeout after.
    pub fn stuck_in_tests(&self) -> Option<String> {
        (self.reproduced && self.leaks.is_empty() && !self.running_tests.is_empty())
            .then(|| self.running_tests.join(", "))
    }

    /// The run did not block or fail, but its lock order has an inversion that could deadlock
    /// (see [`crate::lockorder`]): a finding of its own, not a reproduction.
    pub fn predicted(&self) -> bool {
        !self.reproduced && self.diagnosis.class == Some(crate::lockorder::CLASS)
    }

    /// The run without the parts only a featured run's report reads (the timeline, the stuck
    /// goroutines' names, the failed tests' logs): what an exploration keeps of the others.
    fn summary(mut self) -> SeedRun {
        let diagnosis = &mut self.diagnosis;
        diagnosis.timeline = None;
        diagnosis.stuck.clear();
        diagnosis.observations.clear();
        diagnosis.details.clear();
        diagnosis.explanation.clear();
        for test in &mut self.failed_tests {
            test.log.clear();
        }
        self.test_output = None;
        self.normalized.clear();
        self.command.clear();
        self
    }
}

impl DiagnoseReport {
    /// The run that is reported in full: the replay seed's, else the first replay candidate,
    /// else the first whose tests failed, else the first.
    pub fn featured(&self) -> Option<&SeedRun> {
        let replayed = self.replay.as_ref().map(|r| r.seed);
        self.runs
            .iter()
            .find(|r| Some(r.seed) == replayed)
            .or_else(|| replay_candidates(&self.runs).next())
            .or_else(|| self.runs.iter().find(|r| r.tests_failed))
            .or_else(|| self.runs.iter().find(|r| r.predicted()))
            .or_else(|| self.runs.first())
    }

    /// Runs that showed a potential lock-order inversion without blocking.
    pub fn predicted(&self) -> usize {
        self.runs.iter().filter(|r| r.predicted()).count()
    }

    /// A bug reproduced, a test failed or a run's lock order showed a potential inversion:
    /// what makes `gorepro diagnose` exit 1.
    pub fn has_findings(&self) -> bool {
        self.hits > 0 || self.test_failures > 0 || self.predicted() > 0
    }
}

impl SeedRun {
    /// Its class tells the story of the bug, not only which primitive is stuck (a fallback).
    fn has_specific_class(&self) -> bool {
        self.diagnosis
            .class
            .and_then(taxonomy::lookup)
            .is_some_and(|class| !class.is_fallback())
    }
}

/// The reproducing runs whose replays are checked, in the order they are tried: those whose
/// class is specific first, then the fallbacks, each in seed order. When seeds disagree, the
/// featured diagnosis is then the most specific one a replay confirms. A shard walks its own
/// runs in the same order, so the merge finds the checks it needs.
pub(crate) fn replay_candidates(runs: &[SeedRun]) -> impl Iterator<Item = &SeedRun> {
    let reproducing = || runs.iter().filter(|r| r.reproduced);
    reproducing()
        .filter(|r| r.has_specific_class())
        .chain(reproducing().filter(|r| !r.has_specific_class()))
        .take(REPLAY_CANDIDATES)
}

/// The outcomes and classes of `runs` with their counts, most runs first (then by outcome
/// and class, so the order is stable).
pub(crate) fn count_classes(runs: &[SeedRun]) -> Vec<ClassCount> {
    let mut counts: Vec<ClassCount> = Vec::new();
    for run in runs {
        let (outcome, class) = (run.diagnosis.outcome, run.diagnosis.class);
        match counts
            .iter_mut()
            .find(|c| c.outcome == outcome && c.class == class)
        {
            Some(count) => count.runs += 1,
            None => counts.push(ClassCount {
                outcome,
                class,
                runs: 1,
            }),
        }
    }
    counts.sort_by(|a, b| {
        b.runs
            .cmp(&a.runs)
            .then_with(|| a.outcome.as_str().cmp(b.outcome.as_str()))
            .then_with(|| a.class.cmp(&b.class))
    });
    counts
}

/// The failing tests of `runs`, in the order they first failed, each counted once per run.
pub(crate) fn count_failed_tests(runs: &[SeedRun]) -> Vec<TestCount> {
    let mut counts: Vec<TestCount> = Vec::new();
    for run in runs {
        let mut names: Vec<&str> = run.failed_tests.iter().map(|t| t.name.as_str()).collect();
        names.dedup();
        for name in names {
            match counts.iter_mut().find(|c| c.name == name) {
                Some(count) => count.runs += 1,
                None => counts.push(TestCount {
                    name: name.to_string(),
                    runs: 1,
                }),
            }
        }
    }
    counts
}

/// The tests the testing package reported failing in `stdout`, with what each logged: the
/// lines indented under its `--- FAIL` line, up to the next result line.
fn parse_failed_tests(stdout: &str) -> Vec<FailedTest> {
    let mut failed: Vec<FailedTest> = Vec::new();
    // The indentation of the `--- FAIL` line whose log is being read.
    let mut reading: Option<usize> = None;
    for line in stdout.lines() {
        let text = line.trim_start();
        let indent = line.len() - text.len();
        if let Some(rest) = text.strip_prefix("--- FAIL: ") {
            let name = rest.rsplit_once(" (").map_or(rest, |(name, _)| name);
            failed.push(FailedTest {
                name: name.trim().to_string(),
                log: Vec::new(),
            });
            reading = Some(indent);
            continue;
        }
        match (reading, failed.last_mut()) {
            (Some(at), Some(test)) if indent > at && !text.starts_with("--- ") => {
                if test.log.len() < MAX_TEST_LOG_LINES {
                    test.log.push(text.trim_end().to_string());
                }
            }
            _ => reading = None,
        }
    }
    failed
}

/// The tests' exit status when it was not 0, from the supervisor's line on stderr.
fn parse_tests_exit_status(stderr: &str) -> Option<i32> {
    stderr.lines().find_map(|line| {
        line.strip_prefix("gorepro: tests exit status ")?
            .trim()
            .parse()
            .ok()
    })
}

/// The class the classifier gives a panic it ties to no concurrency class.
const UNATTRIBUTED_PANIC: &str = "runtime.panic";

/// The packages `request.patterns` name, in order, each once: `go list` resolves package
/// patterns in the user's module (with the request's build tags); `.go` files form one package.
pub fn resolve(
    toolchain: &Toolchain,
    request: &DiagnoseRequest,
    cache_dir: &Path,
) -> Result<Vec<Target>, DiagnoseError> {
    let files: Vec<&String> = request
        .patterns
        .iter()
        .filter(|p| p.ends_with(".go"))
        .collect();
    if !files.is_empty() {
        if files.len() < request.patterns.len() {
            return Err(DiagnoseError::FilesAndPackages {
                file: files[0].clone(),
            });
        }
        return Ok(vec![named_files(request, &files, cache_dir)?]);
    }
    // As for go test, no pattern is the package in the current directory.
    let current = [".".to_string()];
    let patterns = if request.patterns.is_empty() {
        &current[..]
    } else {
        &request.patterns[..]
    };
    let mut targets: Vec<Target> = Vec::new();
    for pattern in patterns {
        for target in list(toolchain, request, pattern)? {
            if !targets.iter().any(|t| t.import_path == target.import_path) {
                targets.push(target);
            }
        }
    }
    Ok(targets)
}

/// What `go list -json` says of a package (the fields gorepro reads).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    #[serde(default)]
    dir: PathBuf,
    import_path: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    go_files: Vec<String>,
    #[serde(default)]
    test_go_files: Vec<String>,
    #[serde(default)]
    x_test_go_files: Vec<String>,
    #[serde(default)]
    standard: bool,
    module: Option<ListedModule>,
    error: Option<ListedError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedModule {
    path: String,
    #[serde(default)]
    main: bool,
    dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedError {
    err: String,
}

/// A pattern go reads as a directory rather than an import path: `.`, `..`, `./x`, `../x`,
/// or absolute.
fn is_local(pattern: &str) -> bool {
    pattern == "."
        || pattern == ".."
        || pattern.starts_with("./")
        || pattern.starts_with("../")
        || Path::new(pattern).is_absolute()
}

/// A directory pattern split into its literal directory and the pattern `go list` gets there:
/// `/src/shop/...` is `/src/shop` and `./...`; `./cart` is `./cart` and `.`.
fn split_local(pattern: &str) -> (PathBuf, String) {
    let literal: PathBuf = Path::new(pattern)
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains("..."))
        .collect();
    let rest = pattern
        .strip_prefix(literal.to_string_lossy().as_ref())
        .unwrap_or("")
        .trim_start_matches('/');
    let go_pattern = if rest.is_empty() {
        ".".to_string()
    } else {
        format!("./{rest}")
    };
    (literal, go_pattern)
}

/// The packages one pattern matches. A directory pattern is listed from its literal part
/// (`/src/shop` of `/src/shop/...`), so it is resolved in the module that holds it; an import
/// path in the module of the current directory.
fn list(
    toolchain: &Toolchain,
    request: &DiagnoseRequest,
    pattern: &str,
) -> Result<Vec<Target>, DiagnoseError> {
    let (dir, go_pattern) = if is_local(pattern) {
        let (literal, go_pattern) = split_local(pattern);
        let base = request.dir.join(&literal);
        if !base.exists() {
            return Err(DiagnoseError::NotFound { path: base });
        }
        let base = base.canonicalize().map_err(|source| DiagnoseError::Io {
            path: base.clone(),
            source,
        })?;
        if !base.is_dir() {
            return Err(DiagnoseError::NotGo { path: base });
        }
        if !base.ancestors().any(|d| d.join("go.mod").is_file()) {
            return Err(DiagnoseError::NoModule { path: base });
        }
        (base, go_pattern)
    } else {
        (request.dir.clone(), pattern.to_string())
    };
    let mut args = vec![
        "list".to_string(),
        "-e".into(),
        "-json=Dir,ImportPath,Name,GoFiles,TestGoFiles,XTestGoFiles,Standard,Module,Error".into(),
    ];
    if !request.flags.tags.is_empty() {
        args.push(format!("-tags={}", request.flags.tags.join(",")));
    }
    if request.flags.race {
        args.push("-race".into());
    }
    args.push(go_pattern);
    let output = toolchain
        .command_with(&dir, &args, cgo_for(&request.flags))
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .map_err(|source| DiagnoseError::Io {
            path: toolchain.go.clone(),
            source,
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if !output.status.success() {
        return Err(DiagnoseError::List {
            pattern: pattern.into(),
            output: stderr,
        });
    }
    let listed: Vec<Listed> = serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter::<Listed>()
        .collect::<Result<_, _>>()
        .map_err(|e| DiagnoseError::List {
            pattern: pattern.into(),
            output: format!("unreadable output: {e}"),
        })?;
    if listed.is_empty() {
        return Err(DiagnoseError::NoPackages {
            pattern: pattern.into(),
        });
    }
    let explicit = !pattern.contains("...");
    listed
        .into_iter()
        .map(|package| target_of(package, explicit))
        .collect()
}

/// A listed package as a target; a package go cannot load (no Go files, a syntax error) is
/// an error of that package ([`DiagnoseError::Prepare`]).
fn target_of(package: Listed, explicit: bool) -> Result<Target, DiagnoseError> {
    let module = match &package.module {
        Some(module) if module.main && !package.standard => module,
        _ if package.error.is_some() && package.module.is_none() && !package.standard => {
            // Not found at all: go's words say where it looked.
            return Err(DiagnoseError::Prepare {
                path: package.import_path.clone().into(),
                message: package.error.map(|e| e.err).unwrap_or_default(),
            });
        }
        other => {
            return Err(DiagnoseError::NotInModule {
                import_path: package.import_path.clone(),
                module: match other {
                    Some(module) => Some(module.path.clone()),
                    None => Some("the standard library".into()),
                },
            });
        }
    };
    let dir = package.dir.canonicalize().unwrap_or(package.dir.clone());
    let files = [
        &package.go_files,
        &package.test_go_files,
        &package.x_test_go_files,
    ]
    .into_iter()
    .flatten()
    .map(|name| dir.join(name))
    .collect();
    Ok(Target {
        path: dir.clone(),
        name: package.name,
        module_root: module.dir.clone().unwrap_or_else(|| dir.clone()),
        module_path: module.path.clone(),
        package_dir: dir,
        files,
        named: Vec::new(),
        named_in_module: false,
        has_test_files: !package.test_go_files.is_empty() || !package.x_test_go_files.is_empty(),
        explicit,
        error: package.error.map(|e| e.err),
        import_path: package.import_path,
    })
}

/// `.go` files named on the command line: one package, as `go build a.go b.go` makes it. Inside
/// a module it is built as part of the module, so it can import the module's packages; outside
/// any, as the files of a module generated in the cache (named after their content).
fn named_files(
    request: &DiagnoseRequest,
    files: &[&String],
    cache_dir: &Path,
) -> Result<Target, DiagnoseError> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for file in files {
        let path = request.dir.join(file);
        if !path.exists() {
            return Err(DiagnoseError::NotFound { path });
        }
        let path = path.canonicalize().map_err(|source| DiagnoseError::Io {
            path: path.clone(),
            source,
        })?;
        if !path.is_file() {
            return Err(DiagnoseError::NotGo { path });
        }
        if let Some(first) = paths.first()
            && first.parent() != path.parent()
        {
            return Err(DiagnoseError::FilesInSeveralDirs {
                first: first.clone(),
                other: path,
            });
        }
        paths.push(path);
    }
    let dir = paths[0].parent().unwrap_or(Path::new("/")).to_path_buf();
    let has_test_files = paths
        .iter()
        .any(|p| p.to_string_lossy().ends_with("_test.go"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DiagnoseError::Io { path, source }
    };
    let target = |module_root: PathBuf, module_path: String, package_dir: PathBuf, in_module| {
        Ok(Target {
            path: paths[0].clone(),
            import_path: "command-line-arguments".into(),
            name: String::new(),
            module_root,
            module_path,
            package_dir,
            files: paths.clone(),
            named: paths.clone(),
            named_in_module: in_module,
            has_test_files,
            explicit: true,
            error: None,
        })
    };
    if let Some(module_root) = dir.ancestors().find(|d| d.join("go.mod").is_file()) {
        let module_path = module_path(&module_root.join("go.mod"))?;
        return target(module_root.to_path_buf(), module_path, dir.clone(), true);
    }
    // A generated module of its own, named after the files' content, holding only a go.mod:
    // the files themselves are laid over it.
    let mut hasher = blake3::Hasher::new();
    for path in &paths {
        hasher.update(path.as_os_str().as_encoded_bytes());
        hasher.update(&std::fs::read(path).map_err(io(path))?);
    }
    let key = hasher.finalize().to_hex()[..16].to_string();
    let module_root = cache_dir.join("diagnose").join(format!("file-{key}"));
    std::fs::create_dir_all(&module_root).map_err(io(&module_root))?;
    let module_path = "gorepro.dev/file".to_string();
    let go_mod = module_root.join("go.mod");
    let contents = format!(
        "module {module_path}\n\ngo {}.{}\n",
        SAMPLES_GO.0, SAMPLES_GO.1
    );
    if std::fs::read_to_string(&go_mod).ok().as_deref() != Some(contents.as_str()) {
        std::fs::write(&go_mod, contents).map_err(io(&go_mod))?;
    }
    target(module_root.clone(), module_path, module_root, false)
}

/// The module path a `go.mod` declares.
fn module_path(go_mod: &Path) -> Result<String, DiagnoseError> {
    let text = std::fs::read_to_string(go_mod).map_err(|source| DiagnoseError::Io {
        path: go_mod.to_path_buf(),
        source,
    })?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("module "))
        .map(|m| m.trim().trim_matches('"').to_string())
        .ok_or_else(|| DiagnoseError::Prepare {
            path: go_mod.to_path_buf(),
            message: "go.mod has no module line".into(),
        })
}

/// The race detector links through cgo.
fn cgo_for(flags: &TestFlags) -> &'static [(&'static str, &'static str)] {
    if flags.race {
        &[("CGO_ENABLED", "1")]
    } else {
        &[]
    }
}

/// The user's `go.mod` as the build sees it: requiring the supervisor's module from the local
/// `go-samples/`, and (if older) at the Go version that module needs. Returns the new text and
/// a note when the go line had to change.
fn overlay_go_mod(text: &str, samples_dir: &Path) -> (String, Option<String>) {
    let mut notes = None;
    let mut out = String::new();
    for line in text.lines() {
        if let Some(version) = line.trim().strip_prefix("go ") {
            let mut parts = version
                .trim()
                .split('.')
                .map(|p| p.parse::<u32>().unwrap_or(0));
            let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
            if found < SAMPLES_GO {
                notes = Some(format!(
                    "go.mod says go {}; the build uses go {}.{} (what the supervisor needs), which changes the language version{} of the module's files",
                    version.trim(),
                    SAMPLES_GO.0,
                    SAMPLES_GO.1,
                    if found < (1, 22) {
                        " (loop variables become per-iteration)"
                    } else {
                        ""
                    }
                ));
                out.push_str(&format!("go {}.{}\n", SAMPLES_GO.0, SAMPLES_GO.1));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!(
        "\nrequire {SAMPLES_MODULE_PATH} v0.0.0\n\nreplace {SAMPLES_MODULE_PATH} => {}\n",
        samples_dir.display()
    ));
    (out, notes)
}

/// What [`prepare`] made of a package: a built program, or the reason go test would skip it.
#[derive(Debug)]
pub enum Preparation {
    Built(Box<(Prepared, build::Artifact)>),
    Skipped(Skipped),
}

/// Rewrites and builds the target with `toolchain` (the user's, [`Toolchain::for_user`]), or
/// says why `go test` would run nothing of it.
pub fn prepare(
    harness: &Harness,
    toolchain: &Toolchain,
    target: Target,
    flags: &TestFlags,
) -> Result<Preparation, DiagnoseError> {
    if let Some(message) = &target.error {
        return Err(DiagnoseError::Prepare {
            path: target.path.clone(),
            message: message.clone(),
        });
    }
    let skipped = |package: &str, reason| {
        Preparation::Skipped(Skipped {
            path: target.path.display().to_string(),
            import_path: target.import_path.clone(),
            package: package.to_string(),
            reason,
        })
    };
    // As go test: the tests when there are test files; a main package named on its own (and
    // not asked for tests) runs its main.
    let mode = if target.has_test_files || flags.selects() {
        "test"
    } else if !target.named.is_empty() || (target.name == "main" && target.explicit) {
        "auto"
    } else {
        return Ok(skipped(&target.name, SkipReason::NoTestFiles));
    };
    let samples_dir = harness.config.samples_dir();
    let tool = harness
        .toolchain
        .perturb_tool(&harness.config.cache_dir, &samples_dir)?;
    let mut args = vec![
        "-dir".to_string(),
        target.package_dir.display().to_string(),
        "-mode".into(),
        mode.into(),
    ];
    args.extend(target.files.iter().map(|f| f.display().to_string()));
    let output = harness
        .toolchain
        .tool_command(&tool, &target.module_root, &args)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .map_err(|source| DiagnoseError::Io {
            path: tool.clone(),
            source,
        })?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr);
        return Err(DiagnoseError::Prepare {
            path: target.path.clone(),
            message: message.trim().trim_start_matches("perturb: ").to_string(),
        });
    }
    let rewrite: Rewrite =
        serde_json::from_slice(&output.stdout).map_err(|e| DiagnoseError::Prepare {
            path: target.path.clone(),
            message: format!("unreadable rewriter output: {e}"),
        })?;
    if rewrite.schedule_version != SCHEDULE_VERSION {
        return Err(DiagnoseError::RewriterVersion {
            found: rewrite.schedule_version,
        });
    }
    if rewrite.mode == "test" && rewrite.tests.is_empty() {
        return Ok(skipped(
            &rewrite.package,
            SkipReason::NothingToRun {
                benchmarks: rewrite.benchmarks,
                silent_examples: rewrite.silent_examples,
            },
        ));
    }
    let mut overlay: Vec<(PathBuf, String)> = rewrite
        .files
        .into_iter()
        .flatten()
        .map(|f| (f.target, f.contents))
        .collect();
    // Named files are the package: the build names them, with the files the rewriter added.
    let files = if target.named_in_module {
        overlay.iter().map(|(path, _)| path.clone()).collect()
    } else {
        Vec::new()
    };
    let mut notes = Vec::new();
    let mut extra_inputs = Vec::new();
    if target.module_path != SAMPLES_MODULE_PATH {
        let go_mod = target.module_root.join("go.mod");
        let text = std::fs::read_to_string(&go_mod).map_err(|source| DiagnoseError::Io {
            path: go_mod.clone(),
            source,
        })?;
        let (text, note) = overlay_go_mod(&text, &samples_dir);
        notes.extend(note);
        overlay.push((go_mod, text));
        extra_inputs.push(samples_dir.join("support"));
    }
    // A vendored module builds from vendor/, and go checks vendor/modules.txt against go.mod,
    // reading it from disk (an overlay does not reach it): with the supervisor's module added to
    // go.mod, the check fails. Such a module is built from the module cache instead.
    let mut build_flags = Vec::new();
    if target
        .module_root
        .join("vendor")
        .join("modules.txt")
        .is_file()
    {
        build_flags.push("-mod=mod".to_string());
        notes.push(
            "vendor/ is not used: gorepro adds its supervisor's module to go.mod, which go's vendoring check would refuse; the build uses -mod=mod and the module cache (go mod download, if offline)".into(),
        );
    }
    let relative = target
        .package_dir
        .strip_prefix(&target.module_root)
        .unwrap_or(Path::new(""));
    let mut program = Program {
        scenario: format!("diagnose {}", target.path.display()),
        variant: Variant::Buggy,
        module_dir: target.module_root.clone(),
        package: format!("./{}", relative.display()),
        files,
        tags: flags.tags.clone(),
        flags: build_flags,
        race: flags.race,
        overlay,
        test_binary: rewrite.mode == "test",
        extra_inputs,
    };
    let ignore = crate::ignore::load(&target.module_root)?;
    if harness.config.instances {
        program.add_instances(&toolchain.goroot()?)?;
    }
    let artifact = build::build(toolchain, &program, &harness.config.cache_dir)
        .map_err(|e| build_error(e, &target.path, flags.race))?;
    Ok(Preparation::Built(Box::new((
        Prepared {
            target,
            program,
            mode: rewrite.mode,
            package: rewrite.package,
            tests: rewrite.tests,
            sites: rewrite.sites,
            notes,
            ignore,
        },
        artifact,
    ))))
}

impl DiagnoseError {
    /// An error of one package's code (it does not load or build), not of the harness: with
    /// several packages, the others go on.
    pub fn is_of_the_package(&self) -> bool {
        matches!(
            self,
            DiagnoseError::Prepare { .. }
                | DiagnoseError::Compile { .. }
                | DiagnoseError::MissingModule { .. }
                | DiagnoseError::RaceNeedsCgo { .. }
        )
    }
}

/// A compile failure, told apart from a module go could not find or download.
fn build_error(error: BuildError, path: &Path, race: bool) -> DiagnoseError {
    let BuildError::Compile { output, .. } = error else {
        return DiagnoseError::Build(error);
    };
    // "cgo: C compiler "gcc" not found: exec: "gcc": executable file not found in $PATH"
    if race && output.contains("C compiler") {
        return DiagnoseError::RaceNeedsCgo {
            path: path.into(),
            output,
        };
    }
    // "go: downloading example.com/x v1.2.3" then "main.go:3:8: module lookup disabled by
    // GOPROXY=off"; or "go: example.com/x@v1.2.3: module lookup disabled by GOPROXY=off"; or
    // "x.go:3:8: missing go.sum entry for module providing package example.com/x/y (...)".
    let offline = output.contains("module lookup disabled by GOPROXY=off");
    let missing = output.lines().find_map(|line| {
        if offline
            && let Some(rest) = line.strip_prefix("go: downloading ")
            && let Some((module, version)) = rest.split_once(' ')
        {
            return Some(format!("{module}@{version}"));
        }
        if let Some((head, _)) = line.split_once(": module lookup disabled")
            && let Some(module) = head.rsplit(' ').next().filter(|m| m.contains('@'))
        {
            return Some(module.to_string());
        }
        let (_, rest) = line.split_once("missing go.sum entry for module providing package ")?;
        rest.split_whitespace().next().map(str::to_string)
    });
    // With a proxy: "go: downloading example.com/x v1.2.3", then the download failing,
    // "main.go:3:8: example.com/x@v1.2.3: reading https://...: 404 Not Found".
    let failed_download = || {
        output
            .lines()
            .filter_map(|line| line.strip_prefix("go: downloading "))
            .filter_map(|rest| rest.split_once(' '))
            .map(|(module, version)| format!("{module}@{version}"))
            .find(|module| output.contains(&format!("{module}: ")))
    };
    let missing = missing
        .or_else(failed_download)
        .or_else(|| offline.then(|| "a module".to_string()));
    match missing {
        Some(module) => DiagnoseError::MissingModule {
            path: path.into(),
            module,
            output,
        },
        None => DiagnoseError::Compile {
            path: path.into(),
            output,
        },
    }
}

/// Runs the prepared program once with `seed`. `replay` numbers a check of a seed that already
/// ran (0: the first run), so each run keeps its own evidence files.
pub fn run_seed(
    harness: &Harness,
    prepared: &Prepared,
    artifact: &build::Artifact,
    request: &DiagnoseRequest,
    seed: Seed,
    replay: usize,
    vet_findings: &[vet::Finding],
) -> Result<SeedRun, DiagnoseError> {
    // The user's environment: gorepro's own variables are the ones it sets.
    let mut env: Vec<(OsString, OsString)> = request
        .env
        .iter()
        .filter(|(name, _)| !name.to_string_lossy().starts_with("GOREPRO_"))
        .cloned()
        .collect();
    env.push(("GOREPRO_PERTURB_SEED".into(), seed.value.to_string().into()));
    let ignore: Vec<IgnoreRule> = (prepared.ignore.iter())
        .chain(&request.ignore)
        .cloned()
        .collect();
    if !ignore.is_empty() {
        env.push((
            "GOREPRO_IGNORE".into(),
            crate::ignore::env_value(&ignore).into(),
        ));
    }
    let tests = prepared.mode == "test";
    if tests {
        env.push((
            "GOREPRO_TEST_DIR".into(),
            prepared.target.package_dir.clone().into_os_string(),
        ));
        if let Some(regex) = &request.flags.run {
            env.push(("GOREPRO_TEST_RUN".into(), regex.into()));
        }
    }
    let mut run_name = format!(
        "diagnose-{}-p{}-{}",
        &artifact.key[..12],
        request.gomaxprocs,
        seed.value
    );
    if replay > 0 {
        run_name += &format!("-replay{replay}");
    }
    let evidence_dir = harness.config.cache_dir.join("runs").join(run_name);
    let timeout = request.timeout.unwrap_or(DEFAULT_TIMEOUT);
    if !TIMEOUT_RANGE.contains(&timeout) {
        return Err(DiagnoseError::Timeout { timeout });
    }
    // The supervisor's deadline is the test timeout; the harness's backstop follows it.
    let config = crate::Config {
        supervisor_deadline: timeout,
        ..harness.config.clone()
    };
    let output = run::run(
        &run::RunRequest {
            binary: artifact.binary.clone(),
            evidence_dir,
            gomaxprocs: request.gomaxprocs,
            base_env: env,
            args: if tests {
                request.flags.binary_args()
            } else {
                Vec::new()
            },
            env: Vec::new(),
        },
        &config,
    )?;
    // The signal ended the program: what it left is no result, and not worth reading.
    if let Some(signal) = interrupt::received() {
        return Err(DiagnoseError::Interrupted { signal });
    }
    // The testing package's own words (on stderr) when -run or -skip selects nothing.
    if tests
        && output
            .stderr
            .text
            .contains("testing: warning: no tests to run")
    {
        return Err(DiagnoseError::NoTestsMatch {
            path: prepared.target.path.clone(),
            selection: selection(&request.flags),
            tests: prepared.tests.clone(),
        });
    }
    let mut evidence = evidence::collect(&harness.trace_reader, &harness.config, &output);
    evidence.vet = vet_findings.to_vec();
    let user_code = UserCode::module(&prepared.target.module_path);
    let diagnosis = entry_points_renamed_back(classify::classify(&evidence, &user_code));
    let ignored_goroutines = evidence
        .verdict
        .as_ref()
        .map_or(0, |v| v.ignored_goroutines.len());
    let leaks = crate::leaks::by_test(&evidence, &user_code);
    let running_tests = evidence
        .verdict
        .as_ref()
        .map(|v| innermost_tests(&v.running_tests))
        .unwrap_or_default();
    let tests = prepared.mode == "test";
    let (failed_tests, tests_exit_status) = if tests {
        (
            parse_failed_tests(&output.stdout.text),
            parse_tests_exit_status(&output.stderr.text),
        )
    } else {
        (Vec::new(), None)
    };
    // The testing package prints `--- FAIL` for a test that panicked, then the panic ends the
    // binary; a panic in a goroutine a test started ends it without a word from the testing
    // package. Unless the evidence ties the panic to a concurrency class, that is a failing
    // test, not a reproduction.
    let test_panicked =
        tests && diagnosis.outcome == Outcome::Panic && diagnosis.class == Some(UNATTRIBUTED_PANIC);
    let normalized = crate::report::render_diagnose_diagnosis(&diagnosis);
    Ok(SeedRun {
        seed,
        reproduced: diagnosis.outcome != Outcome::Clean
            && !test_panicked
            && !diagnosis.inconclusive,
        tests_failed: !failed_tests.is_empty() || tests_exit_status.is_some() || test_panicked,
        failed_tests,
        tests_exit_status,
        signature: crate::merge::signature(&normalized),
        normalized,
        command: replay_command(harness, request, &prepared.target, seed),
        block_to_verdict: diagnosis.latency,
        wall: output.wall,
        evidence_dir: output.evidence_dir.display().to_string(),
        diagnosis,
        test_output: request.flags.verbose.then(|| output.stdout.text.clone()),
        ignored_goroutines,
        leaks,
        running_tests,
    })
}

/// The tests of `running` that run no subtest of their own: a parent waits for its subtests.
fn innermost_tests(running: &[String]) -> Vec<String> {
    running
        .iter()
        .filter(|test| {
            !running.iter().any(|other| {
                other
                    .strip_prefix(test.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
            })
        })
        .cloned()
        .collect()
}

/// The flags that selected the tests, as typed: `-run '^TestX$' -skip Slow`.
fn selection(flags: &TestFlags) -> String {
    let mut words = Vec::new();
    for (flag, value) in [("-run", &flags.run), ("-skip", &flags.skip)] {
        if let Some(value) = value {
            words.push(format!("{flag} {}", shell_word(value)));
        }
    }
    words.join(" ")
}

/// The rewriter renamed the user's `main` and `TestMain` (to call them from the supervisor's
/// entry point); the report uses the names the user wrote.
fn entry_points_renamed_back(mut diagnosis: Diagnosis) -> Diagnosis {
    let back = |text: &str| {
        text.replace("goreproUserTestMain", "TestMain")
            .replace("goreproUserMain", "main")
    };
    for group in &mut diagnosis.stuck {
        group.function = group.function.as_deref().map(back);
    }
    if let Some(failure) = &mut diagnosis.failure {
        failure.message = back(&failure.message);
    }
    diagnosis.observations = diagnosis.observations.iter().map(|o| back(o)).collect();
    diagnosis.explanation = back(&diagnosis.explanation);
    diagnosis
}

/// The command that replays `seed` of `target`'s exploration.
pub fn replay_command(
    harness: &Harness,
    request: &DiagnoseRequest,
    target: &Target,
    seed: Seed,
) -> String {
    let named = if target.named.is_empty() {
        std::slice::from_ref(&target.path)
    } else {
        &target.named[..]
    };
    let mut command = format!(
        "GOREPRO_GO={} gorepro diagnose",
        harness.toolchain.go.display()
    );
    for path in named {
        command.push(' ');
        command.push_str(&shell_word(&path.display().to_string()));
    }
    command.push_str(&format!(
        " --seed {seed} --gomaxprocs {}",
        request.gomaxprocs
    ));
    for rule in &request.ignore {
        command.push_str(" --ignore ");
        command.push_str(&shell_word(&rule.to_string()));
    }
    for flag in request.flags.spelled() {
        command.push(' ');
        command.push_str(&shell_word(&flag));
    }
    command
}

fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Diagnoses what `request` names: each package in turn is built once, run for each seed, and
/// reported. `on_progress` hears of each run before it starts (its replay command: a run the
/// harness has to kill can still be replayed), as soon as it is classified, and of each
/// package as it ends. After SIGINT or SIGTERM ([`interrupt::received`]) no run starts, the one
/// the signal cut short is dropped, and the result covers the runs that finished; before the
/// first package's build is done, the result is [`DiagnoseError::Interrupted`].
///
/// With one package, its error is the result (a `-run` that selects none of its tests
/// included, [`DiagnoseError::NoTestsMatch`]). With several, a package that cannot be built
/// is reported ([`Progress::Failed`]) and the others go on.
pub fn diagnose(
    harness: &Harness,
    request: &DiagnoseRequest,
    mut on_progress: impl FnMut(Progress<'_>),
) -> Result<Diagnosed, DiagnoseError> {
    let toolchain = harness.toolchain.for_user(request.env.clone());
    let targets = resolve(&toolchain, request, &harness.config.cache_dir)?;
    let single = targets.len() == 1;
    let mut packages = Vec::new();
    let mut interrupted = None;
    for target in targets {
        if let Some(signal) = interrupt::received() {
            interrupted = Some(signal);
            break;
        }
        match diagnose_package(harness, &toolchain, request, &target, &mut on_progress) {
            Ok(Package::Explored(report)) => {
                on_progress(Progress::Finished { report: &report });
                interrupted = report.interrupted;
                packages.push(PackageResult::Explored(*report));
                if interrupted.is_some() {
                    break;
                }
            }
            Ok(Package::Skipped(skipped)) => {
                if let (true, SkipReason::NoneSelected { tests }) = (single, &skipped.reason) {
                    return Err(DiagnoseError::NoTestsMatch {
                        path: target.path,
                        selection: selection(&request.flags),
                        tests: tests.clone(),
                    });
                }
                on_progress(Progress::Skipped { skipped: &skipped });
                packages.push(PackageResult::Skipped(skipped));
            }
            Err(DiagnoseError::Interrupted { signal }) if !packages.is_empty() => {
                interrupted = Some(signal);
                break;
            }
            Err(error) if !single && error.is_of_the_package() => {
                on_progress(Progress::Failed {
                    target: &target,
                    error: &error,
                });
                packages.push(PackageResult::Failed { target, error });
            }
            Err(error) => return Err(error),
        }
    }
    Ok(Diagnosed {
        packages,
        interrupted,
    })
}

/// One package's end: explored, or skipped as go test skips it.
enum Package {
    Explored(Box<DiagnoseReport>),
    Skipped(Skipped),
}

/// Diagnoses one package: builds it once, runs it for each seed, and reports.
fn diagnose_package(
    harness: &Harness,
    toolchain: &Toolchain,
    request: &DiagnoseRequest,
    target: &Target,
    on_progress: &mut impl FnMut(Progress<'_>),
) -> Result<Package, DiagnoseError> {
    // A step the signal cut short fails because of it, whatever it says.
    let unless_interrupted = |error| match interrupt::received() {
        Some(signal) => DiagnoseError::Interrupted { signal },
        None => error,
    };
    on_progress(Progress::Preparing { target });
    let path = target.path.clone();
    let started = Instant::now();
    let (prepared, artifact) = match prepare(harness, toolchain, target.clone(), &request.flags)
        .map_err(unless_interrupted)?
    {
        Preparation::Built(built) => *built,
        Preparation::Skipped(skipped) => return Ok(Package::Skipped(skipped)),
    };
    let vet_output = vet::vet(
        toolchain,
        &prepared.program,
        &artifact,
        &harness.config.cache_dir.join("tmp"),
    );
    let vet_findings = vet::parse(&vet_output, &prepared.target.module_root);
    let build_time = started.elapsed();
    let exploration = Exploration {
        path: path.display().to_string(),
        package: prepared.package.clone(),
        import_path: target.import_path.clone(),
        mode: prepared.mode.clone(),
        test: request.flags.run.clone(),
        test_flags: request.flags.spelled(),
        go_version: harness.toolchain.version.to_string(),
        gomaxprocs: request.gomaxprocs,
        schedule_version: SCHEDULE_VERSION,
        build: artifact.key.chars().take(16).collect(),
    };
    let seeds: Vec<Seed> = match request.seed {
        Some(seed) => vec![seed],
        None => (1..=u64::from(request.runs.max(1)))
            .filter(|value| request.shard.is_none_or(|shard| shard.takes(value - 1)))
            .map(|value| Seed {
                version: SCHEDULE_VERSION,
                value,
            })
            .collect(),
    };
    let planned = seeds.len();
    let planned_all = match request.seed {
        Some(_) => 1,
        None => request.runs.max(1) as usize,
    };
    let mut interrupted = None;
    let mut runs: Vec<SeedRun> = Vec::new();
    for seed in seeds {
        let command = replay_command(harness, request, target, seed);
        if let Some(signal) = interrupt::received() {
            interrupted = Some(signal);
            break;
        }
        on_progress(Progress::Starting { command: &command });
        let run = run_seed(
            harness,
            &prepared,
            &artifact,
            request,
            seed,
            0,
            &vet_findings,
        );
        if let Some(signal) = interrupt::received() {
            interrupted = Some(signal);
            break;
        }
        let run = match run {
            // -run or -skip selected none of its tests: go test's `[no tests to run]`.
            Err(DiagnoseError::NoTestsMatch { tests, .. }) if runs.is_empty() => {
                return Ok(Package::Skipped(Skipped {
                    path: path.display().to_string(),
                    import_path: target.import_path.clone(),
                    package: prepared.package.clone(),
                    reason: SkipReason::NoneSelected { tests },
                }));
            }
            run => run?,
        };
        on_progress(Progress::Explored {
            exploration: &exploration,
            run: &run,
            planned: request.seed.is_none().then_some(planned_all),
        });
        // The JSON line has the whole diagnosis; the report needs it only for runs it may
        // feature, so a long exploration keeps a summary of the others.
        let featurable = runs.is_empty()
            || run.reproduced
                && runs
                    .iter()
                    .filter(|r| r.reproduced && r.has_specific_class() == run.has_specific_class())
                    .count()
                    < REPLAY_CANDIDATES
            || run.tests_failed && !runs.iter().any(|r| r.tests_failed)
            || run.predicted() && !runs.iter().any(SeedRun::predicted);
        runs.push(if featurable { run } else { run.summary() });
    }
    let first_reproducing = runs.iter().find(|r| r.reproduced).map(|r| r.seed);
    let replay = if request.seed.is_some() {
        first_reproducing.map(|seed| Replay {
            seed,
            command: replay_command(harness, request, target, seed),
            checked: 0,
            same: 0,
            budget_spent: false,
        })
    } else {
        check_replays(&runs, |found, check| {
            if let Some(signal) = interrupt::received() {
                interrupted = Some(signal);
                return Ok(None);
            }
            on_progress(Progress::Starting {
                command: &found.command,
            });
            let replayed = run_seed(
                harness,
                &prepared,
                &artifact,
                request,
                found.seed,
                check,
                &vet_findings,
            );
            if let Some(signal) = interrupt::received() {
                interrupted = Some(signal);
                return Ok(None);
            }
            let replayed = replayed?;
            let same = replayed.signature == found.signature
                || same_but_timing(&replayed.diagnosis, &found.diagnosis);
            on_progress(Progress::Replayed {
                exploration: &exploration,
                run: &replayed,
                check: ReplayCheck {
                    check,
                    of: REPLAY_CHECKS,
                    same,
                },
            });
            Ok(Some(same))
        })?
    };
    Ok(Package::Explored(Box::new(DiagnoseReport {
        exploration,
        sites: prepared.sites,
        build_time,
        notes: prepared.notes,
        planned,
        planned_all,
        shard: request.shard,
        hits: runs.iter().filter(|r| r.reproduced).count(),
        first_reproducing,
        replay,
        classes: count_classes(&runs),
        test_failures: runs.iter().filter(|r| r.tests_failed).count(),
        failed_tests: count_failed_tests(&runs),
        first_failing: runs.iter().find(|r| r.tests_failed).map(|r| r.seed),
        interrupted,
        runs,
    })))
}

/// The seed whose replay command the report offers. A seed fixes where goroutines are held, not
/// every race of the program: a seed that reproduced through a race the holds left open may not
/// do it again. So the [`replay_candidates`] are replayed (`replay(run, n)` runs the n-th check
/// of `run`'s seed; `None` when a signal cut it short, which ends the checks), up to
/// [`REPLAY_CHECKS`] times each, and the first whose checks all match is offered; if none is,
/// the first one checked, with its count. The checks, in all, are at most as many as the
/// exploring runs: on a suite that runs for minutes, `--runs 1` must not triple the cost of
/// finding the bug. A count, not a time, so the same exploration always checks the same way.
fn check_replays(
    runs: &[SeedRun],
    mut replay: impl FnMut(&SeedRun, usize) -> Result<Option<bool>, DiagnoseError>,
) -> Result<Option<Replay>, DiagnoseError> {
    let budget = runs.len();
    let mut spent = 0;
    let mut first_tried: Option<Replay> = None;
    for found in replay_candidates(runs) {
        let (mut checked, mut same) = (0, 0);
        for check in 1..=REPLAY_CHECKS {
            if spent >= budget {
                break;
            }
            let Some(same_diagnosis) = replay(found, check)? else {
                return Ok(first_tried);
            };
            spent += 1;
            checked += 1;
            same += usize::from(same_diagnosis);
        }
        if checked == 0 {
            break; // the budget is spent
        }
        let replay = Replay {
            seed: found.seed,
            command: found.command.clone(),
            checked,
            same,
            budget_spent: checked < REPLAY_CHECKS,
        };
        if same == checked {
            return Ok(Some(replay));
        }
        first_tried.get_or_insert(replay);
    }
    Ok(first_tried)
}

/// One reproduction of a real, publicly reported bug in `go-samples/corpus/<id>/`: a test
/// package with `TestBuggy` and `TestFixed`, and this `case.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusCase {
    #[serde(skip)]
    pub id: String,
    #[serde(skip)]
    pub dir: PathBuf,
    /// The public report the case reproduces.
    pub report: String,
    pub project: String,
    /// `blocking` or `leaking`.
    pub kind: String,
    pub primitives: Vec<String>,
    /// The outcome of the buggy test (`deadlock`, `leak`, ...).
    pub outcome: String,
    /// The true class of the bug, in the taxonomy.
    pub class: String,
    /// Seeds to explore, for the bug and for the fix.
    pub runs: u32,
    pub summary: String,
    /// What the classifier says instead of `class` when its evidence cannot decide the true
    /// class (counted as misclassified), and why.
    #[serde(default)]
    pub diagnosed_as: Option<String>,
    #[serde(default)]
    pub diagnosed_as_because: Option<String>,
}

/// Every case of the corpus, sorted by id.
pub fn load_corpus(dir: &Path) -> Result<Vec<CorpusCase>, DiagnoseError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DiagnoseError::Io { path, source }
    };
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let case_dir = entry.map_err(io(dir))?.path();
        let spec = case_dir.join("case.toml");
        if !spec.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&spec).map_err(io(&spec))?;
        let mut case: CorpusCase = toml::from_str(&text).map_err(|e| DiagnoseError::Corpus {
            path: spec.clone(),
            message: e.to_string(),
        })?;
        if let Err(message) = case.outcome.parse::<Outcome>() {
            return Err(DiagnoseError::Corpus {
                path: spec,
                message,
            });
        }
        if taxonomy::lookup(&case.class).is_none() {
            return Err(DiagnoseError::Corpus {
                path: spec,
                message: format!("class {:?} is not in the taxonomy", case.class),
            });
        }
        case.id = case_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        case.dir = case_dir;
        cases.push(case);
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(cases)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A run of seed `v3:<value>` that ended as `outcome` with `class`, failing `tests`.
    pub(crate) fn sample_run(
        value: u64,
        outcome: Outcome,
        class: Option<&'static str>,
        tests: &[&str],
    ) -> SeedRun {
        let diagnosis = Diagnosis {
            outcome,
            class,
            stuck: Vec::new(),
            failure: None,
            observations: Vec::new(),
            vet: Vec::new(),
            explanation: String::new(),
            notes: Vec::new(),
            details: Vec::new(),
            wait_for: None,
            timeline: None,
            latency: None,
            inconclusive: false,
            lock_order: None,
        };
        let normalized = crate::report::render_diagnose_diagnosis(&diagnosis);
        SeedRun {
            seed: Seed {
                version: SCHEDULE_VERSION,
                value,
            },
            reproduced: outcome != Outcome::Clean,
            tests_failed: !tests.is_empty(),
            failed_tests: tests
                .iter()
                .map(|name| FailedTest {
                    name: name.to_string(),
                    log: Vec::new(),
                })
                .collect(),
            tests_exit_status: (!tests.is_empty()).then_some(1),
            signature: crate::merge::signature(&normalized),
            normalized,
            command: format!("gorepro diagnose /src --seed v3:{value} --gomaxprocs 2"),
            wall: Duration::from_millis(41),
            block_to_verdict: None,
            evidence_dir: "/evidence".into(),
            diagnosis,
            test_output: None,
            ignored_goroutines: 0,
            leaks: Vec::new(),
            running_tests: Vec::new(),
        }
    }

    #[test]
    fn a_parent_test_waiting_for_its_subtests_is_not_listed() {
        let running = ["TestA", "TestA/empty", "TestAB", "TestB/x/y", "TestB/x"].map(String::from);
        assert_eq!(
            innermost_tests(&running),
            ["TestA/empty", "TestAB", "TestB/x/y"]
        );
    }

    /// github.com/sourcegraph/conc/pool's suite leaves seven workers behind; its parallel
    /// subtests number them differently from one run of the same seed to the next.
    #[test]
    fn replays_that_differ_only_in_goroutine_numbers_are_the_same_diagnosis() {
        let report = |workers: &str, sender: &str| {
            format!(
                "outcome:  leak\nclass:    chan.range-not-closed\nstuck:\n  {workers} [chan \
                 receive] (leaked) at pool/pool.go:153 in pool.(*Pool).worker, created by \
                 {sender} at waitgroup.go:30\n  - trace: {sender} had delivered values to G9 \
                 there before, and has exited\n"
            )
        };
        let found = without_numbers(&report("G951..G957 (7 goroutines)", "G13"));
        assert_eq!(
            found,
            without_numbers(&report("G941..G947 (7 goroutines)", "G55"))
        );
        // A different count, line or class is a different diagnosis.
        let other = |text: String| without_numbers(&text) != found;
        assert!(other(report("G941..G946 (6 goroutines)", "G55")));
        assert!(other(found.replace("pool.go:153", "pool.go:154")));
        assert!(other(
            found.replace("chan.range-not-closed", "chan.recv-no-sender")
        ));
        // Only whole numbers go: GOMAXPROCS=2 and a G inside a word stay.
        assert_ne!(
            without_numbers("GOMAXPROCS=2"),
            without_numbers("GOMAXPROCS=1")
        );
        assert_ne!(without_numbers("IG12"), without_numbers("IG13"));
    }

    #[test]
    fn a_replay_with_another_outcome_or_class_is_another_diagnosis() {
        let leak = |class| sample_run(1, Outcome::Leak, Some(class), &[]).diagnosis;
        let found = leak("chan.range-not-closed");
        assert!(same_but_timing(&found, &leak("chan.range-not-closed")));
        assert!(!same_but_timing(&found, &leak("timer.ticker-leak")));
        let deadlock = sample_run(1, Outcome::Deadlock, Some("chan.range-not-closed"), &[]);
        assert!(!same_but_timing(&found, &deadlock.diagnosis));
    }

    #[test]
    fn failed_tests_with_subtests_and_their_logs() {
        let stdout = "hello from a test
--- FAIL: TestFails (0.00s)
    x_test.go:5: boom
        second line of the message
--- FAIL: TestSub (0.00s)
    --- FAIL: TestSub/inner (0.01s)
        x_test.go:6: inner boom
--- FAIL: TestPanics (0.00s)
FAIL
";
        let failed = parse_failed_tests(stdout);
        let got: Vec<(&str, Vec<&str>)> = failed
            .iter()
            .map(|t| (t.name.as_str(), t.log.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "TestFails",
                    vec!["x_test.go:5: boom", "second line of the message"]
                ),
                ("TestSub", vec![]),
                ("TestSub/inner", vec!["x_test.go:6: inner boom"]),
                ("TestPanics", vec![]),
            ]
        );
        assert!(parse_failed_tests("ok\nPASS\n").is_empty());
    }

    #[test]
    fn a_long_test_log_is_cut() {
        let mut stdout = "--- FAIL: TestLoud (0.00s)\n".to_string();
        for n in 0..100 {
            stdout += &format!("    x_test.go:{n}: line\n");
        }
        let failed = parse_failed_tests(&stdout);
        assert_eq!(failed[0].log.len(), MAX_TEST_LOG_LINES);
        assert_eq!(failed[0].log[0], "x_test.go:0: line");
    }

    #[test]
    fn the_tests_exit_status_from_the_supervisor() {
        assert_eq!(
            parse_tests_exit_status("noise\ngorepro: tests exit status 3\n"),
            Some(3)
        );
        assert_eq!(parse_tests_exit_status("exit status 1\n"), None);
    }

    #[test]
    fn replays_try_the_specific_classes_before_the_fallbacks() {
        let runs = [
            sample_run(1, Outcome::Leak, Some("mutex.lock-never-released"), &[]),
            sample_run(2, Outcome::Clean, None, &[]),
            sample_run(3, Outcome::Leak, Some("mutex.lock-order-inversion"), &[]),
            sample_run(4, Outcome::Leak, Some("mutex.lock-never-released"), &[]),
            sample_run(5, Outcome::Leak, Some("mutex.lock-never-released"), &[]),
        ];
        let order: Vec<u64> = replay_candidates(&runs).map(|r| r.seed.value).collect();
        assert_eq!(order, [3, 1, 4]);
    }

    /// The offered replay as (seed, checked, same, whether the count cut the checks).
    type Offered = Option<(u64, usize, usize, bool)>;

    /// Replays the checks `check_replays` asks for, the same diagnosis when the seed is in
    /// `same_seeds`: the checks made, (seed, check), and the offered replay.
    fn replayed_with(runs: &[SeedRun], same_seeds: &[u64]) -> (Vec<(u64, usize)>, Offered) {
        let mut made = Vec::new();
        let replay = check_replays(runs, |run, check| {
            made.push((run.seed.value, check));
            Ok(Some(same_seeds.contains(&run.seed.value)))
        })
        .unwrap();
        let offered = replay.map(|r| (r.seed.value, r.checked, r.same, r.budget_spent));
        (made, offered)
    }

    #[test]
    fn replay_checks_are_at_most_as_many_as_the_exploring_runs() {
        let leak = |value| sample_run(value, Outcome::Leak, Some("chan.send-no-receiver"), &[]);
        let clean = |value| sample_run(value, Outcome::Clean, None, &[]);
        // Both checks of the first seed; it does not replay, so both of the next.
        assert_eq!(
            replayed_with(&[leak(1), leak(2), clean(3), clean(4)], &[2]),
            (vec![(1, 1), (1, 2), (2, 1), (2, 2)], Some((2, 2, 2, false)))
        );
        // One exploring run (`--runs 1` on a suite that takes minutes): one check, which is
        // enough when it matches.
        assert_eq!(
            replayed_with(&[leak(1)], &[1]),
            (vec![(1, 1)], Some((1, 1, 1, true)))
        );
        // Two runs buy two checks; when the first seed's do not match, none is left for the
        // next seed, and the first is offered with its count.
        assert_eq!(
            replayed_with(&[leak(1), leak(2)], &[2]),
            (vec![(1, 1), (1, 2)], Some((1, 2, 0, false)))
        );
    }

    #[test]
    fn a_signal_ends_the_replay_checks() {
        let runs = [sample_run(
            1,
            Outcome::Leak,
            Some("chan.send-no-receiver"),
            &[],
        )];
        let replay = check_replays(&runs, |_, _| Ok(None)).unwrap();
        assert!(replay.is_none());
    }

    #[test]
    fn classes_and_failing_tests_are_counted_per_run() {
        let runs = [
            sample_run(1, Outcome::Clean, None, &["TestA"]),
            sample_run(2, Outcome::Deadlock, Some("mutex.double-lock"), &[]),
            sample_run(3, Outcome::Deadlock, Some("mutex.double-lock"), &["TestB"]),
            sample_run(4, Outcome::Leak, Some("chan.send-no-receiver"), &["TestA"]),
        ];
        let classes: Vec<(Outcome, Option<&str>, usize)> = count_classes(&runs)
            .into_iter()
            .map(|c| (c.outcome, c.class, c.runs))
            .collect();
        assert_eq!(
            classes,
            vec![
                (Outcome::Deadlock, Some("mutex.double-lock"), 2),
                (Outcome::Clean, None, 1),
                (Outcome::Leak, Some("chan.send-no-receiver"), 1),
            ]
        );
        let tests: Vec<(String, usize)> = count_failed_tests(&runs)
            .into_iter()
            .map(|t| (t.name, t.runs))
            .collect();
        assert_eq!(tests, vec![("TestA".into(), 2), ("TestB".into(), 1)]);
    }

    #[test]
    fn seeds_carry_their_schedule_version() {
        let seed: Seed = "v3:42".parse().unwrap();
        assert_eq!(
            seed,
            Seed {
                version: 3,
                value: 42
            }
        );
        assert_eq!(seed.to_string(), "v3:42");
        assert!(matches!(
            "42".parse::<Seed>(),
            Err(DiagnoseError::BadSeed { .. })
        ));
        assert!(matches!(
            "v3:0".parse::<Seed>(),
            Err(DiagnoseError::BadSeed { .. })
        ));
        assert!(matches!(
            "v3:x".parse::<Seed>(),
            Err(DiagnoseError::BadSeed { .. })
        ));
        assert!(matches!(
            "v2:42".parse::<Seed>(),
            Err(DiagnoseError::SeedVersion { version: 2, .. })
        ));
    }

    #[test]
    fn timeouts_read_like_go_test_timeouts() {
        let ok = |text: &str| parse_timeout(text).unwrap();
        assert_eq!(ok("10m"), Duration::from_secs(600));
        assert_eq!(ok("1h30m"), Duration::from_secs(5400));
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok("2m3.5s"), Duration::from_millis(123_500));
        assert_eq!(ok("250ms"), Duration::from_millis(250));
        assert_eq!(ok("1500us"), Duration::from_micros(1500));
        assert_eq!(ok("24h"), Duration::from_secs(86_400));
        for bad in [
            "",
            "10",
            "10x",
            "m",
            "1.2.3s",
            "-5s",
            "1 m",
            "99999999999999999999999h",
        ] {
            let error = parse_timeout(bad).unwrap_err();
            assert!(error.contains("not a duration"), "{bad:?}: {error}");
        }
        for out_of_range in ["0", "0s", "500us", "25h", "1441m"] {
            let error = parse_timeout(out_of_range).unwrap_err();
            assert!(
                error.contains("from 1ms to 24h"),
                "{out_of_range:?}: {error}"
            );
        }
    }

    #[test]
    fn go_mod_gains_the_supervisor_module_and_a_new_enough_go_line() {
        let (text, note) = overlay_go_mod(
            "module example.com/m\n\ngo 1.21\n\nrequire example.com/x v1.0.0\n",
            Path::new("/s"),
        );
        assert_eq!(
            text,
            "module example.com/m\n\ngo 1.26\n\nrequire example.com/x v1.0.0\n\n\
             require gorepro.dev/samples v0.0.0\n\nreplace gorepro.dev/samples => /s\n"
        );
        assert!(note.unwrap().contains("per-iteration"));
        let (text, note) = overlay_go_mod("module m\n\ngo 1.27.1\n", Path::new("/s"));
        assert!(text.contains("go 1.27.1\n"));
        assert!(note.is_none());
    }

    #[test]
    fn missing_modules_are_told_apart_from_compile_errors() {
        let error = build_error(
            BuildError::Compile {
                package: "x".into(),
                variant: "buggy".into(),
                output: "x.go:3:8: example.com/dep@v1.2.0: module lookup disabled by GOPROXY=off"
                    .into(),
            },
            Path::new("/p"),
            false,
        );
        assert!(
            matches!(&error, DiagnoseError::MissingModule { module, .. } if module == "example.com/dep@v1.2.0"),
            "{error:?}"
        );
        let error = build_error(
            BuildError::Compile {
                package: "x".into(),
                variant: "buggy".into(),
                output: "go: downloading example.com/absent v1.2.0\nmain.go:3:8: example.com/absent@v1.2.0: reading https://proxy.example/example.com/absent/@v/v1.2.0.zip: 404 Not Found".into(),
            },
            Path::new("/p"),
            false,
        );
        assert!(
            matches!(&error, DiagnoseError::MissingModule { module, .. } if module == "example.com/absent@v1.2.0"),
            "{error:?}"
        );
        let error = build_error(
            BuildError::Compile {
                package: "x".into(),
                variant: "buggy".into(),
                output: "./x.go:3:2: undefined: y".into(),
            },
            Path::new("/p"),
            false,
        );
        assert!(matches!(error, DiagnoseError::Compile { .. }));
    }

    #[test]
    fn directory_patterns_are_told_from_import_paths() {
        for local in [".", "..", "./...", "../shop/...", "/src/shop/cart"] {
            assert!(is_local(local), "{local}");
        }
        for import_path in ["shop/cart", "shop/...", "example.com/m/x", "..."] {
            assert!(!is_local(import_path), "{import_path}");
        }
        let split = |pattern| {
            let (literal, rest) = split_local(pattern);
            (literal.display().to_string(), rest)
        };
        assert_eq!(split("./..."), (".".into(), "./...".into()));
        assert_eq!(split("/src/shop/..."), ("/src/shop".into(), "./...".into()));
        assert_eq!(split("./cart/"), ("./cart".into(), ".".into()));
        assert_eq!(split("../shop/.../x"), ("../shop".into(), "./.../x".into()));
    }

    #[test]
    fn the_selection_is_quoted_for_a_shell() {
        let flags = TestFlags {
            run: Some("^TestA$".into()),
            skip: Some("Slow".into()),
            ..TestFlags::default()
        };
        assert_eq!(selection(&flags), "-run '^TestA$' -skip Slow");
    }
}
