//! `gorepro diagnose`: the pipeline applied to a user's own Go code instead of a scenario.
//!
//! The user's files are never written. The source rewriter (`go-samples/tools/perturb`, built
//! once per Go version like the trace reader) reads the package and returns the files to lay
//! over it with `-overlay`: copies with seeded scheduling points inserted on the original lines,
//! and an entry point that hands the program (`main`) or the tests (`TestMain`, wrapping one the
//! package already has) to the in-process supervisor. The supervisor is the real
//! `gorepro.dev/samples/support` package: the overlay also replaces the user's `go.mod` with
//! one that requires `gorepro.dev/samples` and replaces it with the local `go-samples/`
//! directory, so its function names (the root's `support.runRoot`) are the ones the classifier
//! already knows. A single `.go` file is built as the only file of a generated module in the
//! cache.
//!
//! One binary serves every seed: the seed reaches the scheduling points through
//! `GOREPRO_PERTURB_SEED`, so exploring N seeds costs one build and N runs. Seeds are written
//! `v<schedule version>:<n>`; a seed of another schedule version is refused, since the same
//! number would no longer mean the same schedule.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::build::{self, BuildError};
use crate::classify::{self, Diagnosis, Outcome};
use crate::codegen::Program;
use crate::scenario::Variant;
use crate::toolchain::ToolchainError;
use crate::{Harness, evidence, run, vet};

/// The schedule version this harness writes and replays; it must equal the rewriter's
/// `ScheduleVersion` (checked on every use).
pub const SCHEDULE_VERSION: u32 = 3;

/// The module that holds the supervisor.
const SAMPLES_MODULE_PATH: &str = "gorepro.dev/samples";
/// The Go version the supervisor's module needs from a module that requires it.
const SAMPLES_GO: (u32, u32) = (1, 26);

/// A seed of the schedule exploration: `v3:42`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Seed {
    pub version: u32,
    pub value: u64,
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
    /// A package directory or a single `.go` file.
    pub path: PathBuf,
    /// Run the tests (matching this `-test.run` regex) even in a `main` package.
    pub test: Option<String>,
    /// How many seeds to explore (ignored with `seed`).
    pub runs: u32,
    /// Replay exactly this seed.
    pub seed: Option<Seed>,
    pub gomaxprocs: u32,
    /// A run still going after this long ends as a `timeout`, as under `go test -timeout`
    /// (from 1 ms to 24 h); `None`: [`DEFAULT_TIMEOUT`].
    pub timeout: Option<Duration>,
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
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot prepare {}: {message}", path.display())]
    Prepare { path: PathBuf, message: String },
    #[error(
        "{} needs {module}, which is not in the module cache or go.sum (builds are offline, GOPROXY=off); run `go mod download` in the module first:\n{output}",
        path.display()
    )]
    MissingModule {
        path: PathBuf,
        module: String,
        output: String,
    },
    #[error("{} does not build:\n{output}", path.display())]
    Compile { path: PathBuf, output: String },
    #[error("-test.run {regex:?} matches no test in {}; its tests are: {}", path.display(), tests.join(", "))]
    NoTestsMatch {
        path: PathBuf,
        regex: String,
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
    #[error("corpus case {}: {message}", path.display())]
    Corpus { path: PathBuf, message: String },
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    #[error(transparent)]
    Build(BuildError),
    #[error(transparent)]
    Run(#[from] run::RunError),
}

/// Where the code is, as `go` will see it.
#[derive(Debug, Clone)]
pub struct Target {
    /// What the user named, canonical.
    pub path: PathBuf,
    /// Where `go` runs: the module root (or the generated module of a single file).
    pub module_root: PathBuf,
    pub module_path: String,
    /// The package directory as `go` sees it.
    pub package_dir: PathBuf,
    /// The single file, when the user named one.
    pub file: Option<PathBuf>,
}

/// What the rewriter returns.
#[derive(Debug, Clone, Deserialize)]
struct Rewrite {
    schedule_version: u32,
    package: String,
    mode: String,
    tests: Vec<String>,
    sites: usize,
    files: Vec<RewrittenFile>,
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
}

/// One seed's run.
#[derive(Debug, Clone, Serialize)]
pub struct SeedRun {
    pub seed: Seed,
    /// Not clean, and not a timeout the scheduling holds explain: the bug showed.
    pub reproduced: bool,
    pub diagnosis: Diagnosis,
    /// Start to exit of the program.
    #[serde(rename = "wall_ms", serialize_with = "as_millis")]
    pub wall: Duration,
    /// From the moment the goroutines got stuck to the supervisor's verdict.
    pub block_to_verdict: Option<classify::Latency>,
    pub evidence_dir: String,
    /// Test output lines the testing package printed (`--- FAIL: ...`).
    pub test_failures: Vec<String>,
}

/// The result of `gorepro diagnose`.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnoseReport {
    pub path: String,
    pub mode: String,
    pub package: String,
    pub go_version: String,
    pub gomaxprocs: u32,
    pub sites: usize,
    pub runs: Vec<SeedRun>,
    /// Runs that reproduced / runs.
    pub hits: usize,
    pub first_reproducing: Option<Seed>,
    /// The seed to replay the bug with, checked by replaying it.
    pub replay: Option<Replay>,
    #[serde(rename = "build_ms", serialize_with = "as_millis")]
    pub build_time: Duration,
    pub notes: Vec<String>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
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
    /// Replays that gave the same normalized diagnosis as the exploring run.
    pub same: usize,
}

/// Times a reproducing seed is replayed before its replay command is offered.
const REPLAY_CHECKS: usize = 2;
/// Reproducing seeds tried, in seed order, for one whose every replay matches.
const REPLAY_CANDIDATES: usize = 3;

impl DiagnoseReport {
    /// The run that is reported in full: the replay seed's, else the first that reproduced,
    /// else the first.
    pub fn featured(&self) -> Option<&SeedRun> {
        let replayed = self.replay.as_ref().map(|r| r.seed);
        self.runs
            .iter()
            .find(|r| Some(r.seed) == replayed)
            .or_else(|| self.runs.iter().find(|r| r.reproduced))
            .or_else(|| self.runs.first())
    }
}

/// Finds the module and package of `path`.
pub fn locate(path: &Path, cache_dir: &Path) -> Result<Target, DiagnoseError> {
    if !path.exists() {
        return Err(DiagnoseError::NotFound { path: path.into() });
    }
    let path = path.canonicalize().map_err(|source| DiagnoseError::Io {
        path: path.into(),
        source,
    })?;
    if path.is_file() {
        if path.extension().is_none_or(|e| e != "go") {
            return Err(DiagnoseError::NotGo { path });
        }
        // A generated module of its own, named after the file's content, holding only a go.mod:
        // the file itself is laid over it.
        let text = std::fs::read(&path).map_err(|source| DiagnoseError::Io {
            path: path.clone(),
            source,
        })?;
        let key = blake3::hash(&text).to_hex()[..16].to_string();
        let module_root = cache_dir.join("diagnose").join(format!("file-{key}"));
        std::fs::create_dir_all(&module_root).map_err(|source| DiagnoseError::Io {
            path: module_root.clone(),
            source,
        })?;
        let module_path = "gorepro.dev/file".to_string();
        let go_mod = module_root.join("go.mod");
        let contents = format!(
            "module {module_path}\n\ngo {}.{}\n",
            SAMPLES_GO.0, SAMPLES_GO.1
        );
        if std::fs::read_to_string(&go_mod).ok().as_deref() != Some(contents.as_str()) {
            std::fs::write(&go_mod, contents).map_err(|source| DiagnoseError::Io {
                path: go_mod.clone(),
                source,
            })?;
        }
        return Ok(Target {
            file: Some(path.clone()),
            path,
            package_dir: module_root.clone(),
            module_root,
            module_path,
        });
    }
    if !path.is_dir() {
        return Err(DiagnoseError::NotGo { path });
    }
    let module_root = path
        .ancestors()
        .find(|dir| dir.join("go.mod").is_file())
        .ok_or_else(|| DiagnoseError::NoModule { path: path.clone() })?
        .to_path_buf();
    let go_mod = module_root.join("go.mod");
    let text = std::fs::read_to_string(&go_mod).map_err(|source| DiagnoseError::Io {
        path: go_mod.clone(),
        source,
    })?;
    let module_path = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("module "))
        .map(|m| m.trim().trim_matches('"').to_string())
        .ok_or_else(|| DiagnoseError::Prepare {
            path: go_mod.clone(),
            message: "go.mod has no module line".into(),
        })?;
    Ok(Target {
        package_dir: path.clone(),
        path,
        module_root,
        module_path,
        file: None,
    })
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

/// Rewrites and builds the target.
pub fn prepare(
    harness: &Harness,
    target: Target,
    test: bool,
) -> Result<(Prepared, build::Artifact), DiagnoseError> {
    let samples_dir = harness.config.samples_dir();
    let tool = harness
        .toolchain
        .perturb_tool(&harness.config.cache_dir, &samples_dir)?;
    let mut args = vec![
        "-dir".to_string(),
        target.package_dir.display().to_string(),
        "-mode".into(),
        if test { "test" } else { "auto" }.into(),
    ];
    if let Some(file) = &target.file {
        args.extend(["-file".into(), file.display().to_string()]);
    }
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
    let mut overlay: Vec<(PathBuf, String)> = rewrite
        .files
        .into_iter()
        .map(|f| (f.target, f.contents))
        .collect();
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
    let relative = target
        .package_dir
        .strip_prefix(&target.module_root)
        .unwrap_or(Path::new(""));
    let program = Program {
        scenario: format!("diagnose {}", target.path.display()),
        variant: Variant::Buggy,
        module_dir: target.module_root.clone(),
        package: format!("./{}", relative.display()),
        tags: vec![],
        race: false,
        overlay,
        test_binary: rewrite.mode == "test",
        extra_inputs,
    };
    let artifact = build::build(&harness.toolchain, &program, &harness.config.cache_dir)
        .map_err(|e| build_error(e, &target.path))?;
    Ok((
        Prepared {
            target,
            program,
            mode: rewrite.mode,
            package: rewrite.package,
            tests: rewrite.tests,
            sites: rewrite.sites,
            notes,
        },
        artifact,
    ))
}

/// A compile failure, told apart from a module missing from the offline module cache.
fn build_error(error: BuildError, path: &Path) -> DiagnoseError {
    let BuildError::Compile { output, .. } = error else {
        return DiagnoseError::Build(error);
    };
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
    let missing = missing.or_else(|| offline.then(|| "a module".to_string()));
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
    let mut env = harness.toolchain.env();
    env.push(("GOREPRO_PERTURB_SEED".into(), seed.value.to_string().into()));
    if prepared.mode == "test" {
        env.push((
            "GOREPRO_TEST_DIR".into(),
            prepared.target.package_dir.clone().into_os_string(),
        ));
        if let Some(regex) = &request.test {
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
            args: Vec::new(),
            env: Vec::new(),
        },
        &config,
    )?;
    // The testing package's own words (on stderr) when -test.run selects nothing.
    if prepared.mode == "test"
        && output
            .stderr
            .text
            .contains("testing: warning: no tests to run")
    {
        return Err(DiagnoseError::NoTestsMatch {
            path: prepared.target.path.clone(),
            regex: request.test.clone().unwrap_or_default(),
            tests: prepared.tests.clone(),
        });
    }
    let mut evidence = evidence::collect(&harness.trace_reader, &harness.config, &output);
    evidence.vet = vet_findings.to_vec();
    let diagnosis = entry_points_renamed_back(classify::classify(&evidence));
    let test_failures = output
        .stdout
        .text
        .lines()
        .filter(|l| l.trim_start().starts_with("--- FAIL"))
        .map(|l| l.trim().to_string())
        .collect();
    Ok(SeedRun {
        seed,
        reproduced: diagnosis.outcome != Outcome::Clean && !diagnosis.inconclusive,
        block_to_verdict: diagnosis.latency,
        diagnosis,
        wall: output.wall,
        evidence_dir: output.evidence_dir.display().to_string(),
        test_failures,
    })
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

/// The command that replays `seed`.
pub fn replay_command(
    harness: &Harness,
    request: &DiagnoseRequest,
    path: &Path,
    seed: Seed,
) -> String {
    let mut command = format!(
        "GOREPRO_GO={} gorepro diagnose {} --seed {seed} --gomaxprocs {}",
        harness.toolchain.go.display(),
        shell_word(&path.display().to_string()),
        request.gomaxprocs
    );
    if let Some(regex) = &request.test {
        command.push_str(&format!(" --test {}", shell_word(regex)));
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

/// Diagnoses a package or file: builds it once, runs it for each seed, and reports.
/// `on_start` is called with each seed's replay command before that run starts (a run the
/// harness has to kill can still be replayed).
pub fn diagnose(
    harness: &Harness,
    request: &DiagnoseRequest,
    mut on_start: impl FnMut(&str),
) -> Result<DiagnoseReport, DiagnoseError> {
    let target = locate(&request.path, &harness.config.cache_dir)?;
    let path = target.path.clone();
    let started = Instant::now();
    let (prepared, artifact) = prepare(harness, target, request.test.is_some())?;
    let vet_output = vet::vet(
        &harness.toolchain,
        &prepared.program,
        &artifact,
        &harness.config.cache_dir.join("tmp"),
    );
    let vet_findings = vet::parse(&vet_output, &prepared.target.module_root);
    let build_time = started.elapsed();
    let seeds: Vec<Seed> = match request.seed {
        Some(seed) => vec![seed],
        None => (1..=u64::from(request.runs.max(1)))
            .map(|value| Seed {
                version: SCHEDULE_VERSION,
                value,
            })
            .collect(),
    };
    let mut runs = Vec::new();
    for seed in seeds {
        on_start(&replay_command(harness, request, &path, seed));
        runs.push(run_seed(
            harness,
            &prepared,
            &artifact,
            request,
            seed,
            0,
            &vet_findings,
        )?);
    }
    let first_reproducing = runs.iter().find(|r| r.reproduced).map(|r| r.seed);
    let replay = if request.seed.is_some() {
        first_reproducing.map(|seed| Replay {
            seed,
            command: replay_command(harness, request, &path, seed),
            checked: 0,
            same: 0,
        })
    } else {
        // A seed fixes where goroutines are held, not every race of the program: a seed that
        // reproduced through a race the holds left open may not do it again. Offer the first
        // one whose replays all match; if none does, the first one tried, with its count.
        let mut first_tried: Option<Replay> = None;
        let mut holding = None;
        for found in runs.iter().filter(|r| r.reproduced).take(REPLAY_CANDIDATES) {
            let expected = crate::report::render_diagnose_diagnosis(&found.diagnosis);
            let mut same = 0;
            for replay in 1..=REPLAY_CHECKS {
                on_start(&replay_command(harness, request, &path, found.seed));
                let replayed = run_seed(
                    harness,
                    &prepared,
                    &artifact,
                    request,
                    found.seed,
                    replay,
                    &vet_findings,
                )?;
                same += usize::from(
                    crate::report::render_diagnose_diagnosis(&replayed.diagnosis) == expected,
                );
            }
            let replay = Replay {
                seed: found.seed,
                command: replay_command(harness, request, &path, found.seed),
                checked: REPLAY_CHECKS,
                same,
            };
            if same == REPLAY_CHECKS {
                holding = Some(replay);
                break;
            }
            first_tried.get_or_insert(replay);
        }
        holding.or(first_tried)
    };
    Ok(DiagnoseReport {
        path: path.display().to_string(),
        mode: prepared.mode.clone(),
        package: prepared.package.clone(),
        go_version: harness.toolchain.version.to_string(),
        gomaxprocs: request.gomaxprocs,
        sites: prepared.sites,
        hits: runs.iter().filter(|r| r.reproduced).count(),
        replay,
        first_reproducing,
        runs,
        build_time,
        notes: prepared.notes,
    })
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
        if crate::classify::taxonomy::lookup(&case.class).is_none() {
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
mod tests {
    use super::*;

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
        );
        assert!(
            matches!(&error, DiagnoseError::MissingModule { module, .. } if module == "example.com/dep@v1.2.0"),
            "{error:?}"
        );
        let error = build_error(
            BuildError::Compile {
                package: "x".into(),
                variant: "buggy".into(),
                output: "./x.go:3:2: undefined: y".into(),
            },
            Path::new("/p"),
        );
        assert!(matches!(error, DiagnoseError::Compile { .. }));
    }
}
