//! Classification: from evidence to a [`Diagnosis`].
//!
//! The input is runtime evidence only (the supervisor's verdict, dumps, panics, the trace); a
//! scenario's declared expectation never reaches this module. The outcome comes from how the
//! run ended, the stuck goroutines from the final dump, and the bug class from the first rule in
//! [`rules`] whose evidence is present.

mod rules;
pub mod shapes;
pub mod timeline;

use std::time::Duration;

use serde::Serialize;

use crate::evidence::crash::FatalKind;
use crate::evidence::world::{self, Loc, Primitive, UserCode, World};
use crate::evidence::{self, Evidence, VerdictKind};
use crate::run::Exit;
use crate::vocabulary::Outcome;

/// Goroutines stuck at the same place, reported once with their names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StuckGroup {
    pub goroutines: Vec<String>,
    /// The runtime's wait reason (`chan send`), or its state for a live leftover (`sleep`).
    pub wait: String,
    pub primitive: Primitive,
    /// The blocked operation in user code: the first frame in the user's module.
    pub at: Option<String>,
    /// The function of that frame.
    pub function: Option<String>,
    /// The library call above that frame that it is blocked inside, when there is one (see
    /// [`world::Gor::final_inside`]).
    pub inside: Option<String>,
    /// The user function the goroutines' own code began in, when a wrapper outside the
    /// user's module started them (`errgroup.(*Group).Go`, `testing.tRunner`) and it is not
    /// `function` itself: which caller's closure, which test.
    pub started_in: Option<String>,
    /// `G1 at scenarios/x/main.go:30`.
    pub created_by: Option<String>,
    /// The goroutine-leak profile marked them leaked (unreachable: nothing can wake them).
    pub leaked: bool,
}

/// A panic or fatal error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// `panic` or `fatal error`.
    pub kind: &'static str,
    /// A stable id for the message (`wg-reused`, `runtime-error`, ...).
    pub id: &'static str,
    pub message: String,
    pub goroutine: Option<String>,
    pub at: Option<String>,
}

/// When the verdict came, relative to the moment the scenario got stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Latency {
    #[serde(rename = "block_to_verdict_us", serialize_with = "as_micros")]
    pub block_to_verdict: Duration,
    /// `trace` (from the trace's own clock) or `supervisor` (its polling estimate).
    pub measured_by: &'static str,
}

fn as_micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros() as u64)
}

/// What went wrong, derived from evidence only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub outcome: Outcome,
    pub class: Option<&'static str>,
    pub stuck: Vec<StuckGroup>,
    pub failure: Option<Failure>,
    /// The facts the class rests on, in words, with goroutine names and user source lines.
    pub observations: Vec<String>,
    /// What `go vet` found in the program (static evidence, beside the runtime's).
    pub vet: Vec<crate::vet::Finding>,
    pub explanation: String,
    /// What could not be read (missing trace, truncated output...).
    pub notes: Vec<String>,
    /// Run-specific detail behind the notes (why the trace could not be read, ...): in the
    /// JSON record, not in the normalized report, because it varies from run to run (a
    /// crash cuts the trace at a different point each time).
    pub details: Vec<String>,
    /// Who waits on which primitive instance and who holds it, with stable names; `None`
    /// without instance evidence.
    pub wait_for: Option<shapes::WaitFor>,
    /// What each goroutine did, from the trace; `None` without a readable trace. Its table of
    /// relevant steps is part of the normalized report, its times are not.
    pub timeline: Option<timeline::Timeline>,
    /// Not part of the normalized report: it varies from run to run.
    #[serde(skip)]
    pub latency: Option<Latency>,
    /// A timeout that `gorepro diagnose`'s own scheduling holds explain: they kept goroutines
    /// waiting for most of the run, so it is no finding about the program (a note says so).
    pub inconclusive: bool,
    /// A clean run whose lock order has a cycle: the inversions it could have deadlocked on
    /// (class [`crate::lockorder::CLASS`]). Only for clean runs: a run that blocked is told by
    /// what blocked it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_order: Option<crate::lockorder::Prediction>,
}

/// Classifies one run of a program whose own code is `user_code`.
pub fn classify(evidence: &Evidence, user_code: &UserCode) -> Diagnosis {
    let world = world::build(evidence, user_code);
    let outcome = outcome(evidence);
    let stuck = match outcome {
        Outcome::Deadlock | Outcome::Leak | Outcome::Timeout => stuck_groups(&world, outcome),
        _ => Vec::new(),
    };
    let failure = failure(evidence, &world);
    let mut notes = evidence.notes.clone();
    let mut details = Vec::new();
    if let crate::evidence::TraceEvidence::Missing(why) = &evidence.trace {
        notes.push("no trace evidence: the run left no readable execution trace".into());
        details.push(format!("trace: {why}"));
    }
    if let Some(why) = &evidence.trace_cut {
        // Where a crash cut the trace varies from run to run: a detail, not a note.
        details.push(format!("trace: read up to damage: {why}"));
    }
    let window = &evidence.trace_window;
    if window.cut() {
        notes.push(
            "trace window: the oldest part of the execution trace was dropped to keep it bounded; \
             the trace evidence covers the end of the run"
                .into(),
        );
        details.push(format!(
            "trace window: {} bytes and {} segments dropped on disk (GOREPRO_TRACE_WINDOW_MB), \
             {} transitions in memory",
            window.dropped_bytes, window.dropped_segments, window.dropped_transitions
        ));
    }
    if let Some(v) = &evidence.verdict {
        // Which of the supervisor's paths gave the verdict depends on timing (a poll can
        // catch a ticking goroutine runnable or parked), so its note is a detail; whether
        // the verdict is proven is a property of the scenario, so it is a note.
        if !v.note.is_empty() {
            details.push(format!("supervisor: {}", v.note));
        }
        if matches!(v.verdict, VerdictKind::Deadlock | VerdictKind::Leak) && !v.proven {
            notes.push(
                "not proven by the goroutine-leak profile: something that could wake these goroutines \
                 (a global, a timer, a live goroutine) still reaches them; the verdict rests on \
                 what the supervisor observed"
                    .into(),
            );
        }
    }
    let graph = crate::graph::build(evidence, &world);
    let inconclusive = outcome == Outcome::Timeout
        && evidence
            .verdict
            .as_ref()
            .is_some_and(evidence::Verdict::holds_took_most);
    if let Some(v) = evidence.verdict.as_ref().filter(|v| v.holds > 0) {
        let held = format!(
            "{} holds ({} ended at their bound) kept goroutines waiting {:.1} ms of the run's {:.1} ms",
            v.holds,
            v.holds_at_bound,
            v.hold_ns as f64 / 1e6,
            v.verdict_after_ns as f64 / 1e6
        );
        if inconclusive {
            notes.push(format!(
                "inconclusive: {held}; the tool's own slowdown explains the timeout"
            ));
        }
        details.push(format!("scheduling: {held}"));
    }
    // A class would describe the program; an inconclusive timeout says nothing about it.
    let finding = rules::decide(&rules::Facts {
        evidence,
        world: &world,
        graph: &graph,
        outcome,
        stuck: &stuck,
        failure: failure.as_ref(),
    })
    .filter(|_| !inconclusive);
    let timeline = timeline::build(evidence, &world, &stuck, failure.as_ref());
    let lock_order = (outcome == Outcome::Clean && finding.is_none())
        .then(|| crate::lockorder::predict(evidence, &world))
        .filter(|p| !p.is_empty());
    if let Some(predicted) = &lock_order {
        return predicted_inversion(Diagnosis {
            outcome,
            class: Some(crate::lockorder::CLASS),
            observations: Vec::new(),
            explanation: String::new(),
            stuck,
            failure,
            vet: evidence.vet.clone(),
            notes,
            details,
            wait_for: shapes::describe(&graph, &world),
            timeline,
            latency: None,
            inconclusive,
            lock_order: Some(predicted.clone()),
        });
    }
    Diagnosis {
        outcome,
        class: finding.as_ref().map(|f| f.class),
        observations: finding
            .as_ref()
            .map(|f| f.observations.clone())
            .unwrap_or_default(),
        explanation: finding
            .map(|f| f.explanation)
            .unwrap_or_else(|| default_explanation(outcome, inconclusive, evidence)),
        stuck,
        failure,
        vet: evidence.vet.clone(),
        notes,
        details,
        wait_for: shapes::describe(&graph, &world),
        timeline,
        latency: rules::latency(evidence, &world),
        inconclusive,
        lock_order: None,
    }
}

/// A clean run with a predicted lock-order inversion: each inversion's steps are its evidence.
fn predicted_inversion(mut diagnosis: Diagnosis) -> Diagnosis {
    let Some(predicted) = &diagnosis.lock_order else {
        return diagnosis;
    };
    for (i, inversion) in predicted.inversions.iter().enumerate() {
        if predicted.inversions.len() > 1 {
            diagnosis.observations.push(format!("inversion {}:", i + 1));
        }
        diagnosis
            .observations
            .extend(crate::lockorder::describe(inversion));
    }
    if predicted.more > 0 {
        diagnosis.observations.push(format!(
            "and {} more inversion(s) of other locks",
            predicted.more
        ));
    }
    if predicted.incomplete {
        diagnosis.notes.push(
            "lock order incomplete: the runtime's tables were full, some edges were not recorded"
                .into(),
        );
    }
    diagnosis.explanation = crate::lockorder::explanation(predicted);
    diagnosis
}

fn outcome(evidence: &Evidence) -> Outcome {
    let ended = how_it_ended(evidence);
    // A race report outranks an ending that shows nothing wrong, not a block or a crash.
    if !evidence.stderr.races.is_empty()
        && matches!(
            ended,
            Outcome::Clean | Outcome::InvariantViolated | Outcome::Crashed
        )
    {
        return Outcome::DataRace;
    }
    ended
}

fn how_it_ended(evidence: &Evidence) -> Outcome {
    if let Some(verdict) = &evidence.verdict {
        return match verdict.verdict {
            VerdictKind::Clean => Outcome::Clean,
            VerdictKind::Deadlock => Outcome::Deadlock,
            VerdictKind::Leak => Outcome::Leak,
            VerdictKind::Timeout => Outcome::Timeout,
            VerdictKind::GateTimeout => Outcome::GateTimeout,
            VerdictKind::InvariantViolated => Outcome::InvariantViolated,
        };
    }
    if let Some(kind) = evidence.stderr.fatal_kind() {
        return if kind == FatalKind::Deadlock {
            Outcome::Deadlock
        } else {
            Outcome::Fatal
        };
    }
    if evidence.stderr.panic.is_some() {
        return Outcome::Panic;
    }
    if evidence.backstop.is_some() {
        return Outcome::Timeout;
    }
    match evidence.exit {
        Exit::Code(0) => Outcome::Clean,
        _ => Outcome::Crashed,
    }
}

/// The goroutines that did not finish, grouped by where they are stuck.
fn stuck_groups(world: &World, outcome: Outcome) -> Vec<StuckGroup> {
    let mut groups: Vec<StuckGroup> = Vec::new();
    for g in &world.goroutines {
        let Some(state) = &g.final_state else {
            continue;
        };
        // A leak is what the final dump still held at the grace, even if it exited while the
        // evidence was being written (the trace runs on a little longer than the dump).
        if g.exited && outcome != Outcome::Leak {
            continue;
        }
        let primitive = Primitive::of_wait_reason(state);
        // A goroutine that timers keep waking is caught in whatever state the dump found it;
        // report the loop instead, at the place it keeps blocking. Beside a deadlock (one
        // the leak profile could not prove, since the loop's timer reaches it) such a loop
        // is what kept running, not what got stuck.
        let timer_loop = outcome == Outcome::Leak || outcome == Outcome::Deadlock && !g.leaked;
        if timer_loop && rules::timer_wakes(world, g.id) >= 2 {
            groups.push(StuckGroup {
                goroutines: vec![g.name.clone()],
                wait: "timer loop".into(),
                primitive: Primitive::None,
                at: last_block_loc(world, g.id).map(|l| l.to_string()),
                function: g
                    .start
                    .as_deref()
                    .map(|f| world.user_code.short_function(f)),
                inside: None,
                started_in: started_in(world, g, g.start.as_deref()),
                created_by: g
                    .created_at
                    .as_ref()
                    .map(|at| format!("{} at {at}", world.name(g.creator))),
                leaked: false,
            });
            continue;
        }
        // In a deadlock every goroutine is blocked; a timeout lists only the blocked ones.
        if outcome != Outcome::Leak && primitive == Primitive::None {
            continue;
        }
        let group = StuckGroup {
            goroutines: vec![g.name.clone()],
            wait: state.clone(),
            primitive,
            at: g.final_at.as_ref().map(Loc::to_string),
            function: g
                .final_function
                .as_deref()
                .map(|f| world.user_code.short_function(f)),
            inside: g.final_inside.clone(),
            started_in: started_in(world, g, g.final_function.as_deref()),
            created_by: g
                .created_at
                .as_ref()
                .map(|at| format!("{} at {at}", world.name(g.creator))),
            leaked: g.leaked,
        };
        match groups
            .iter_mut()
            .find(|existing| same_place(existing, &group))
        {
            Some(existing) => existing.goroutines.extend(group.goroutines),
            None => groups.push(group),
        }
    }
    groups
}

/// Where the goroutine last blocked, from the trace (stable for a loop that keeps blocking at
/// the same line, unlike its state at the moment of a dump).
pub(crate) fn last_block_loc(world: &World, id: u64) -> Option<Loc> {
    world
        .history(id)
        .iter()
        .rev()
        .filter(|t| t.to == evidence::trace::GoState::Waiting)
        .find_map(|t| world.user_code.user_loc_trace(&t.transition_stack))
}

/// [`StuckGroup::started_in`] of a goroutine whose reported function is `function`.
fn started_in(world: &World, g: &world::Gor, function: Option<&str>) -> Option<String> {
    let wrapped = g
        .start
        .as_deref()
        .is_some_and(|s| !world.user_code.is_user_function(s));
    g.entry
        .as_deref()
        .filter(|&entry| wrapped && Some(entry) != function && Some(g.id) != world.root)
        .map(|entry| world.user_code.short_function(entry))
}

/// Goroutines are grouped by the first frame in the user's module (the blocked line and its
/// function), then by what started them (the user function their code began in, the `go`
/// statement's line), so that one wrapper shared by several callers does not lump them.
fn same_place(a: &StuckGroup, b: &StuckGroup) -> bool {
    a.wait == b.wait
        && a.at == b.at
        && a.function == b.function
        && a.inside == b.inside
        && a.started_in == b.started_in
        && a.leaked == b.leaked
        && {
            // Creators differ by name but not by place when identical workers are grouped.
            let site = |s: &StuckGroup| {
                s.created_by
                    .as_ref()
                    .and_then(|c| c.split_once(" at ").map(|(_, at)| at.to_string()))
            };
            site(a) == site(b)
        }
}

fn failure(evidence: &Evidence, world: &World) -> Option<Failure> {
    let dump = &evidence.stderr.dump;
    let located = |goroutine: Option<u64>| {
        let g = goroutine.and_then(|id| dump.goroutines.iter().find(|g| g.id == id));
        let at = g
            .and_then(|g| world.user_code.top_user_frame(&g.frames))
            .and_then(|f| world.user_code.user_loc(&f.function, &f.file, f.line))
            .map(|l| l.to_string());
        (goroutine.map(|id| world.name(Some(id))), at)
    };
    if let Some(panic) = &evidence.stderr.panic {
        let (goroutine, at) = located(panic.goroutine);
        return Some(Failure {
            kind: "panic",
            id: panic.kind().as_str(),
            message: panic.message.clone(),
            goroutine,
            at,
        });
    }
    if let (Some(message), Some(kind)) = (&evidence.stderr.fatal, evidence.stderr.fatal_kind())
        && kind != FatalKind::Deadlock
    {
        let (goroutine, at) = located(evidence.stderr.fatal_goroutine);
        return Some(Failure {
            kind: "fatal error",
            id: kind.as_str(),
            message: message.clone(),
            goroutine,
            at,
        });
    }
    if !evidence.stderr.races.is_empty() {
        // Which goroutines the detector names, and which access it calls previous, vary
        // from run to run; the source lines do not.
        return Some(Failure {
            kind: "data race",
            id: "data-race",
            message: "the race detector saw goroutines access the same memory, at least one \
                      writing, with nothing ordering the accesses"
                .into(),
            goroutine: None,
            at: race_locations(evidence, &world.user_code)
                .first()
                .map(Loc::to_string),
        });
    }
    let violation = evidence.verdict.as_ref()?.violations.first()?;
    Some(Failure {
        kind: "invariant check",
        id: match violation.kind.as_str() {
            "lost-message" => "lost-message",
            "lost-results" => "lost-results",
            "no-progress" => "no-progress",
            _ => "other",
        },
        message: violation.detail.clone(),
        goroutine: Some(world.name(Some(violation.goroutine))),
        at: Some(format!(
            "{}:{}",
            world.user_code.module_relative(&violation.file),
            violation.line
        )),
    })
}

/// The user source lines of every access in every race report, sorted and deduplicated.
pub(crate) fn race_locations(evidence: &Evidence, user_code: &UserCode) -> Vec<Loc> {
    let mut locations: Vec<Loc> = evidence
        .stderr
        .races
        .iter()
        .flat_map(|r| &r.accesses)
        .filter_map(|a| user_code.top_user_frame(&a.frames))
        .filter_map(|f| user_code.user_loc(&f.function, &f.file, f.line))
        .collect();
    locations.sort();
    locations.dedup();
    locations
}

fn default_explanation(outcome: Outcome, inconclusive: bool, evidence: &Evidence) -> String {
    match outcome {
        Outcome::Clean => "The scenario finished and no goroutine was left behind.".into(),
        Outcome::Timeout if inconclusive => {
            "The run reached its deadline, but gorepro's own scheduling holds kept goroutines \
             waiting for most of it: the slowdown is the tool's, so this run neither shows a bug \
             nor rules one out. Give it a longer --timeout, or look at the other seeds."
                .into()
        }
        Outcome::GateTimeout => format!(
            "A support gate ({}) waited too long: the scenario never reached the state the gate \
             waits for, so the run says nothing about the bug.",
            evidence
                .verdict
                .as_ref()
                .map_or("unknown", |v| v.gate.as_str())
        ),
        Outcome::Crashed => format!(
            "The program ended unexpectedly ({:?}) without a panic or fatal error message.",
            evidence.exit
        ),
        _ => "The evidence shows the outcome but not a known bug class.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Raw, assemble};

    const RECORDED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/recorded/go1.26/ticker_leak-buggy/"
    );

    fn ticker_leak(trace: &str) -> Diagnosis {
        let read = |name: &str| std::fs::read_to_string(format!("{RECORDED}{name}")).unwrap();
        let (verdict, goroutines) = (read("verdict.json"), read("goroutines.txt"));
        classify(
            &assemble(Raw {
                exit: Exit::Code(4),
                backstop: None,
                verdict_json: Some(&verdict),
                goroutines: Some(&goroutines),
                instances_json: None,
                stderr: "",
                trace: Ok(trace),
            }),
            &world::UserCode::samples(),
        )
    }

    #[test]
    fn a_leftover_that_exits_while_the_evidence_is_written_is_still_listed() {
        let trace = std::fs::read_to_string(format!("{RECORDED}trace.parsed.txt")).unwrap();
        let (head, last_sync) = trace.rsplit_once("M=-1 P=-1 G=-1 Sync").unwrap();
        // The leftover (goroutine 11 in the final dump) exits after the dump, before the trace
        // stops.
        let exited = format!(
            "{head}M=5383 P=0 G=11 StateTransition Time=3353140839000 GoID=11 Running->NotExist \
             Reason=\"\"\n\nM=-1 P=-1 G=-1 Sync{last_sync}"
        );
        let stuck = |d: &Diagnosis| -> Vec<(Vec<String>, String)> {
            d.stuck
                .iter()
                .map(|g| (g.goroutines.clone(), g.wait.clone()))
                .collect()
        };
        let expected = vec![(vec!["G2".to_string()], "timer loop".to_string())];
        assert_eq!(stuck(&ticker_leak(&trace)), expected);
        let diagnosis = ticker_leak(&exited);
        assert_eq!(diagnosis.outcome, Outcome::Leak);
        assert_eq!(stuck(&diagnosis), expected);
    }

    /// Two tests each start a goroutine through one wrapper of another module (the shape of
    /// errgroup.Go); both block at the same line of a shared function. From the dump alone
    /// (no trace), the wrapper is their start and their creation site: only the outermost user
    /// frame, each test's closure, tells them apart.
    #[test]
    fn a_wrapper_shared_by_two_tests_does_not_lump_their_goroutines() {
        let goroutines = "\
goroutine 20 [chan send]:
myservice/ingest.Publish(...)
	myservice/ingest/ingest.go:46
myservice/ingest.TestFirstOrder.func1()
	myservice/ingest/ingest_test.go:29 +0x2a
example.com/dep/group.(*Group).Go.func1()
	example.com/dep/group/group.go:20 +0x4b
created by example.com/dep/group.(*Group).Go in goroutine 7
	example.com/dep/group/group.go:18 +0x8e

goroutine 21 [chan send]:
myservice/ingest.Publish(...)
	myservice/ingest/ingest.go:46
myservice/ingest.TestFirstInvoice.func1()
	myservice/ingest/ingest_test.go:40 +0x2a
example.com/dep/group.(*Group).Go.func1()
	example.com/dep/group/group.go:20 +0x4b
created by example.com/dep/group.(*Group).Go in goroutine 8
	example.com/dep/group/group.go:18 +0x8e

goroutine 22 [semacquire]:
sync.runtime_SemacquireWaitGroup(0x1?)
	runtime/sema.go:114 +0x2e
sync.(*WaitGroup).Wait(0x0?)
	sync/waitgroup.go:118 +0x48
example.com/dep/group.(*Group).Wait(...)
	example.com/dep/group/group.go:29
myservice/ingest.TestWait(0x0?)
	myservice/ingest/ingest_test.go:52 +0x10
testing.tRunner(0x0, 0x0)
	testing/testing.go:1934 +0xea
created by testing.(*T).Run in goroutine 6
	testing/testing.go:1997 +0x465
";
        let verdict = r#"{"verdict":"leak","proven":true,"root_goroutine":6,"root_returned":true,
            "supervisor_goroutine":1,"scenario_goroutines":[20,21,22],"leak_profile":true,
            "quiescent_after_ns":0,"verdict_after_ns":1000000}"#;
        let diagnosis = classify(
            &assemble(Raw {
                exit: Exit::Code(4),
                backstop: None,
                verdict_json: Some(verdict),
                goroutines: Some(goroutines),
                instances_json: None,
                stderr: "",
                trace: Err("no trace"),
            }),
            &world::UserCode::module("myservice"),
        );
        let stuck: Vec<_> = diagnosis
            .stuck
            .iter()
            .map(|g| {
                (
                    g.goroutines.len(),
                    g.function.as_deref(),
                    g.started_in.as_deref(),
                    g.inside.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            stuck,
            vec![
                (
                    1,
                    Some("ingest.Publish"),
                    Some("ingest.TestFirstInvoice.func1"),
                    None
                ),
                (
                    1,
                    Some("ingest.Publish"),
                    Some("ingest.TestFirstOrder.func1"),
                    None
                ),
                (
                    1,
                    Some("ingest.TestWait"),
                    None,
                    Some("example.com/dep/group.(*Group).Wait")
                ),
            ],
            "{:#?}",
            diagnosis.stuck
        );
    }

    #[test]
    fn a_timeout_the_holds_explain_is_inconclusive() {
        let goroutines = std::fs::read_to_string(format!("{RECORDED}goroutines.txt")).unwrap();
        let timeout = |hold_ms: u64| {
            let verdict = format!(
                r#"{{"verdict":"timeout","proven":false,"root_goroutine":10,"root_returned":false,
                "supervisor_goroutine":1,"scenario_goroutines":[10,11],"leak_profile":true,
                "quiescent_after_ns":0,"verdict_after_ns":10000000000,"hold_ns":{},"holds":900,
                "holds_at_bound":100}}"#,
                hold_ms * 1_000_000
            );
            classify(
                &assemble(Raw {
                    exit: Exit::Code(5),
                    backstop: None,
                    verdict_json: Some(&verdict),
                    goroutines: Some(&goroutines),
                    instances_json: None,
                    stderr: "",
                    trace: Err("no trace"),
                }),
                &world::UserCode::samples(),
            )
        };
        let slowed = timeout(8000);
        assert_eq!(slowed.outcome, Outcome::Timeout);
        assert!(slowed.inconclusive);
        assert_eq!(slowed.class, None);
        assert!(
            slowed.notes.iter().any(|n| n.starts_with(
                "inconclusive: 900 holds (100 ended at their bound) kept goroutines waiting \
                 8000.0 ms of the run's 10000.0 ms"
            )),
            "{:?}",
            slowed.notes
        );
        let stuck = timeout(2000);
        assert!(!stuck.inconclusive);
        assert!(
            stuck.class.is_some(),
            "a timeout the holds do not explain is a finding"
        );
        assert!(stuck.notes.iter().all(|n| !n.starts_with("inconclusive")));
        assert!(stuck.details.iter().any(|d| d.contains("2000.0 ms")));
    }
}
