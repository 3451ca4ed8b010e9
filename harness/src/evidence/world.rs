//! The scenario's goroutines, as one model merged from the dumps and the trace, with stable
//! names.
//!
//! Goroutine ids change from run to run, so they never reach a diagnosis. The root (the
//! scenario's `run`) is `G1`; the others are numbered in an order that depends only on what
//! they are: where they were created, what function they run, how they ended. Goroutines that
//! are indistinguishable get consecutive names, so which of three identical workers got stuck
//! does not change the report.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::codegen::SAMPLES_MODULE_PATH;
use crate::evidence::dump::{Dump, Frame, Goroutine};
use crate::evidence::trace::{GoState, Trace, TraceFrame, Transition};
use crate::evidence::{Evidence, Verdict};

/// The synchronization primitive a goroutine waits on, from its wait reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Primitive {
    Channel,
    NilChannel,
    Select,
    EmptySelect,
    Mutex,
    RwMutex,
    Cond,
    WaitGroup,
    Semaphore,
    /// Not blocked on synchronization (running, sleeping, in a syscall...).
    None,
}

impl Primitive {
    pub fn of_wait_reason(reason: &str) -> Primitive {
        match reason {
            "chan send" | "chan receive" => Primitive::Channel,
            "chan send (nil chan)" | "chan receive (nil chan)" => Primitive::NilChannel,
            "select" => Primitive::Select,
            "select (no cases)" => Primitive::EmptySelect,
            "sync.Mutex.Lock" => Primitive::Mutex,
            "sync.RWMutex.RLock" | "sync.RWMutex.Lock" => Primitive::RwMutex,
            "sync.Cond.Wait" => Primitive::Cond,
            "sync.WaitGroup.Wait" => Primitive::WaitGroup,
            "semacquire" => Primitive::Semaphore,
            _ => Primitive::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Primitive::Channel => "channel",
            Primitive::NilChannel => "nil channel",
            Primitive::Select => "select",
            Primitive::EmptySelect => "select {}",
            Primitive::Mutex => "sync.Mutex",
            Primitive::RwMutex => "sync.RWMutex",
            Primitive::Cond => "sync.Cond",
            Primitive::WaitGroup => "sync.WaitGroup",
            Primitive::Semaphore => "semaphore",
            Primitive::None => "none",
        }
    }
}

/// The support package; its frames are the harness's, not the scenario's.
pub const SUPPORT_PACKAGE: &str = "gorepro.dev/samples/support.";
/// The support package's own packages (`support/synchook`): the harness's too. As a file
/// path prefix it covers the support package's files as well.
const SUPPORT_SUBPACKAGES: &str = "gorepro.dev/samples/support/";

/// A function of the support package or one of its packages.
pub(crate) fn is_support_function(function: &str) -> bool {
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
    /// The innermost frame of the last dump that is neither the runtime's waiting machinery
    /// nor user code: the library call it is blocked inside (`example.com/dep/queue.(*Q).Pop`),
    /// when there is one above its first user frame.
    pub final_inside: Option<String>,
    /// The user function its own code began in: its start function when that is user code,
    /// else (a wrapper outside the module started it: `errgroup.(*Group).Go.func1`,
    /// `testing.tRunner`) the outermost user frame of its stack. It tells apart goroutines
    /// that one shared wrapper started for different callers.
    pub entry: Option<String>,
    /// The trace saw it exit.
    pub exited: bool,
    /// Trace position of its creation, for ordering.
    created_seq: Option<usize>,
}

/// All scenario goroutines of a run, plus the trace indexed by goroutine.
#[derive(Debug, Clone)]
pub struct World {
    /// Whose code the frames are measured against.
    pub user_code: UserCode,
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

/// Builds the model from the evidence, with `user_code` deciding which frames are the program's.
pub fn build(evidence: &Evidence, user_code: &UserCode) -> World {
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
                            created_at: user_code.user_loc_trace(&t.stack),
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
                ids.extend(&v.ignored_goroutines);
                ids
            })
            .unwrap_or_default();
        // The trace may have named an ignored goroutine a scenario goroutine already.
        gors.retain(|id, _| Some(*id) == root || !excluded.contains(id));
        // Creators can appear after their children in a dump; repeat until nothing changes.
        loop {
            let mut added = false;
            for g in &dump.goroutines {
                if gors.contains_key(&g.id)
                    || excluded.contains(&g.id)
                    || !in_scenario(g, &gors, verdict, user_code)
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
                        created_at: created
                            .and_then(|c| user_code.user_loc(&c.function, &c.file, c.line)),
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
            // A test binary's root runs on goroutine 1 and stays parked there once it is
            // done, as an internal goroutine: it ended.
            if excluded.contains(&g.id) {
                continue;
            }
            if let Some(gor) = gors.get_mut(&g.id) {
                gor.final_state = Some(g.state.clone());
                gor.leaked = g.leaked;
                let top = user_code.top_user_frame(&g.frames);
                gor.final_at = top.and_then(|f| user_code.user_loc(&f.function, &f.file, f.line));
                gor.final_function = top.map(|f| f.function.clone());
                gor.final_frames = g.frames.iter().map(|f| f.function.clone()).collect();
                gor.final_inside = user_code.inside(&g.frames);
                if gor.start.is_none() {
                    // A test binary's root is goroutine 1: it starts in main.main, but what it
                    // runs starts at the root function, as a program's root does.
                    gor.start = match Some(g.id) == root && is_root(g) {
                        true => Some(ROOT_FUNCTION.to_string()),
                        false => g.frames.last().map(|f| f.function.clone()),
                    };
                }
                gor.entry = user_code.outermost_user_function(
                    g.frames
                        .iter()
                        .map(|f| (f.function.as_str(), f.file.as_str())),
                );
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

    for gor in gors.values_mut() {
        gor.entry = entry(gor, history.get(&gor.id), user_code);
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
        user_code: user_code.clone(),
        goroutines,
        root,
        history,
        test_machinery,
        index: BTreeMap::new(),
    };
    world.reindex();
    world
}

/// [`Gor::entry`]: the start function if it is user code; else the outermost user frame of the
/// final dump's stack (set before this is called), else of the first trace stack that has one.
fn entry(gor: &Gor, history: Option<&Vec<Transition>>, user_code: &UserCode) -> Option<String> {
    if let Some(start) = gor
        .start
        .as_deref()
        .filter(|s| user_code.is_user_function(s))
    {
        return Some(start.to_string());
    }
    gor.entry.clone().or_else(|| {
        history.into_iter().flatten().find_map(|t| {
            user_code.outermost_user_function(
                t.transition_stack
                    .iter()
                    .map(|f| (f.function.as_str(), f.file.as_str())),
            )
        })
    })
}

/// Sort key: the root first, then by what the goroutine is and how it ended; ids only break
/// ties between goroutines that are indistinguishable anyway.
fn order_key(g: &Gor, root: Option<u64>, failing: Option<u64>) -> impl Ord + use<> {
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
        g.entry.clone(),
        ending,
        g.created_seq,
        g.id,
    )
}

/// The root in a dump: it runs in [`ROOT_FUNCTION`] (its outermost frame, or one below
/// `main.main` when it is a test binary's goroutine 1), or, when the runtime could not print
/// its stack (it was running on another thread when a fatal error froze the world), its
/// creator.
fn is_root(g: &Goroutine) -> bool {
    g.frames.iter().any(|f| f.function == ROOT_FUNCTION)
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
fn in_scenario(
    g: &Goroutine,
    known: &BTreeMap<u64, Gor>,
    verdict: Option<&Verdict>,
    user_code: &UserCode,
) -> bool {
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
            c.goroutine.is_some_and(|p| known.contains_key(&p))
                || user_code.is_user_function(&c.function)
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

/// A file of a test binary's generated entry point: go test's `_testmain.go` and the files
/// `gorepro diagnose` lays over the package (`zz_gorepro_main_test.go`, ...). Their frames sit
/// below the root of a test binary, whose goroutine 1 it is, and are no one's code.
fn is_generated_entry(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    name == "_testmain.go" || name.starts_with("zz_gorepro_")
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

/// Whose code a run is: the Go module being diagnosed (`gorepro.dev/samples` for the catalog
/// and the corpus). Its packages and `main` are user code, the support package never is; reports
/// give user files and functions relative to the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCode {
    /// The module path as its `go.mod` spells it, without a trailing `/`.
    module: String,
}

impl UserCode {
    /// The module at `module_path` (`myservice`, `example.com/x`, `github.com/a/b/v2`).
    pub fn module(module_path: &str) -> UserCode {
        UserCode {
            module: module_path.trim_end_matches('/').to_string(),
        }
    }

    /// The catalog's scenarios (and the corpus): the samples module, support package excluded.
    pub fn samples() -> UserCode {
        UserCode::module(SAMPLES_MODULE_PATH)
    }

    /// A function of user code: of `main`, or of a package of the module, and not of the
    /// support package.
    pub fn is_user_function(&self, function: &str) -> bool {
        if is_support_function(function) {
            return false;
        }
        function.starts_with("main.") || package_of(function).is_some_and(|p| self.owns(&p))
    }

    /// Whether a package belongs to the module: the module path itself, a path under it, or
    /// the external test package of its root (`<module>_test`; those of the packages under it
    /// are under it already). A module that merely shares a prefix (`myservice2`) does not.
    fn owns(&self, package: &str) -> bool {
        package
            .strip_prefix(self.module.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest == "_test")
    }

    /// A frame of user code: a user function, and not support code inlined into one (a
    /// closure `support/synchook` returns is named after the user function it was inlined into)
    /// nor a test binary's generated entry point.
    pub fn is_user_frame(&self, function: &str, file: &str) -> bool {
        self.is_user_function(function)
            && !file.starts_with(SUPPORT_SUBPACKAGES)
            && !is_generated_entry(file)
    }

    /// The outermost user frame of a stack given innermost first, as `(function, file)`.
    pub fn outermost_user_function<'a>(
        &self,
        frames: impl DoubleEndedIterator<Item = (&'a str, &'a str)>,
    ) -> Option<String> {
        frames
            .rev()
            .find(|(function, file)| self.is_user_frame(function, file))
            .map(|(function, _)| function.to_string())
    }

    /// The library call a stack is blocked inside: its innermost frame outside the runtime's
    /// waiting machinery (the wait reason already names `sync.(*Mutex).Lock`, `time.Sleep`),
    /// unless that frame is user code or the support package.
    pub fn inside(&self, frames: &[Frame]) -> Option<String> {
        let top = frames.iter().find(|f| !is_waiting_machinery(&f.function))?;
        (!self.is_user_frame(&top.function, &top.file)
            && !is_support_function(&top.function)
            && !top.file.starts_with(SUPPORT_SUBPACKAGES))
        .then(|| top.function.clone())
    }

    pub fn top_user_frame<'a>(&self, frames: &'a [Frame]) -> Option<&'a Frame> {
        frames
            .iter()
            .find(|f| self.is_user_frame(&f.function, &f.file))
    }

    /// A user-code location, with the module prefix stripped.
    pub fn user_loc(&self, function: &str, file: &str, line: u32) -> Option<Loc> {
        self.is_user_frame(function, file).then(|| Loc {
            file: self.module_relative(file),
            line,
        })
    }

    pub fn user_loc_trace(&self, frames: &[TraceFrame]) -> Option<Loc> {
        frames
            .iter()
            .find_map(|f| self.user_loc(&f.function, &f.file, f.line))
    }

    /// A `-trimpath` file name made module-relative: `gorepro.dev/samples/scenarios/x/buggy.go`
    /// becomes `scenarios/x/buggy.go`, `myservice/store/store.go` becomes `store/store.go`.
    pub fn module_relative(&self, file: &str) -> String {
        self.strip_module(file)
    }

    /// `main.(*pool).worker.func1` stays; the module path prefix is dropped from package paths
    /// (`myservice/store.(*Store).Get` becomes `store.(*Store).Get`).
    pub fn short_function(&self, function: &str) -> String {
        self.strip_module(function)
    }

    fn strip_module(&self, text: &str) -> String {
        text.strip_prefix(self.module.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(text)
            .to_string()
    }
}

/// Frames of the runtime, `sync` and `time.Sleep`: how a goroutine waits, which its wait reason
/// already says, never what it was doing.
fn is_waiting_machinery(function: &str) -> bool {
    ["runtime.", "internal/", "sync.", "sync/atomic.", "iter."]
        .iter()
        .any(|prefix| function.starts_with(prefix))
        || function == "time.Sleep"
}

/// The import path of the package a function belongs to: `example.com/m/x` for
/// `example.com/m/x.(*T).M.func1`. The runtime writes dots in the last element of a package
/// path as `%2e` (`gopkg.in/yaml%2ev3.Unmarshal`), and type arguments (`F[...]`) may hold
/// paths of their own; `None` for a name with no package.
fn package_of(function: &str) -> Option<String> {
    let name = function.split('[').next().unwrap_or(function);
    let last_element = name.rfind('/').map_or(0, |slash| slash + 1);
    let dot = last_element + name[last_element..].find('.')?;
    Some(name[..dot].replace("%2e", "."))
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
    fn samples_user_code_is_main_and_the_samples_module_without_support() {
        let samples = UserCode::samples();
        assert!(samples.is_user_function("main.worker"));
        assert!(samples.is_user_function("main.(*pool).run.func1"));
        assert!(
            samples.is_user_function("gorepro.dev/samples/corpus/moby_29733.(*plugin).waitActive")
        );
        assert!(
            !samples.is_user_function("gorepro.dev/samples/support/synchook.HoldRelease.func1")
        );
        assert!(!samples.is_user_function("gorepro.dev/samples/support.runRoot"));
        assert!(!samples.is_user_function("github.com/acme/x.(*T).M"));
        assert!(!samples.is_user_function("sync.(*WaitGroup).Wait"));
        assert!(!samples.is_user_function("internal/sync.(*Mutex).lockSlow"));
        assert!(!samples.is_user_function("runtime/trace.Start.func1"));
        assert!(!samples.is_user_function("context.(*cancelCtx).cancel"));
    }

    #[test]
    fn a_test_binarys_generated_entry_point_is_no_users_frame() {
        let code = UserCode::module("myservice");
        let frame = |function: &str, file: &str| Frame {
            function: function.into(),
            file: file.into(),
            line: 19,
            inlined: false,
        };
        // Goroutine 1 of a test binary, below the root function.
        let below_root = [
            frame(ROOT_FUNCTION, "gorepro.dev/samples/support/supervisor.go"),
            frame(
                "myservice/store.TestMain",
                "myservice/store/zz_gorepro_main_test.go",
            ),
            frame("main.main", "_testmain.go"),
        ];
        assert_eq!(code.top_user_frame(&below_root), None);
        let user = frame(
            "myservice/store.goreproUserTestMain",
            "myservice/store/store_test.go",
        );
        assert_eq!(
            code.user_loc(&user.function, &user.file, user.line),
            Some(Loc {
                file: "store/store_test.go".into(),
                line: 19
            })
        );
    }

    #[test]
    fn a_module_named_without_a_dot_is_user_code() {
        let code = UserCode::module("myservice");
        assert!(code.is_user_function("myservice/store.(*Store).Get"));
        assert!(code.is_user_function("myservice/store.TestLeak.func1"));
        assert!(code.is_user_function("myservice.Run"));
        assert!(code.is_user_function("main.main"));
        // External test packages: under the module, and the root's `<module>_test`.
        assert!(code.is_user_function("myservice/store_test.TestLeak"));
        assert!(code.is_user_function("myservice_test.TestRun.func2"));
        // Other modules that merely share a prefix.
        assert!(!code.is_user_function("myservice2/store.(*Store).Get"));
        assert!(!code.is_user_function("myservicex.Run"));
        assert!(!code.is_user_function("myservice_testing/x.F"));
        assert!(!code.is_user_function("example.com/dep/queue.(*Queue).Push"));
        assert!(!code.is_user_function("sync.(*Mutex).Lock"));
        assert!(!code.is_user_function("testing.tRunner"));
        assert!(!code.is_user_function("gorepro.dev/samples/support.runRoot"));
    }

    #[test]
    fn a_dotted_module_and_a_major_version_suffix_are_user_code() {
        let code = UserCode::module("example.com/demo");
        assert!(code.is_user_function("example.com/demo/worker.(*Pool).flush"));
        assert!(code.is_user_function("example.com/demo/worker_test.TestWatcherLeak.func1"));
        assert!(!code.is_user_function("example.com/dep/queue.(*Queue).Push"));
        assert!(!code.is_user_function("example.com/demox/worker.F"));

        let v2 = UserCode::module("github.com/a/b/v2");
        assert!(v2.is_user_function("github.com/a/b/v2.New"));
        assert!(v2.is_user_function("github.com/a/b/v2/pool.(*P).Get[...]"));
        assert!(!v2.is_user_function("github.com/a/b.New"));
        assert!(!v2.is_user_function("github.com/a/b/v3/pool.(*P).Get"));
        assert!(!v2.is_user_function("github.com/a/b/v20.New"));
    }

    #[test]
    fn package_paths_come_from_function_names() {
        assert_eq!(
            package_of("example.com/m/x.(*T).M.func1").as_deref(),
            Some("example.com/m/x")
        );
        assert_eq!(package_of("main.main").as_deref(), Some("main"));
        // The runtime escapes dots in the last element of a package path.
        assert_eq!(
            package_of("gopkg.in/yaml%2ev3.Unmarshal").as_deref(),
            Some("gopkg.in/yaml.v3")
        );
        // Type arguments may name other packages.
        assert_eq!(
            package_of("myservice/cache.Get[go.shape.struct { other/pkg.T }]").as_deref(),
            Some("myservice/cache")
        );
        assert_eq!(package_of("nopackage"), None);
        let dotted = UserCode::module("example.com/foo.bar");
        assert!(dotted.is_user_function("example.com/foo%2ebar.Run"));
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
    fn files_and_functions_are_made_module_relative() {
        let samples = UserCode::samples();
        assert_eq!(
            samples.module_relative("gorepro.dev/samples/scenarios/x/buggy.go"),
            "scenarios/x/buggy.go"
        );
        assert_eq!(
            samples.module_relative("example.com/m/a.go"),
            "example.com/m/a.go"
        );
        assert_eq!(
            samples.short_function("gorepro.dev/samples/corpus/x.(*p).wait"),
            "corpus/x.(*p).wait"
        );
        let code = UserCode::module("myservice");
        assert_eq!(
            code.module_relative("myservice/store/store.go"),
            "store/store.go"
        );
        assert_eq!(
            code.module_relative("myservice2/store.go"),
            "myservice2/store.go"
        );
        assert_eq!(
            code.short_function("myservice/store_test.TestLeak.func1"),
            "store_test.TestLeak.func1"
        );
        assert_eq!(code.short_function("main.main"), "main.main");
        assert_eq!(
            code.user_loc(
                "myservice/store.(*Store).Put",
                "myservice/store/store.go",
                31
            ),
            Some(Loc {
                file: "store/store.go".into(),
                line: 31
            })
        );
        assert_eq!(
            code.user_loc("sync.(*Mutex).Lock", "sync/mutex.go", 70),
            None
        );
        // Support code inlined into a user function is not the user's line.
        assert_eq!(
            code.user_loc(
                "myservice/store.(*Store).Put",
                "gorepro.dev/samples/support/synchook/hook.go",
                12
            ),
            None
        );
    }
}
