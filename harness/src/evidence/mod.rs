//! Evidence: everything the Go runtime and the in-process supervisor said about one run,
//! parsed into plain data.
//!
//! [`collect`] reads a finished run's files and converts its execution trace with the
//! [`TraceReader`] (the toolchain's own trace parser, in a process that serves every run);
//! [`assemble`] does the parsing and needs no Go, so the classifier is tested on recorded
//! output. Nothing here fails on odd input: what cannot be read becomes a note.

pub mod crash;
pub mod dump;
pub mod instances;
pub mod race;
pub mod segments;
pub mod trace;
pub mod trace_reader;
pub mod world;

use serde::Deserialize;

use crate::run::{Backstop, Exit, RunOutput};
pub use crash::{StderrReport, parse_stderr};
pub use dump::{Dump, Frame, Goroutine, parse_dump};
pub use instances::{Instances, parse_instances};
pub use trace::{Trace, TraceParser, parse_trace};
pub use trace_reader::{ReadTrace, TraceReader};

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
    /// Bytes of the oldest trace segments the supervisor's window deleted.
    #[serde(default)]
    pub trace_dropped_bytes: u64,
    /// Time during which `gorepro diagnose`'s scheduling holds kept at least one goroutine
    /// waiting, ns.
    #[serde(default)]
    pub hold_ns: u64,
    /// Holds that waited, and how many of them ended at their bound.
    #[serde(default)]
    pub holds: u64,
    #[serde(default)]
    pub holds_at_bound: u64,
    /// Goroutines the ignore rules matched (`gorepro diagnose --ignore`, `.goreproignore`), and
    /// the standard library's own background goroutines (os/signal's loop): left out of every
    /// decision and of the scenario.
    #[serde(default)]
    pub ignored_goroutines: Vec<u64>,
    /// The test each scenario goroutine of the final dump belongs to, where the supervisor of a
    /// test binary could tell.
    #[serde(default)]
    pub owners: Vec<Owner>,
    /// The tests of a test binary that had started and not ended at the verdict, sorted.
    #[serde(default)]
    pub running_tests: Vec<String>,
}

/// A goroutine and the test that started it (`verdict.json`'s `owners`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Owner {
    pub goroutine: u64,
    /// As go test names it: `TestCache`, `TestCache/expiry`.
    pub test: String,
}

impl Verdict {
    /// The scheduling holds kept goroutines waiting for more than half of the run: a
    /// timeout then says more about the tool's slowdown than about the program.
    pub fn holds_took_most(&self) -> bool {
        self.hold_ns.saturating_mul(2) > self.verdict_after_ns
    }
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
    /// What each goroutine waited on and who held which lock at the verdict
    /// (`instances.json`); `None` without a verdict (a crash) or when unreadable (a note).
    pub instances: Option<Instances>,
    /// Panics, fatal errors and dumps the runtime printed.
    pub stderr: StderrReport,
    pub trace: TraceEvidence,
    /// What `go vet` says about the program (static evidence, beside the runtime's).
    pub vet: Vec<crate::vet::Finding>,
    /// Things that could not be read, stated plainly.
    pub notes: Vec<String>,
    /// What the bounds on the trace left out.
    pub trace_window: Window,
    /// Why the trace was read only part way (a crash cut it), when it was.
    pub trace_cut: Option<String>,
}

/// What was dropped to keep the trace evidence bounded: on disk by the supervisor's window
/// (`GOREPRO_TRACE_WINDOW_MB`), in memory by the parser's ([`trace::MAX_TRANSITIONS`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Bytes the supervisor deleted (known when it reached its verdict).
    pub dropped_bytes: u64,
    /// Segments deleted (known when the harness joined them after a crash).
    pub dropped_segments: u64,
    /// Transitions the parser left out, oldest first.
    pub dropped_transitions: usize,
}

impl Window {
    pub fn cut(&self) -> bool {
        *self != Window::default()
    }
}

/// The raw material of [`assemble`].
#[derive(Debug, Clone, Copy)]
pub struct Raw<'a> {
    pub exit: Exit,
    pub backstop: Option<Backstop>,
    pub verdict_json: Option<&'a str>,
    pub goroutines: Option<&'a str>,
    pub instances_json: Option<&'a str>,
    pub stderr: &'a str,
    /// `go tool trace -d=parsed` output, or why it is unavailable.
    pub trace: Result<&'a str, &'a str>,
}

/// Parses the raw material of a run. Never fails; unreadable parts become notes.
pub fn assemble(raw: Raw<'_>) -> Evidence {
    let trace = match raw.trace {
        Ok(text) => trace_evidence(parse_trace(text)),
        Err(why) => TraceEvidence::Missing(why.to_string()),
    };
    assemble_with(raw, trace)
}

/// A parsed trace as evidence: one without goroutine transitions is none.
fn trace_evidence(trace: Trace) -> TraceEvidence {
    if trace.transitions.is_empty() {
        TraceEvidence::Missing("the trace holds no goroutine transitions".into())
    } else {
        TraceEvidence::Parsed(trace)
    }
}

/// [`assemble`] with the trace already read (`raw.trace` is not looked at).
fn assemble_with(raw: Raw<'_>, trace: TraceEvidence) -> Evidence {
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
    let instances = raw
        .instances_json
        .and_then(|json| match parse_instances(json) {
            Ok(instances) => Some(instances),
            Err(err) => {
                notes.push(format!("instances.json is unreadable: {err}"));
                None
            }
        });
    Evidence {
        exit: raw.exit,
        backstop: raw.backstop,
        verdict,
        final_dump: raw.goroutines.map(parse_dump),
        instances,
        stderr: parse_stderr(raw.stderr),
        trace,
        vet: Vec::new(),
        notes,
        trace_window: Window::default(),
        trace_cut: None,
    }
}

/// Reads the files of a finished run and parses everything; with tracing off the trace
/// reader is not asked. The trace is streamed from the reader into the parser, so neither
/// its text nor more than the parser's window of events is held.
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
    let verdict = verdict_json
        .as_deref()
        .and_then(|json| serde_json::from_str::<Verdict>(json).ok());
    let mut window = Window {
        dropped_bytes: verdict.as_ref().map_or(0, |v| v.trace_dropped_bytes),
        ..Window::default()
    };
    let mut cut = None;
    let trace = match config.trace {
        crate::config::TraceMode::Off => {
            TraceEvidence::Missing("trace capture is off (GOREPRO_TRACE=off)".into())
        }
        _ => {
            // A crashed or killed run leaves the supervisor's segments unjoined.
            match segments::join(dir) {
                Ok(joined) => window.dropped_segments = joined.map_or(0, |j| j.dropped),
                Err(err) => cut = Some(format!("the trace segments could not be joined: {err}")),
            }
            // The supervisor's own transitions are noise no rule reads (see the reader).
            let supervisor = verdict.as_ref().map(|v| v.supervisor_goroutine);
            match trace_reader.read(&dir.join("trace.out"), supervisor.as_slice()) {
                Ok(read) => {
                    cut = cut.or(read.cut);
                    window.dropped_transitions = read.trace.dropped_transitions;
                    trace_evidence(read.trace)
                }
                Err(why) => TraceEvidence::Missing(why),
            }
        }
    };
    let goroutines = read("goroutines.txt");
    let instances_json = read("instances.json");
    let mut evidence = assemble_with(
        Raw {
            exit: output.exit,
            backstop: output.backstop,
            verdict_json: verdict_json.as_deref(),
            goroutines: goroutines.as_deref(),
            instances_json: instances_json.as_deref(),
            stderr: &output.stderr.text,
            trace: Err("read by the trace reader"),
        },
        trace,
    );
    evidence.trace_window = window;
    evidence.trace_cut = cut;
    if output.stderr.truncated() {
        evidence.notes.push(format!(
            "stderr was cut at {} of {} bytes",
            output.stderr.text.len(),
            output.stderr.total_bytes
        ));
    }
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(instances_json: Option<&str>) -> Raw<'_> {
        Raw {
            exit: Exit::Code(3),
            backstop: None,
            verdict_json: None,
            goroutines: None,
            instances_json,
            stderr: "",
            trace: Err("not recorded"),
        }
    }

    #[test]
    fn unreadable_instances_are_a_note_and_missing_ones_are_none() {
        let missing = assemble(raw(None));
        assert_eq!((missing.instances, missing.notes.len()), (None, 0));
        let cut = assemble(raw(Some("{\"goroutines\": [{\"goid\": 1")));
        assert_eq!(cut.instances, None);
        assert_eq!(cut.notes.len(), 1);
        assert!(
            cut.notes[0].starts_with("instances.json is unreadable: "),
            "{:?}",
            cut.notes
        );
        let empty = "{\"goroutines\": [], \"waits\": [], \"holds\": [], \"registry_overflow\": 0, \
                     \"objects\": []}";
        assert_eq!(assemble(raw(Some(empty))).instances.unwrap().waits, vec![]);
    }
}
