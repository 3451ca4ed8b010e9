//! Evidence: everything the Go runtime and the in-process supervisor said about one run,
//! parsed into plain data.
//!
//! [`collect`] reads a finished run's files and converts its execution trace with the
//! toolchain's own reader (`cmd/trace`, what `go tool trace` runs, built once per toolchain;
//! its `-d=parsed` output always matches the Go that wrote the trace); [`assemble`] does the parsing and needs no Go, so the classifier is tested on
//! recorded output. Nothing here fails on odd input: what cannot be read becomes a note.

pub mod crash;
pub mod dump;
pub mod race;
pub mod trace;

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::run::{Backstop, Exit, RunOutput};
use crate::toolchain::Toolchain;
pub use crash::{StderrReport, parse_stderr};
pub use dump::{Dump, Frame, Goroutine, parse_dump};
pub use trace::{Trace, parse_trace};

/// What the support package's supervisor concluded (`verdict.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Verdict {
    pub verdict: VerdictKind,
    /// The goroutine-leak profile marked every stuck goroutine leaked: nothing, timers
    /// included, can wake them.
    pub proven: bool,
    pub root_goroutine: u64,
    pub root_returned: bool,
    pub supervisor_goroutine: u64,
    #[serde(default)]
    pub internal_goroutines: Vec<u64>,
    #[serde(default)]
    pub scenario_goroutines: Vec<u64>,
    pub leak_profile: bool,
    /// When the final quiescent state was first seen, ns since the supervisor started.
    pub quiescent_after_ns: u64,
    pub verdict_after_ns: u64,
    #[serde(default)]
    pub gate: String,
    #[serde(default)]
    pub note: String,
    /// The scenario's own invariant checks that failed (`support.Check`), in order.
    #[serde(default)]
    pub violations: Vec<Violation>,
}

/// A failed invariant check: the scenario's own evidence where the runtime has none.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Violation {
    /// `lost-message`, `lost-results`, `no-progress` (the support package's kinds).
    pub kind: String,
    /// What the check observed, e.g. `collected 0 of 3 results`.
    pub detail: String,
    pub goroutine: u64,
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictKind {
    Clean,
    Deadlock,
    Leak,
    Timeout,
    GateTimeout,
    InvariantViolated,
}

/// The trace, or why there is none.
#[derive(Debug, Clone)]
pub enum TraceEvidence {
    Parsed(Trace),
    Missing(String),
}

impl TraceEvidence {
    pub fn parsed(&self) -> Option<&Trace> {
        match self {
            TraceEvidence::Parsed(trace) => Some(trace),
            TraceEvidence::Missing(_) => None,
        }
    }
}

/// Everything known about one run.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub exit: Exit,
    pub backstop: Option<Backstop>,
    pub verdict: Option<Verdict>,
    /// The supervisor's final dump (`goroutines.txt`), with leak markers when available.
    pub final_dump: Option<Dump>,
    /// Panics, fatal errors and dumps the runtime printed.
    pub stderr: StderrReport,
    pub trace: TraceEvidence,
    /// What `go vet` says about the program (static evidence, beside the runtime's).
    pub vet: Vec<crate::vet::Finding>,
    /// Things that could not be read, stated plainly.
    pub notes: Vec<String>,
}

/// The raw material of [`assemble`].
#[derive(Debug, Clone, Copy)]
pub struct Raw<'a> {
    pub exit: Exit,
    pub backstop: Option<Backstop>,
    pub verdict_json: Option<&'a str>,
    pub goroutines: Option<&'a str>,
    pub stderr: &'a str,
    /// `go tool trace -d=parsed` output, or why it is unavailable.
    pub trace: Result<&'a str, &'a str>,
}

/// Parses the raw material of a run. Never fails; unreadable parts become notes.
pub fn assemble(raw: Raw<'_>) -> Evidence {
    let mut notes = Vec::new();
    let verdict = raw
        .verdict_json
        .and_then(|json| match serde_json::from_str::<Verdict>(json) {
            Ok(verdict) => Some(verdict),
            Err(err) => {
                notes.push(format!("verdict.json is unreadable: {err}"));
                None
            }
        });
    let trace = match raw.trace {
        Ok(text) => {
            let trace = parse_trace(text);
            if trace.transitions.is_empty() {
                TraceEvidence::Missing("the trace holds no goroutine transitions".into())
            } else {
                TraceEvidence::Parsed(trace)
            }
        }
        Err(why) => TraceEvidence::Missing(why.to_string()),
    };
    Evidence {
        exit: raw.exit,
        backstop: raw.backstop,
        verdict,
        final_dump: raw.goroutines.map(parse_dump),
        stderr: parse_stderr(raw.stderr),
        trace,
        vet: Vec::new(),
        notes,
    }
}

/// The longest the trace reader may take to convert one trace.
const TRACE_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Traces larger than this are not converted (a scenario's trace is a few KiB).
const TRACE_MAX_BYTES: u64 = 64 << 20;

/// Reads the files of a finished run and parses everything. `cache_dir` holds the trace
/// reader the toolchain builds once.
pub fn collect(toolchain: &Toolchain, cache_dir: &Path, output: &RunOutput) -> Evidence {
    let dir = &output.evidence_dir;
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let verdict_json = read("verdict.json");
    let goroutines = read("goroutines.txt");
    let trace = read_trace(toolchain, cache_dir, &dir.join("trace.out"));
    let mut evidence = assemble(Raw {
        exit: output.exit,
        backstop: output.backstop,
        verdict_json: verdict_json.as_deref(),
        goroutines: goroutines.as_deref(),
        stderr: &output.stderr.text,
        trace: trace.as_deref().map_err(String::as_str),
    });
    if output.stderr.truncated() {
        evidence.notes.push(format!(
            "stderr was cut at {} of {} bytes",
            output.stderr.text.len(),
            output.stderr.total_bytes
        ));
    }
    evidence
}

fn read_trace(toolchain: &Toolchain, cache_dir: &Path, path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|_| "the run left no trace.out".to_string())?
        .len();
    if size == 0 {
        return Err("trace.out is empty".into());
    }
    if size > TRACE_MAX_BYTES {
        return Err(format!(
            "trace.out is {size} bytes, over the {TRACE_MAX_BYTES}-byte limit"
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let reader = toolchain.trace_tool(cache_dir).map_err(|e| e.to_string())?;
    let handle = toolchain
        .tool_command(&reader, dir, ["-d=parsed", &path.display().to_string()])
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .start()
        .map_err(|e| format!("could not run the trace reader: {e}"))?;
    let output = match handle.wait_timeout(TRACE_READ_TIMEOUT) {
        Ok(Some(output)) => output,
        Ok(None) => {
            let _ = handle.kill();
            return Err(format!(
                "the trace reader took longer than {TRACE_READ_TIMEOUT:?}"
            ));
        }
        Err(e) => return Err(format!("the trace reader failed: {e}")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("no message");
        // A trace cut short by a crash still converts up to the damage; keep that part.
        if stdout.contains("StateTransition") {
            return Ok(stdout);
        }
        return Err(format!(
            "the trace reader could not read the trace: {first}"
        ));
    }
    Ok(stdout)
}
