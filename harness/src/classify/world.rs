//! The scenario's goroutines, as one model merged from the dumps and the trace, with stable
//! names.
//!
//! Goroutine ids change from run to run, so they never reach a diagnosis. The root (the
//! scenario's `run`) is `G1`; the others are numbered in an order that depends only on what
//! they are: where they were created, what function they run, how they ended. Goroutines that
//! are indistinguishable get consecutive names, so which of three identical workers got stuck
//! does not change the report.

use std::collections::{BTreeMap, BTreeSet};

use super::Primitive;
use crate::evidence::dump::{Dump, Frame, Goroutine};
use crate::evidence::trace::{GoState, Trace, TraceFrame, Transition};
use crate::evidence::{Evidence, Verdict};

/// The Go module the scenarios live in; stripped from file paths in reports.
pub const SAMPLES_MODULE: &str = "gorepro.dev/samples/";
/// The support package; its frames are the harness's, not the scenario's.
pub const SUPPORT_PACKAGE: &str = "gorepro.dev/samples/support.";
/// The support package's own packages (`support/synchook`): the harness's too. As a file
/// path prefix it covers the support package's files as well.
const SUPPORT_SUBPACKAGES: &str = "gorepro.dev/samples/support/";

/// A function of the support package or one of its packages.
fn is_support_function(function: &str) -> bool {
    function.starts_with(SUPPORT_PACKAGE) || function.starts_with(SUPPORT_SUBPACKAGES)
}
/// The support function every scenario's root goroutine starts in.
pub const ROOT_FUNCTION: &str = "gorepro.dev/samples/support.runRoot";
/// The support function that starts the root, and no other goroutine.
const ROOT_CREATOR: &str = "gorepro.dev/samples/support.Main";

/// A source position in user code: module-relative file and line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Loc {
    pub file: String,
    pub line: u32,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// What one scenario goroutine did, as far as the evidence tells.
#[derive(Debug, Clone, Default)]
pub struct Gor {
    pub id: u64,
    pub name: String,
    /// The user function it started in (`main.worker`), if known.
    pub start: Option<String>,
    pub creator: Option<u64>,
    pub created_at: Option<Loc>,
    /// Its state in the last dump (`chan send`, `running`, ...); `None` if it was not in it.
    pub final_state: Option<String>,
    pub leaked: bool,
    /// The innermost user frame in the last dump.
    pub final_at: Option<Loc>,
    pub final_function: Option<String>,
    /// Every function on its stack in the last dump, innermost first.
    pub final_frames: Vec<String>,
    /// The trace saw it exit.
    pub exited: bool,
    /// Trace position of its creation, for ordering.
    created_seq: Option<usize>,
}

/// All scenario goroutines of a run, plus the trace indexed by goroutine.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub goroutines: Vec<Gor>,
    pub root: Option<u64>,
    /// Trace transitions of scenario goroutines, per goroutine, in time order.
    pub history: BTreeMap<u64, Vec<Transition>>,
    /// Goroutines of the `testing` package's own machinery in a test binary (see
    /// [`build`]): left out of the scenario, named as what they are.
    pub test_machinery: BTreeSet<u64>,
    /// Goroutine id -> index in `goroutines` (a run may have 100,000 goroutines, and every
    /// step of the timeline names one); [`World::reindex`] after changing `goroutines`.
    index: BTreeMap<u64, usize>,
}

impl World {
    pub fn get(&self, id: u64) -> Option<&Gor> {
        self.index.get(&id).map(|&i| &self.goroutines[i])
    }

    pub fn reindex(&mut self) {
        self.index = (self.goroutines.iter().enumerate())
            .map(|(i, g)| (g.id, i))
            .collect();
    }

    /// The stable name of a goroutine id; ids outside the scenario (the supervisor, timers,
    /// the runtime) are described rather than named.
    pub fn name(&self, id: Option<u64>) -> String {
        match id.and_then(|id| self.get(id)) {
            Some(g) => g.name.clone(),
            None if id.is_some_and(|id| self.test_machinery.contains(&id)) => {
                "the test runner".into()
            }
            None => "the runtime".into(),
        }
    }

    /// The goroutines still alive at the end, waiting with this wait reason.
    pub fn stuck_in(&self, reason: &str) -> Vec<&Gor> {
        self.goroutines
            .iter()
            .filter(|g| !g.exited && g.final_state.as_deref() == Some(reason))
            .collect()
    }

    pub fn history(&self, id: u64) -> &[Transition] {
        self.history.get(&id).map_or(&[], Vec::as_slice)
    }
}

/// The dump that describes the end of the run: the supervisor's, else what the runtime printed.
pub fn final_dump(evidence: &Evidence) -> Option<&Dump> {
    evidence
        .final_dump
        .as_ref()
        .filter(|d| !d.goroutines.is_empty())
        .or(Some(&evidence.stderr.dump).filter(|d| !d.goroutines.is_empty()))
}

/// Builds the model from the evidence.
pub fn build(evidence: &Evidence) -> World {
    let verdict = evidence.verdict.as_ref();
    let dump = final_dump(evidence);
    let trace = evidence.trace.parsed();

    let root = verdict
        .map(|v| v.root_goroutine)
        .or_else(|| dump.and_then(|d| d.goroutines.iter().find(|g| is_root(g)).map(|g| g.id)))
        .or_else(|| trace.and_then(root_in_trace));

    let mut gors: BTreeMap<u64, Gor> = BTreeMap::new();
    if let Some(root) = root {
        gors.insert(
            root,
            Gor {
                id: root,
                ..Gor::default()
            },
        );
    }
    // The trace knows every goroutine that ever lived: the root's descendants are the scenario.
    if let Some(trace) = trace {
        for (seq, t) in trace.transitions.iter().enumerate() {
            if t.from == GoState::NotExist && t.to == GoState::Runnable {
                let parent_is_scenario = t.actor.is_some_and(|a| gors.contains_key(&a));
                let start = t.transition_stack.first().map(|f| f.function.as_str());
                if parent_is_scenario
                    && !start.is_some_and(is_harness_function)
                    && !gors.contains_key(&t.goroutine)
                {
                    gors.insert(
                        t.goroutine,
                        Gor {
                            id: t.goroutine,
                            start: t.transition_stack.first().map(|f| f.function.clone()),
                            creator: t.actor,
                            created_at: user_loc_trace(&t.stack),
                            created_seq: Some(seq),
                            ..Gor::default()
                        },
                    );
                }
            }
            if t.to == GoState::NotExist
                && let Some(g) = gors.get_mut(&t.goroutine)
            {
                g.exited = true;
            }
        }
    }
    if let Some(dump) = dump {
        let excluded: BTreeSet<u64> = verdict
            .map(|v| {
                let mut ids: BTreeSet<u64> = v.internal_goroutines.iter().copied().collect();
                ids.insert(v.supervisor_goroutine);
                ids
            })
            .unwrap_or_default();
        // Creators can appear after their children in a dump; repeat until nothing changes.
        loop {
            let mut added = false;
            for g in &dump.goroutines {
                if gors.contains_key(&g.id)
                    || excluded.contains(&g.id)
                    || !in_scenario(g, &gors, verdict)
                {
                    continue;
                }
                let created = g.created_by.as_ref();
                gors.insert(
                    g.id,
                    Gor {
                        id: g.id,
                        start: g.frames.last().map(|f| f.function.clone()),
                        creator: created.and_then(|c| c.goroutine),
                        created_at: created.and_then(|c| user_loc(&c.function, &c.file, c.line)),
                        ..Gor::default()
                    },
                );
                added = true;
            }
            if !added {
                break;
            }
        }
        for g in &dump.goroutines {
            if let Some(gor) = gors.get_mut(&g.id) {
                gor.final_state = Some(g.state.clone());
                gor.leaked = g.leaked;
                let top = top_user_frame(&g.frames);
                gor.final_at = top.and_then(|f| user_loc(&f.function, &f.file, f.line));
                gor.final_function = top.map(|f| f.function.clone());
                gor.final_frames = g.frames.iter().map(|f| f.function.clone()).collect();
                if gor.start.is_none() {
                    gor.start = g.frames.last().map(|f| f.function.clone());
                }
            }
        }
    }

    // In a test binary, the goroutines the testing package parks while a test runs (the root
    // in `T.Run`, a test waiting for its subtests) are its machinery, not the program's.
    let test_machinery: BTreeSet<u64> = gors
        .values()
        .filter(|g| is_test_machinery(&g.final_frames))
        .map(|g| g.id)
        .collect();
    gors.retain(|id, _| !test_machinery.contains(id));

    let mut history: BTreeMap<u64, Vec<Transition>> = BTreeMap::new();
    if let Some(trace) = trace {
        for t in &trace.transitions {
            if gors.contains_key(&t.goroutine) {
                history.entry(t.goroutine).or_default().push(t.clone());
            }
        }
        for transitions in history.values_mut() {
            transitions.sort_by_key(|t| t.time);
        }
    }

    let mut goroutines: Vec<Gor> = gors.into_values().collect();
    // The goroutine that panicked or hit a fatal error.
    let failing = evidence
        .stderr
        .panic
        .as_ref()
        .and_then(|p| p.goroutine)
        .or(evidence.stderr.fatal_goroutine);
    goroutines.sort_by_key(|a| order_key(a, root, failing));
    for (i, g) in goroutines.iter_mut().enumerate() {
        g.name = format!("G{}", i + 1);
    }
    let mut world = World {
        goroutines,
        root,
        history,
        test_machinery,
        index: BTreeMap::new(),
    };
    world.reindex();
    world
}

/// Sort key: the root first, then by what the goroutine is and how it ended; ids only break
/// ties between goroutines that are indistinguishable anyway.
fn order_key(
    g: &Gor,
    root: Option<u64>,
    failing: Option<u64>,
) -> (u8, Option<Loc>, Option<String>, String, Option<usize>, u64) {
    // How it ended, coarsely enough that only what the diagnosis reports tells goroutines
    // apart: at a crash the other goroutines' states are incidental (runnable in one run,
    // waiting in the next), so every state that is not blocked on synchronization is one.
    let ending = match (&g.final_state, g.exited) {
        _ if Some(g.id) == failing => "0 failed".to_string(),
        (None, _) | (_, true) => "1 exited".to_string(),
        (Some(state), false) if Primitive::of_wait_reason(state) != Primitive::None => format!(
            "2 {state} {}",
            g.final_at.as_ref().map(Loc::to_string).unwrap_or_default()
        ),
        (Some(_), false) => "3 live".to_string(),
    };
    (
        // The root, then the goroutine that failed, then the rest: a failing goroutine must
        // not be renamed by a sibling whose stack the runtime could not print.
        if Some(g.id) == root {
            0
        } else if Some(g.id) == failing {
            1
        } else {
            2
        },
        g.created_at.clone(),
        g.start.clone(),
        ending,
        g.created_seq,
        g.id,
    )
}

/// The root in a dump: its outermost frame, or, when the runtime could not print its stack (it
/// was running on another thread when a fatal error froze the world), its creator.
fn is_root(g: &Goroutine) -> bool {
    g.frames.last().is_some_and(|f| f.function == ROOT_FUNCTION)
        || g.created_by
            .as_ref()
            .is_some_and(|c| c.function == ROOT_CREATOR)
}

fn root_in_trace(trace: &Trace) -> Option<u64> {
    trace
        .transitions
        .iter()
        .find(|t| {
            t.from == GoState::NotExist
                && t.transition_stack
                    .first()
                    .is_some_and(|f| f.function == ROOT_FUNCTION)
        })
        .map(|t| t.goroutine)
}

/// Whether a dump goroutine belongs to the scenario: the root, a child of a scenario goroutine,
/// or a goroutine created by user code.
fn in_scenario(g: &Goroutine, known: &BTreeMap<u64, Gor>, verdict: Option<&Verdict>) -> bool {
    if let Some(v) = verdict
        && v.scenario_goroutines.contains(&g.id)
    {
        return true;
    }
    if is_root(g) {
        return true;
    }
    if g.id == 1
        || g.frames
            .last()
            .is_some_and(|f| is_harness_function(&f.function))
    {
        return false;
    }
    match &g.created_by {
        Some(c) => {
            c.goroutine.is_some_and(|p| known.contains_key(&p)) || is_user_function(&c.function)
        }
        None => false,
    }
}

/// Functions of the harness side that scenario goroutines may start (the `Exclusive`
/// spinners, the trace reader): never part of the scenario. The runtime's own goroutines (GC mark workers start when a scenario goroutine allocates,
/// and the trace shows that goroutine as their creator) are never part of the scenario either.
fn is_harness_function(function: &str) -> bool {
    (is_support_function(function) && function != ROOT_FUNCTION)
        || function.starts_with("runtime/trace.")
        || function.starts_with("runtime.")
}

/// A goroutine parked inside the `testing` package itself: its innermost frame outside the
/// runtime and `sync` is a `testing.` function (`testing.(*T).Run` waiting for a test).
fn is_test_machinery(frames: &[String]) -> bool {
    frames
        .iter()
        .find(|f| {
            !(f.starts_with("runtime.") || f.starts_with("internal/") || f.starts_with("sync."))
        })
        .is_some_and(|f| f.starts_with("testing."))
}

/// User code: `main.*` or a package whose path starts with a domain, except the support package.
pub fn is_user_function(function: &str) -> bool {
    if is_support_function(function) {
        return false;
    }
    if function.starts_with("main.") {
        return true;
    }
    let first_element = function.split('/').next().unwrap_or("");
    first_element.contains('.') && function.contains('/')
}

/// A frame of user code: a user function, and not support code inlined into one (a closure
/// `support/synchook` returns is named after the user function it was inlined into).
fn is_user_frame(function: &str, file: &str) -> bool {
    is_user_function(function) && !file.starts_with(SUPPORT_SUBPACKAGES)
}

pub fn top_user_frame(frames: &[Frame]) -> Option<&Frame> {
    frames.iter().find(|f| is_user_frame(&f.function, &f.file))
}

/// A user-code location, with the module prefix stripped.
pub fn user_loc(function: &str, file: &str, line: u32) -> Option<Loc> {
    is_user_frame(function, file).then(|| Loc {
        file: module_relative(file),
        line,
    })
}

pub fn user_loc_trace(frames: &[TraceFrame]) -> Option<Loc> {
    frames
        .iter()
        .find_map(|f| user_loc(&f.function, &f.file, f.line))
}

/// `gorepro.dev/samples/scenarios/x/buggy.go` becomes `scenarios/x/buggy.go`.
pub fn module_relative(file: &str) -> String {
    file.strip_prefix(SAMPLES_MODULE)
        .unwrap_or(file)
        .to_string()
}

/// `main.(*pool).worker.func1` stays; the module path prefix is dropped from package paths.
pub fn short_function(function: &str) -> String {
    function
        .strip_prefix(SAMPLES_MODULE)
        .unwrap_or(function)
        .to_string()
}

/// Groups bigger than this print as ranges with a count instead of one name each.
const LISTED_NAMES_MAX: usize = 8;

/// The names of a group of goroutines as reports print them: one by one while the group is
/// small (`G2, G3`), as ranges of consecutive names with a count once it is big (`G3..G102
/// (100 goroutines)`), so a pile-up of hundreds stays readable. Names keep their order.
pub fn name_list<S: AsRef<str>>(names: &[S], separator: &str) -> String {
    if names.len() <= LISTED_NAMES_MAX {
        let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
        return names.join(separator);
    }
    format!(
        "{} ({} goroutines)",
        name_ranges(names, separator),
        names.len()
    )
}

/// Consecutive names (`G3`, `G4`, ... `G9`) folded into ranges (`G3..G9`).
pub fn name_ranges<S: AsRef<str>>(names: &[S], separator: &str) -> String {
    let number = |name: &str| name.strip_prefix('G').and_then(|n| n.parse::<u64>().ok());
    let mut runs: Vec<(&str, &str)> = Vec::new();
    for name in names.iter().map(AsRef::as_ref) {
        match runs.last_mut() {
            Some((_, last))
                if number(last)
                    .zip(number(name))
                    .is_some_and(|(a, b)| a + 1 == b) =>
            {
                *last = name
            }
            _ => runs.push((name, name)),
        }
    }
    runs.iter()
        .map(|(first, last)| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}..{last}")
            }
        })
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_functions_are_main_and_module_packages() {
        assert!(is_user_function("main.worker"));
        assert!(is_user_function("main.(*pool).run.func1"));
        assert!(!is_user_function(
            "gorepro.dev/samples/support/synchook.HoldRelease.func1"
        ));
        assert!(is_user_function("github.com/acme/x.(*T).M"));
        assert!(!is_user_function("gorepro.dev/samples/support.runRoot"));
        assert!(!is_user_function("sync.(*WaitGroup).Wait"));
        assert!(!is_user_function("internal/sync.(*Mutex).lockSlow"));
        assert!(!is_user_function("runtime/trace.Start.func1"));
        assert!(!is_user_function("context.(*cancelCtx).cancel"));
    }

    #[test]
    fn goroutines_parked_in_the_testing_package_are_its_machinery() {
        let frames = |fs: &[&str]| fs.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        assert!(is_test_machinery(&frames(&[
            "testing.(*T).Run",
            "testing.runTests.func1",
            "gorepro.dev/samples/support.runRoot"
        ])));
        assert!(!is_test_machinery(&frames(&[
            "internal/sync.runtime_SemacquireMutex",
            "sync.(*Mutex).Lock",
            "example.com/demo/worker.(*Pool).Inc",
            "testing.tRunner"
        ])));
        assert!(!is_test_machinery(&[]));
    }

    #[test]
    fn small_groups_list_every_name() {
        assert_eq!(name_list(&["G2", "G3", "G4"], ", "), "G2, G3, G4");
        let eight: Vec<String> = (1..=8).map(|i| format!("G{i}")).collect();
        assert_eq!(name_list(&eight, " "), "G1 G2 G3 G4 G5 G6 G7 G8");
        assert_eq!(name_ranges(&eight, " "), "G1..G8");
    }

    #[test]
    fn big_groups_print_ranges_with_a_count() {
        let hundred: Vec<String> = (3..=102).map(|i| format!("G{i}")).collect();
        assert_eq!(name_list(&hundred, " "), "G3..G102 (100 goroutines)");
        let gappy: Vec<String> = [2, 3, 4, 5, 7, 9, 10, 11, 12]
            .iter()
            .map(|i| format!("G{i}"))
            .collect();
        assert_eq!(
            name_list(&gappy, ", "),
            "G2..G5, G7, G9..G12 (9 goroutines)"
        );
    }

    #[test]
    fn files_are_made_module_relative() {
        assert_eq!(
            module_relative("gorepro.dev/samples/scenarios/x/buggy.go"),
            "scenarios/x/buggy.go"
        );
        assert_eq!(module_relative("example.com/m/a.go"), "example.com/m/a.go");
    }
}
