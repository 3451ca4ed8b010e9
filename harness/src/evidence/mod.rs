//! Evidence: everything the Go runtime and the in-process supervisor said about one run,
//! parsed into plain data.
//!
//! [`collect`] reads a finished run's files and converts its execution trace with the
//! [`TraceReader`] (the toolchain's own trace parser, in a process that serves every run);
//! [`assemble`] does the parsing and needs no Go, so the classifier is tested on recorded
//! output. Nothing here fails on odd input: what cannot be read becomes a note.

pub mod crash;
pub mod dump;
pub mod race;
pub mod trace;
pub mod trace_reader;

use serde::Deserialize;

use crate::run::{Backstop, Exit, RunOutput};
pub use crash::{StderrReport, parse_stderr};
pub use dump::{Dump, Frame, Goroutine, parse_dump};
pub use trace::{Trace, parse_trace};
pub use trace_reader::TraceReader;

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

/// Reads the files of a finished run and parses everything; with tracing off the trace
/// reader is not asked.
pub fn collect(
    trace_reader: &TraceReader,
    config: &crate::config::Config,
    output: &RunOutput,
) -> Evidence {
    let dir = &output.evidence_dir;
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let verdict_json = read("verdict.json");
    let goroutines = read("goroutines.txt");
    let trace = match config.trace {
        crate::config::TraceMode::Off => Err("trace capture is off (GOREPRO_TRACE=off)".into()),
        _ => {
            // The supervisor's own transitions are noise no rule reads (see the reader).
            let supervisor = verdict_json
                .as_deref()
                .and_then(|json| serde_json::from_str::<Verdict>(json).ok())
                .map(|v| v.supervisor_goroutine);
            trace_reader.read(&dir.join("trace.out"), supervisor.as_slice())
        }
    };
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
