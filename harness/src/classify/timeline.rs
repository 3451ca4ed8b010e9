//! The timeline of a run: what each scenario goroutine did, from the execution trace, as plain
//! data the report modules render (the terminal table in the normalized report, the HTML
//! swimlanes).
//!
//! Two views of the same trace:
//!
//! - [`History`], per goroutine: its creation (by whom, where, when), every state change
//!   (running, runnable, waiting with its wait reason and the blocking call's user source
//!   line, syscall, exited) with its time, and who woke it. Times are nanoseconds since the
//!   root goroutine was created. This is everything, racy detail included.
//! - [`Step`] rows, the *relevant* steps in a stable order, for a table that must read the same
//!   on every run, on 1 or 2 cores: the blocks a support gate waited for (so they are forced by
//!   the scenario), the final block of every stuck goroutine, who woke a shown block, the
//!   scenario's own `support.Step`/`Mark` labels, exits and the failure. A block that merely
//!   happened to occur (a receive that found no sender yet, a contended mutex) is left out: on
//!   another run it does not happen. Rows are ordered by happens-before (program order,
//!   creation, wake-ups, and the gates: a gate passes only after what it waited for), and
//!   concurrent steps by lane, G1 first; never by time. Goroutines whose steps read the same
//!   share a lane (`G3 G4`), so which of two identical workers blocked first does not matter,
//!   and a run with hundreds of identical goroutines stays readable.
//!
//! The trace reader prints the Go toolchain's own parse of the trace, as `go tool trace
//! -d=parsed` does (see [`crate::evidence::trace`] for why); without a readable trace there is
//! no timeline, and the diagnosis says "no trace evidence".

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use serde::Serialize;

use super::{Failure, StuckGroup};
use crate::evidence::Evidence;
use crate::evidence::trace::{GoState, TraceFrame, Transition, UserLog};
use crate::evidence::world::{Loc, World};

/// The timeline of one run.
///
/// As JSON, a timeline of more than [`JSON_HISTORIES`] goroutines keeps the history of each
/// lane's first goroutine only (what a lane stands for, and what the HTML page draws) and says
/// how many it left out in `histories_left_out`: a pool's 900 short-lived goroutines made one
/// `--json` line 5.6 MB, nearly all of it their state changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// Every scenario goroutine, in the world's order (G1 first).
    pub goroutines: Vec<History>,
    /// Goroutines grouped by identical relevant steps: the columns of the table.
    pub lanes: Vec<Lane>,
    /// The relevant steps, in a stable order: the rows of the table.
    pub steps: Vec<Step>,
    /// Nanoseconds from the root's creation to the last event kept.
    pub span_ns: u64,
}

/// Goroutines whose histories a timeline's JSON keeps in full.
pub const JSON_HISTORIES: usize = 64;

impl Serialize for Timeline {
    /// The fields as they are, but `goroutines`: all of them up to [`JSON_HISTORIES`], else
    /// those that head a lane, with `histories_left_out` saying how many were left out.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let heads: BTreeSet<&str> = (self.lanes.iter())
            .filter_map(|lane| lane.goroutines.first().map(String::as_str))
            .collect();
        let kept: Vec<&History> = if self.goroutines.len() <= JSON_HISTORIES {
            self.goroutines.iter().collect()
        } else {
            (self.goroutines.iter())
                .filter(|h| heads.contains(h.name.as_str()))
                .collect()
        };
        let mut out = serializer.serialize_struct("Timeline", 5)?;
        out.serialize_field("goroutines", &kept)?;
        out.serialize_field("histories_left_out", &(self.goroutines.len() - kept.len()))?;
        out.serialize_field("lanes", &self.lanes)?;
        out.serialize_field("steps", &self.steps)?;
        out.serialize_field("span_ns", &self.span_ns)?;
        out.end()
    }
}

/// One goroutine's life, from the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct History {
    pub name: String,
    /// The user function it started in.
    pub function: Option<String>,
    pub created_by: Option<String>,
    pub created_at: Option<Loc>,
    pub created_ns: Option<u64>,
    /// Every state change, in time order.
    pub changes: Vec<Change>,
    /// Blocked at the end of the run (listed in the diagnosis as stuck).
    pub stuck: bool,
    /// The goroutine that panicked or hit a fatal error.
    pub failed: bool,
}

/// A state as the trace names it, folded to what a reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Runnable,
    Running,
    /// Parked on a synchronization primitive (`reason` says which).
    Blocked,
    /// Parked for another reason: a sleep, a gate's polling, the runtime.
    Waiting,
    Syscall,
    Exited,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Runnable => "runnable",
            State::Running => "running",
            State::Blocked => "blocked",
            State::Waiting => "waiting",
            State::Syscall => "syscall",
            State::Exited => "exited",
        }
    }
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub ns: u64,
    pub state: State,
    /// For a block: the wait reason as a goroutine dump spells it (`chan send`,
    /// `sync.Cond.Wait`); for other waits the trace's reason (`sleep`).
    pub reason: String,
    /// For a block: the blocking call in user code.
    pub at: Option<Loc>,
    /// For a wake-up: the goroutine that woke it (a stable name), or `a timer` / `the runtime`.
    pub by: Option<String>,
    /// For a wake-up by a goroutine: the unblocking operation (`Cond.Signal`) and its user line.
    pub by_op: Option<String>,
    pub by_at: Option<Loc>,
}

/// A column: goroutines whose relevant steps read the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lane {
    pub goroutines: Vec<String>,
    pub function: Option<String>,
    pub stuck: bool,
    pub failed: bool,
}

/// A row: one relevant step, with a cell in each lane it involves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// When it happened in the first run of the lane's goroutines (for drawing; never for
    /// ordering).
    pub ns: u64,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// Index into [`Timeline::lanes`].
    pub lane: usize,
    pub kind: StepKind,
    /// `Cond.Wait main.go:36`, `Cond.Signal buggy.go:11 -> G2`, `woken by G1`, `step "cancel()"`.
    pub text: String,
    /// The operation never completed: the goroutine is stuck there, or failed there.
    pub stuck: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    Block,
    Wake,
    Woken,
    Label,
    Exit,
    Failure,
    TimerLoop,
}

/// Builds the timeline; `None` without a readable trace.
pub fn build(
    evidence: &Evidence,
    world: &World,
    stuck: &[StuckGroup],
    failure: Option<&Failure>,
) -> Option<Timeline> {
    let (timeline, canonical) = build_named(evidence, world, stuck, failure)?;
    match canonical {
        None => Some(timeline),
        Some(world) => build_named(evidence, &world, stuck, failure).map(|(t, _)| t),
    }
}

/// Siblings the world cannot tell apart (same function, same `go` statement, same ending) get
/// their names in the order of what they did, so that which of two identical workers took the
/// job does not rename the timeline. Returns the renamed world when that changes anything.
fn canonical_names(world: &World, graph: &Graph, goroutines: &[History]) -> Option<World> {
    let masked = |g: usize| -> Vec<(StepKind, String)> {
        graph.chains[g]
            .iter()
            .filter_map(|&n| {
                graph.nodes[n]
                    .cells
                    .iter()
                    .find(|(lane, _)| *lane == g)
                    .and_then(|(_, c)| c.as_ref())
            })
            .map(|(kind, text, _)| {
                let words: Vec<&str> = text
                    .split(' ')
                    .map(|w| if is_name(w) { "G" } else { w })
                    .collect();
                (*kind, words.join(" "))
            })
            .collect()
    };
    let key = |g: usize| {
        let gor = &world.goroutines[g];
        (
            gor.start.clone(),
            gor.entry.clone(),
            gor.created_at.clone(),
            gor.exited,
            gor.final_state.clone(),
            goroutines[g].stuck,
            goroutines[g].failed,
        )
    };
    let mut order: Vec<usize> = (0..world.goroutines.len()).collect();
    // Within each group of interchangeable siblings (never the root), sort by what they did.
    let mut changed = false;
    let mut groups: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for g in 1..world.goroutines.len() {
        groups.entry(key(g)).or_default().push(g);
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        let mut by_steps = members.clone();
        by_steps.sort_by_key(|&g| (masked(g), g));
        for (slot, g) in members.iter().zip(&by_steps) {
            if order[*slot] != *g {
                changed = true;
            }
            order[*slot] = *g;
        }
    }
    if !changed {
        return None;
    }
    let mut renamed = world.clone();
    renamed.goroutines = order
        .iter()
        .enumerate()
        .map(|(slot, &g)| {
            let mut gor = world.goroutines[g].clone();
            gor.name = world.goroutines[slot].name.clone();
            gor
        })
        .collect();
    renamed.reindex();
    // Creators are ids, so they follow; nothing else refers to a name.
    Some(renamed)
}

fn is_name(word: &str) -> bool {
    word.strip_prefix('G')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn build_named(
    evidence: &Evidence,
    world: &World,
    stuck: &[StuckGroup],
    failure: Option<&Failure>,
) -> Option<(Timeline, Option<World>)> {
    let trace = evidence.trace.parsed()?;
    let root = world.root?;
    let origin = world
        .history(root)
        .first()
        .map(|t| t.time)
        .or_else(|| trace.transitions.first().map(|t| t.time))?;
    let rel = |time: u64| time.saturating_sub(origin);
    let stuck_names: BTreeSet<&str> = stuck
        .iter()
        .flat_map(|g| g.goroutines.iter().map(String::as_str))
        .collect();
    let timer_loops: BTreeMap<&str, &StuckGroup> = stuck
        .iter()
        .filter(|g| g.wait == "timer loop")
        .flat_map(|g| g.goroutines.iter().map(move |n| (n.as_str(), g)))
        .collect();
    let failed_name = failure.and_then(|f| f.goroutine.as_deref());

    let goroutines: Vec<History> = world
        .goroutines
        .iter()
        .map(|g| History {
            name: g.name.clone(),
            function: if Some(g.id) == world.root {
                root_function(world, g.id)
            } else {
                // A goroutine a library wrapper started is named by the user code it runs.
                g.entry
                    .as_deref()
                    .or(g.start.as_deref())
                    .map(|f| world.user_code.short_function(f))
            },
            created_by: g.creator.map(|c| world.name(Some(c))),
            created_at: g.created_at.clone(),
            created_ns: world
                .history(g.id)
                .iter()
                .find(|t| t.from == GoState::NotExist)
                .map(|t| rel(t.time)),
            changes: changes(world, g.id, &rel),
            stuck: stuck_names.contains(g.name.as_str()),
            failed: failed_name == Some(g.name.as_str()),
        })
        .collect();

    let mut graph = Graph::default();
    let index: BTreeMap<u64, usize> = world
        .goroutines
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id, i))
        .collect();
    // Grouped once: a run may have 100,000 goroutines.
    let mut logs_of: BTreeMap<u64, Vec<&UserLog>> = BTreeMap::new();
    for log in trace.logs.iter().filter(|l| l.category == "gorepro") {
        if let Some(id) = log.goroutine {
            logs_of.entry(id).or_default().push(log);
        }
    }
    let mut children_of: BTreeMap<u64, Vec<&crate::evidence::world::Gor>> = BTreeMap::new();
    for child in &world.goroutines {
        if let Some(creator) = child.creator {
            children_of.entry(creator).or_default().push(child);
        }
    }
    // Pass 1: each goroutine's own events, in time order.
    for g in &world.goroutines {
        let history = world.history(g.id);
        let mut events: Vec<Event> = Vec::new();
        for (i, t) in history.iter().enumerate() {
            if t.from == GoState::Undetermined {
                continue;
            }
            if t.from == GoState::NotExist {
                continue;
            }
            if t.to == GoState::NotExist {
                events.push(Event::Exit(t.time));
                continue;
            }
            if t.from == GoState::Running
                && t.to == GoState::Waiting
                && let Some(reason) = block_reason(t)
                && !in_panic(&t.transition_stack)
                && !in_support(world, &t.transition_stack)
            {
                let woken = history[i + 1..]
                    .iter()
                    .find(|w| w.from == GoState::Waiting && w.to == GoState::Runnable);
                events.push(Event::Block {
                    time: t.time,
                    reason,
                    at: world.user_code.user_loc_trace(&t.transition_stack),
                    woken: woken.cloned(),
                });
            }
        }
        for log in logs_of.get(&g.id).into_iter().flatten() {
            if let Some(gate) = log.message.strip_prefix("gate ") {
                events.push(Event::Gate(log.time, gate.to_string()));
            } else if !log.message.starts_with("verdict") {
                events.push(Event::Label(
                    log.time,
                    log.message.clone(),
                    world.user_code.user_loc_trace(&log.stack),
                ));
            }
        }
        // Creations of scenario goroutines, in the creator's program order.
        for child in children_of.get(&g.id).into_iter().flatten() {
            if let Some(created) = world
                .history(child.id)
                .iter()
                .find(|t| t.from == GoState::NotExist)
            {
                events.push(Event::Create(created.time, index[&child.id]));
            }
        }
        events.sort_by_key(Event::time);
        graph.events.push(events);
    }
    graph.check_failed_at = failure
        .filter(|f| f.kind == "invariant check")
        .and_then(|_| {
            trace
                .logs
                .iter()
                .find(|l| l.category == "gorepro.violation")
                .map(|l| l.time)
        });
    graph.build(
        world,
        &index,
        &stuck_names,
        &timer_loops,
        failed_name,
        failure,
    );
    let canonical = canonical_names(world, &graph, &goroutines);
    let (lanes, steps) = graph.order(world, &goroutines, &rel);
    let span_ns = goroutines
        .iter()
        .flat_map(|g| g.changes.last().map(|c| c.ns))
        .max()
        .unwrap_or(0);
    Some((
        Timeline {
            goroutines,
            lanes,
            steps,
            span_ns,
        },
        canonical,
    ))
}

fn changes(world: &World, id: u64, rel: &impl Fn(u64) -> u64) -> Vec<Change> {
    let mut out = Vec::new();
    for t in world.history(id) {
        if t.from == GoState::Undetermined && !out.is_empty() {
            continue;
        }
        let (state, reason, at) = match t.to {
            GoState::NotExist => (State::Exited, String::new(), None),
            GoState::Runnable => (State::Runnable, String::new(), None),
            GoState::Running => (State::Running, String::new(), None),
            GoState::Syscall => (State::Syscall, String::new(), None),
            GoState::Waiting | GoState::Undetermined => match block_reason(t) {
                // A lock or channel inside a support gate is the harness's wait, not the
                // program's: whether it blocks at all depends on timing.
                Some(_) if in_support(world, &t.transition_stack) => {
                    (State::Waiting, t.reason.clone(), None)
                }
                Some(reason) => (
                    State::Blocked,
                    reason,
                    world.user_code.user_loc_trace(&t.transition_stack),
                ),
                None => (State::Waiting, t.reason.clone(), None),
            },
        };
        let woke = t.from == GoState::Waiting && t.to == GoState::Runnable;
        let (by, by_op, by_at) = if woke {
            match t.actor.filter(|a| world.get(*a).is_some()) {
                Some(actor) => (
                    Some(world.name(Some(actor))),
                    unblock_op(&t.stack).map(str::to_string),
                    world.user_code.user_loc_trace(&t.stack),
                ),
                None if t.actor.is_none() => (Some("a timer".to_string()), None, None),
                None => (Some("the runtime".to_string()), None, None),
            }
        } else {
            (None, None, None)
        };
        out.push(Change {
            ns: rel(t.time),
            state,
            reason,
            at,
            by,
            by_op,
            by_at,
        });
    }
    out
}

/// The root starts in the support package; name it by the scenario function it runs (the
/// outermost user frame the trace saw on its stack).
fn root_function(world: &World, id: u64) -> Option<String> {
    let outermost = |stack: &[TraceFrame]| {
        stack
            .iter()
            .rev()
            .find(|f| world.user_code.is_user_frame(&f.function, &f.file))
            .map(|f| world.user_code.short_function(&f.function))
    };
    // Its own transitions carry its stack only if it ever blocked or was preempted; what it
    // did to others (creations, wakes) always carries it.
    world
        .history(id)
        .iter()
        .find_map(|t| outermost(&t.transition_stack))
        .or_else(|| {
            world
                .history
                .values()
                .flatten()
                .filter(|t| t.actor == Some(id))
                .find_map(|t| outermost(&t.stack))
        })
}

/// The dump-style wait reason of a block on a synchronization primitive, from the trace's
/// reason and the blocked goroutine's stack; `None` for sleeps, yields and runtime waits.
pub fn block_reason(t: &Transition) -> Option<String> {
    let has = |f: &str| t.transition_stack.iter().any(|frame| frame.function == f);
    let reason = match t.reason.as_str() {
        "chan send" | "chan receive" | "select" => t.reason.as_str(),
        "sync.(*Cond).Wait" => "sync.Cond.Wait",
        "forever" if has("runtime.chansend1") || has("runtime.chansend") => "chan send (nil chan)",
        "forever" if has("runtime.chanrecv1") || has("runtime.chanrecv2") => {
            "chan receive (nil chan)"
        }
        "forever" => "select (no cases)",
        "sync" if has("sync.(*WaitGroup).Wait") => "sync.WaitGroup.Wait",
        "sync" if has("sync.(*RWMutex).RLock") => "sync.RWMutex.RLock",
        "sync" if has("sync.(*RWMutex).Lock") => "sync.RWMutex.Lock",
        "sync" if has("sync.(*Mutex).Lock") => "sync.Mutex.Lock",
        "sync" => "semacquire",
        _ => return None,
    };
    Some(reason.to_string())
}

/// The stack is in the support package below its innermost user frame.
fn in_support(world: &World, stack: &[TraceFrame]) -> bool {
    stack
        .iter()
        .take_while(|f| !world.user_code.is_user_function(&f.function))
        .any(|f| crate::evidence::world::is_support_function(&f.function))
}

/// The operation that woke a goroutine, from the waker's stack.
pub fn unblock_op(stack: &[TraceFrame]) -> Option<&'static str> {
    const OPS: [(&str, &str); 16] = [
        ("sync.(*Cond).Signal", "Cond.Signal"),
        ("sync.(*Cond).Broadcast", "Cond.Broadcast"),
        ("sync.(*WaitGroup).Done", "WaitGroup.Done"),
        ("sync.(*WaitGroup).Add", "WaitGroup.Add"),
        ("context.(*cancelCtx).cancel", "cancel"),
        ("sync.(*Mutex).Unlock", "Mutex.Unlock"),
        ("sync.(*RWMutex).Unlock", "RWMutex.Unlock"),
        ("sync.(*RWMutex).RUnlock", "RWMutex.RUnlock"),
        ("runtime.closechan", "close"),
        ("runtime.chansend1", "chan send"),
        ("runtime.chansend", "chan send"),
        ("runtime.chanrecv1", "chan receive"),
        ("runtime.chanrecv2", "chan receive"),
        ("runtime.chanrecv", "chan receive"),
        ("runtime.selectgo", "select"),
        ("time.Sleep", "sleep"),
    ];
    OPS.iter()
        .find(|(function, _)| stack.iter().any(|f| f.function == *function))
        .map(|(_, op)| *op)
}

fn in_panic(stack: &[TraceFrame]) -> bool {
    stack.iter().any(|f| f.function == "runtime.gopanic")
}

/// `sync.Cond.Wait` reads `Cond.Wait` in a cell.
fn short_reason(reason: &str) -> &str {
    reason.strip_prefix("sync.").unwrap_or(reason)
}

/// `scenarios/x/main.go:36` reads `main.go:36` in a cell: the report names the scenario.
fn short_loc(at: &Loc) -> String {
    let file = at.file.rsplit('/').next().unwrap_or(&at.file);
    format!("{file}:{}", at.line)
}

fn with_loc(text: String, at: Option<&Loc>) -> String {
    match at {
        Some(at) => format!("{text} {}", short_loc(at)),
        None => text,
    }
}

/// A goroutine's own event, before relevance is decided.
#[derive(Debug, Clone)]
enum Event {
    Block {
        time: u64,
        reason: String,
        at: Option<Loc>,
        woken: Option<Transition>,
    },
    Label(u64, String, Option<Loc>),
    Gate(u64, String),
    Create(u64, usize),
    Exit(u64),
}

impl Event {
    fn time(&self) -> u64 {
        match self {
            Event::Block { time, .. } => *time,
            Event::Label(t, ..) | Event::Gate(t, _) | Event::Create(t, _) | Event::Exit(t) => *t,
        }
    }
}

/// A visible cell before lanes exist: what kind of step, its text, whether it never completed.
type RawCell = (StepKind, String, bool);
/// A cell's identity across a lane's members: lane, kind, text, and the how-manyth such cell
/// of its goroutine it is.
type CellKey = (usize, StepKind, String, usize);

/// A node of the happens-before graph: a row (or a hidden ordering point) in one or more
/// goroutines' program order.
#[derive(Debug, Clone)]
struct Node {
    time: u64,
    /// (goroutine index, cell); a hidden node has cells with `visible` false.
    cells: Vec<(usize, Option<RawCell>)>,
}

#[derive(Default)]
struct Graph {
    events: Vec<Vec<Event>>,
    nodes: Vec<Node>,
    /// Per goroutine, its nodes in program order.
    chains: Vec<Vec<usize>>,
    /// Extra happens-before edges (from, to).
    edges: Vec<(usize, usize)>,
    /// When the failing goroutine's invariant check failed (its `gorepro.violation` log): the
    /// goroutine goes on after a failed check, so the step belongs there, not at its end.
    check_failed_at: Option<u64>,
}

impl Graph {
    fn add(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn build(
        &mut self,
        world: &World,
        index: &BTreeMap<u64, usize>,
        stuck: &BTreeSet<&str>,
        timer_loops: &BTreeMap<&str, &StuckGroup>,
        failed: Option<&str>,
        failure: Option<&Failure>,
    ) {
        let count = world.goroutines.len();
        self.chains = vec![Vec::new(); count];
        // Which blocks a gate waited for: (gate goroutine, gate time) per awaited reason.
        let gates: Vec<(usize, u64, Gate)> = self
            .events
            .iter()
            .enumerate()
            .flat_map(|(g, events)| {
                events.iter().filter_map(move |e| match e {
                    Event::Gate(time, text) => Gate::parse(text).map(|gate| (g, *time, gate)),
                    _ => None,
                })
            })
            .collect();
        let awaited = |g: usize, time: u64, reason: &str, woken: Option<u64>| {
            gates.iter().any(|(by, at, gate)| {
                *by != g
                    && *at >= time
                    && woken.is_none_or(|w| w > *at)
                    && match gate {
                        Gate::Blocked(r) => r == reason,
                        Gate::Idle | Gate::Settled => true,
                        Gate::Mark(_) => false,
                    }
            })
        };
        // Block node ids by (goroutine, block time), to attach wakes and gate edges.
        let mut blocks: Vec<(usize, u64, usize, Option<Transition>)> = Vec::new();
        let mut creations: Vec<(usize, usize)> = Vec::new();
        let mut gate_nodes: Vec<(usize, u64, Gate, usize)> = Vec::new();
        let mut marks: Vec<(String, usize)> = Vec::new();
        let mut exits: Vec<(usize, u64, usize)> = Vec::new();
        let events = std::mem::take(&mut self.events);
        for (g, list) in events.iter().enumerate() {
            let name = world.goroutines[g].name.as_str();
            let last_block = list
                .iter()
                .rposition(|e| matches!(e, Event::Block { woken: None, .. }));
            for (i, event) in list.iter().enumerate() {
                match event {
                    Event::Block {
                        time,
                        reason,
                        at,
                        woken,
                    } => {
                        let final_stuck = Some(i) == last_block
                            && stuck.contains(name)
                            && !timer_loops.contains_key(name);
                        let forced = awaited(g, *time, reason, woken.as_ref().map(|w| w.time));
                        if !final_stuck && !forced {
                            continue;
                        }
                        let text = with_loc(short_reason(reason).to_string(), at.as_ref());
                        let node = self.add(Node {
                            time: *time,
                            cells: vec![(g, Some((StepKind::Block, text, final_stuck)))],
                        });
                        self.chains[g].push(node);
                        blocks.push((g, *time, node, woken.clone()));
                    }
                    Event::Label(time, message, at) => {
                        let node = self.add(Node {
                            time: *time,
                            cells: vec![(
                                g,
                                Some((
                                    StepKind::Label,
                                    with_loc(format!("{message:?}"), at.as_ref()),
                                    false,
                                )),
                            )],
                        });
                        self.chains[g].push(node);
                        marks.push((message.clone(), node));
                    }
                    Event::Gate(time, text) => {
                        let node = self.add(Node {
                            time: *time,
                            cells: vec![(g, None)],
                        });
                        self.chains[g].push(node);
                        if let Some(gate) = Gate::parse(text) {
                            gate_nodes.push((g, *time, gate, node));
                        }
                    }
                    Event::Create(time, child) => {
                        let node = self.add(Node {
                            time: *time,
                            cells: vec![(g, None)],
                        });
                        self.chains[g].push(node);
                        creations.push((node, *child));
                    }
                    Event::Exit(time) => {
                        let node = self.add(Node {
                            time: *time,
                            cells: vec![(g, Some((StepKind::Exit, "exit".into(), false)))],
                        });
                        self.chains[g].push(node);
                        exits.push((g, *time, node));
                    }
                }
            }
            if let Some(group) = timer_loops.get(name) {
                let text = match &group.at {
                    Some(at) => format!(
                        "timer loop {}",
                        at.rsplit('/').next().unwrap_or(at.as_str())
                    ),
                    None => "timer loop".into(),
                };
                let node = self.add(Node {
                    time: u64::MAX,
                    cells: vec![(g, Some((StepKind::TimerLoop, text, true)))],
                });
                self.chains[g].push(node);
            }
            if failed == Some(name)
                && let Some(failure) = failure
            {
                let text = with_failure_loc(failure);
                let node = self.add(Node {
                    time: self.check_failed_at.unwrap_or(u64::MAX),
                    cells: vec![(g, Some((StepKind::Failure, text, true)))],
                });
                insert_by_time(&mut self.chains[g], &self.nodes, node);
            }
        }
        // Wakes of shown blocks: one node in the waker's and the woken's program order. One
        // call that wakes several (a Broadcast, a close) is one node: the order in which it
        // readied them is the runtime's business.
        let mut wakes: Vec<(&Transition, usize, usize)> = blocks
            .iter()
            .filter_map(|(g, _, block, woken)| woken.as_ref().map(|w| (w, *g, *block)))
            .collect();
        wakes.sort_by_key(|(w, _, _)| w.time);
        let mut groups: Vec<(&Transition, Vec<(usize, usize)>)> = Vec::new();
        for (wake, g, block) in wakes {
            let key = |w: &Transition| {
                (
                    w.actor,
                    unblock_op(&w.stack),
                    world.user_code.user_loc_trace(&w.stack),
                )
            };
            let joins = groups.last().is_some_and(|(first, _)| {
                let waker = first.actor.and_then(|a| index.get(&a).copied());
                key(first) == key(wake)
                    && waker.is_some()
                    && !waker.is_some_and(|w| {
                        self.chains[w].iter().any(|&n| {
                            self.nodes[n].time > first.time && self.nodes[n].time < wake.time
                        })
                    })
            });
            match groups.last_mut() {
                Some((_, members)) if joins => members.push((g, block)),
                _ => groups.push((wake, vec![(g, block)])),
            }
        }
        for (wake, mut members) in groups {
            members.sort_unstable();
            let waker = wake.actor.and_then(|a| index.get(&a).copied());
            let woken_text = match waker {
                Some(w) => format!("woken by {}", world.goroutines[w].name),
                None => "woken by a timer".into(),
            };
            let mut cells: Vec<(usize, Option<RawCell>)> = Vec::new();
            if let Some(w) = waker {
                let op = unblock_op(&wake.stack).unwrap_or("wakes");
                let names: Vec<&str> = members
                    .iter()
                    .map(|(g, _)| world.goroutines[*g].name.as_str())
                    .collect();
                let text = format!(
                    "{} -> {}",
                    with_loc(
                        op.to_string(),
                        world.user_code.user_loc_trace(&wake.stack).as_ref()
                    ),
                    names.join(" ")
                );
                cells.push((w, Some((StepKind::Wake, text, false))));
            }
            for (g, _) in &members {
                cells.push((*g, Some((StepKind::Woken, woken_text.clone(), false))));
            }
            let node = self.add(Node {
                time: wake.time,
                cells,
            });
            for (_, block) in &members {
                self.edges.push((*block, node));
            }
            for (lane, _) in self.nodes[node].cells.clone() {
                insert_by_time(&mut self.chains[lane], &self.nodes, node);
            }
        }
        // A child's first step follows its creation.
        for (node, child) in creations {
            if let Some(&first) = self.chains[child].first() {
                self.edges.push((node, first));
            }
        }
        // A gate passes after what it waited for.
        for (g, time, gate, node) in &gate_nodes {
            match gate {
                Gate::Mark(name) => {
                    for (message, mark) in &marks {
                        if message == name {
                            self.edges.push((*mark, *node));
                        }
                    }
                }
                Gate::Blocked(_) | Gate::Idle | Gate::Settled => {
                    for (b, block_time, block, woken) in &blocks {
                        let ongoing = woken.as_ref().is_none_or(|w| w.time > *time);
                        let matches = match gate {
                            Gate::Blocked(reason) => self.nodes[*block].cells[0]
                                .1
                                .as_ref()
                                .is_some_and(|(_, text, _)| text.starts_with(short_reason(reason))),
                            _ => true,
                        };
                        if b != g && *block_time <= *time && ongoing && matches {
                            self.edges.push((*block, *node));
                        }
                    }
                    if matches!(gate, Gate::Settled) {
                        for (e, exit_time, exit) in &exits {
                            if e != g && *exit_time <= *time {
                                self.edges.push((*exit, *node));
                            }
                        }
                    }
                }
            }
        }
        self.events = events;
    }

    /// Groups identical goroutines into lanes and linearizes the nodes.
    fn order(
        &self,
        world: &World,
        goroutines: &[History],
        rel: &impl Fn(u64) -> u64,
    ) -> (Vec<Lane>, Vec<Step>) {
        let count = world.goroutines.len();
        // A goroutine's signature: its function, where it was created, and its visible cells
        // except the wake-ups it caused: which of identical workers happened to finish last
        // (and release a waiter) is up to the scheduler.
        let signature = |g: usize| -> (Option<String>, Option<Loc>, Vec<RawCell>) {
            (
                goroutines[g].function.clone(),
                goroutines[g].created_at.clone(),
                self.chains[g]
                    .iter()
                    .filter_map(|&n| {
                        self.nodes[n]
                            .cells
                            .iter()
                            .find(|(lane, _)| *lane == g)
                            .and_then(|(_, c)| c.clone())
                    })
                    .filter(|(kind, _, _)| *kind != StepKind::Wake)
                    .collect(),
            )
        };
        let signatures: Vec<_> = (0..count).map(signature).collect();
        // The root never shares a lane; the others join the first goroutine that reads the same.
        let mut lane_of: Vec<usize> = vec![0; count];
        let mut representatives: Vec<usize> = Vec::new();
        for g in 0..count {
            let shown = !signatures[g].2.is_empty();
            let same = (g > 0)
                .then(|| {
                    representatives
                        .iter()
                        .position(|&r| r > 0 && signatures[r] == signatures[g])
                })
                .flatten();
            match same {
                Some(lane) => lane_of[g] = lane,
                None if shown || g == 0 => {
                    lane_of[g] = representatives.len();
                    representatives.push(g);
                }
                None => lane_of[g] = usize::MAX,
            }
        }
        let lanes: Vec<Lane> = representatives
            .iter()
            .enumerate()
            .map(|(lane, &r)| {
                let members: Vec<usize> = (0..count).filter(|&g| lane_of[g] == lane).collect();
                Lane {
                    goroutines: members
                        .iter()
                        .map(|&g| goroutines[g].name.clone())
                        .collect(),
                    function: goroutines[r].function.clone(),
                    stuck: members.iter().any(|&g| goroutines[g].stuck),
                    failed: members.iter().any(|&g| goroutines[g].failed),
                }
            })
            .collect();

        // Kahn's algorithm over every goroutine's chain plus the extra edges; among the ready
        // nodes the one of the lowest goroutine comes first.
        let mut preds: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); self.nodes.len()];
        for chain in &self.chains {
            for pair in chain.windows(2) {
                if pair[0] != pair[1] {
                    preds[pair[1]].insert(pair[0]);
                }
            }
        }
        for &(from, to) in &self.edges {
            if from != to {
                preds[to].insert(from);
            }
        }
        // The ready nodes in a heap, keyed as the order wants (the node's index breaks ties):
        // a run may have 100,000 goroutines and twice as many nodes.
        let key = |n: usize| {
            let first = self.nodes[n].cells.iter().map(|(g, _)| *g).min();
            Reverse((first, self.nodes[n].time, n))
        };
        let mut waiting_for: Vec<usize> = preds.iter().map(BTreeSet::len).collect();
        let mut succs: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for (to, from) in preds.iter().enumerate() {
            for &p in from {
                succs[p].push(to);
            }
        }
        let mut ready: BinaryHeap<_> = (0..self.nodes.len())
            .filter(|&n| waiting_for[n] == 0)
            .map(key)
            .collect();
        let mut done = vec![false; self.nodes.len()];
        let mut order = Vec::new();
        while order.len() < self.nodes.len() {
            // A cycle means the trace contradicts itself: fall back to time order.
            let next = ready.pop().map(|Reverse((_, _, n))| n).unwrap_or_else(|| {
                (0..self.nodes.len())
                    .filter(|&n| !done[n])
                    .min_by_key(|&n| self.nodes[n].time)
                    .expect("an unfinished node")
            });
            done[next] = true;
            order.push(next);
            for &s in &succs[next] {
                waiting_for[s] -= 1;
                if waiting_for[s] == 0 && !done[s] {
                    ready.push(key(s));
                }
            }
        }

        // Every visible cell, with the goroutine it comes from and how many cells of the same
        // text that goroutine had before (a lane's members do the same k-th step).
        let mut rows: Vec<(u64, Vec<(Cell, CellKey)>)> = Vec::new();
        let mut seen: BTreeMap<(usize, StepKind, String), usize> = BTreeMap::new();
        for n in order {
            let node = &self.nodes[n];
            let mut cells = Vec::new();
            for (g, cell) in &node.cells {
                let Some((kind, text, stuck)) = cell else {
                    continue;
                };
                let lane = lane_of[*g];
                if lane == usize::MAX {
                    continue;
                }
                let text = name_lanes(text, *kind, &lanes);
                let occurrence = seen.entry((*g, *kind, text.clone())).or_default();
                let key = (lane, *kind, text.clone(), *occurrence);
                *occurrence += 1;
                cells.push((
                    Cell {
                        lane,
                        kind: *kind,
                        text,
                        stuck: *stuck,
                    },
                    key,
                ));
            }
            if !cells.is_empty() {
                rows.push((node.time, cells));
            }
        }
        // A lane reaches a step when its last member does: keep each step's last copy.
        let mut last: BTreeMap<&CellKey, (usize, usize)> = BTreeMap::new();
        for (r, (_, cells)) in rows.iter().enumerate() {
            for (c, (_, key)) in cells.iter().enumerate() {
                last.insert(key, (r, c));
            }
        }
        let mut steps: Vec<Step> = Vec::new();
        for (r, (time, cells)) in rows.iter().enumerate() {
            let mut kept: Vec<Cell> = Vec::new();
            for (c, (cell, key)) in cells.iter().enumerate() {
                if last[key] == (r, c) && !kept.contains(cell) {
                    kept.push(cell.clone());
                }
            }
            if kept.is_empty() {
                continue;
            }
            let ns = if *time == u64::MAX {
                steps.last().map_or(0, |s| s.ns)
            } else {
                rel(*time)
            };
            steps.push(Step { ns, cells: kept });
        }
        (lanes, steps)
    }
}

/// Wake texts name goroutines; once grouped, they name the lanes.
fn name_lanes(text: &str, kind: StepKind, lanes: &[Lane]) -> String {
    let lane_of = |name: &str| {
        lanes
            .iter()
            .find(|l| l.goroutines.iter().any(|g| g == name))
            .map_or(name.to_string(), |l| l.goroutines.join(" "))
    };
    match (
        kind,
        text.rsplit_once(" -> "),
        text.strip_prefix("woken by "),
    ) {
        (StepKind::Wake, Some((head, woken)), _) => {
            let mut names: Vec<String> = Vec::new();
            for name in woken.split(' ').map(lane_of) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            format!("{head} -> {}", names.join(" "))
        }
        (StepKind::Woken, _, Some(waker)) => format!("woken by {}", lane_of(waker)),
        _ => text.to_string(),
    }
}

fn with_failure_loc(failure: &Failure) -> String {
    let at = failure
        .at
        .as_deref()
        .map(|at| format!(" {}", at.rsplit('/').next().unwrap_or(at)))
        .unwrap_or_default();
    format!("{} ({}){at}", failure.kind, failure.id)
}

/// Puts a node into a chain at its time (after nodes of the same time).
fn insert_by_time(chain: &mut Vec<usize>, nodes: &[Node], node: usize) {
    let time = nodes[node].time;
    let at = chain
        .iter()
        .position(|&n| nodes[n].time > time)
        .unwrap_or(chain.len());
    chain.insert(at, node);
}

/// What a support gate waited for, from its trace label.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Gate {
    /// `AwaitBlocked("sync.Cond.Wait", 2)`: blocks with this wait reason.
    Blocked(String),
    /// `AwaitIdle()`: every other goroutine blocked.
    Idle,
    /// `AwaitSettled()`: every other goroutine blocked or exited.
    Settled,
    /// `AwaitMark("ready")`: that Mark.
    Mark(String),
}

impl Gate {
    fn parse(text: &str) -> Option<Gate> {
        let quoted = |rest: &str| -> Option<String> {
            let rest = rest.strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_string())
        };
        if let Some(rest) = text.strip_prefix("AwaitBlocked(") {
            return quoted(rest).map(Gate::Blocked);
        }
        match text {
            "AwaitIdle()" => return Some(Gate::Idle),
            "AwaitSettled()" => return Some(Gate::Settled),
            _ => {}
        }
        text.strip_prefix("AwaitMark(")
            .and_then(quoted)
            .map(Gate::Mark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_parse() {
        assert_eq!(
            Gate::parse(r#"AwaitBlocked("sync.Cond.Wait", 3)"#),
            Some(Gate::Blocked("sync.Cond.Wait".into()))
        );
        assert_eq!(Gate::parse("AwaitIdle()"), Some(Gate::Idle));
        assert_eq!(Gate::parse("AwaitSettled()"), Some(Gate::Settled));
        assert_eq!(
            Gate::parse(r#"AwaitMark("ready signalled")"#),
            Some(Gate::Mark("ready signalled".into()))
        );
        assert_eq!(Gate::parse("Exclusive"), None);
    }

    /// A timeline of `n` goroutines: G1 alone in a lane, the others sharing one.
    fn pool(n: usize) -> Timeline {
        let history = |i: usize| History {
            name: format!("G{i}"),
            function: None,
            created_by: None,
            created_at: None,
            created_ns: None,
            changes: Vec::new(),
            stuck: false,
            failed: false,
        };
        let lane = |goroutines: Vec<String>| Lane {
            goroutines,
            function: None,
            stuck: false,
            failed: false,
        };
        Timeline {
            goroutines: (1..=n).map(history).collect(),
            lanes: vec![
                lane(vec!["G1".into()]),
                lane((2..=n).map(|i| format!("G{i}")).collect()),
            ],
            steps: Vec::new(),
            span_ns: 0,
        }
    }

    #[test]
    fn a_big_timeline_keeps_the_histories_of_its_lanes_heads_as_json() {
        let names = |timeline: &Timeline| {
            let json = serde_json::to_value(timeline).unwrap();
            let names: Vec<String> = (json["goroutines"].as_array().unwrap().iter())
                .map(|h| h["name"].as_str().unwrap().to_string())
                .collect();
            (
                names.len(),
                names[..2].to_vec(),
                json["histories_left_out"].clone(),
            )
        };
        assert_eq!(
            names(&pool(JSON_HISTORIES)),
            (JSON_HISTORIES, vec!["G1".into(), "G2".into()], 0.into())
        );
        assert_eq!(
            names(&pool(900)),
            (2, vec!["G1".into(), "G2".into()], 898.into())
        );
    }
}
