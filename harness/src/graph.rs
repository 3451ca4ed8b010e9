//! The wait-for graph: the stage between evidence and classification.
//!
//! Nodes are goroutines and primitive instances (a mutex, an RWMutex, a channel, a WaitGroup, a
//! Cond, a Once, each by identity); edges say which goroutine waits on which instance (and for
//! what: lock, read lock, send, receive, wait) and which goroutine holds which lock (read or
//! write, since which user line, whether the holder is still alive). It is built from the
//! instance evidence the instrumented runtime writes at the verdict (`instances.json`) and the
//! final goroutine dump, and knows nothing of bug classes: [`Graph::shape`] names the structure
//! that keeps the stuck goroutines stuck, and the classifier turns that into a class whatever
//! the outcome (a whole-program deadlock or goroutines left behind after a test returned).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::evidence::Evidence;
use crate::evidence::instances::{
    Hold as RawHold, Kind as RawKind, Mode as RawMode, ObjectState, Op as RawOp,
};
use crate::evidence::world::{Loc, World};

/// What kind of primitive an instance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Mutex,
    RwMutex,
    Channel,
    WaitGroup,
    Cond,
    Once,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mutex => "mutex",
            Kind::RwMutex => "rwmutex",
            Kind::Channel => "chan",
            Kind::WaitGroup => "waitgroup",
            Kind::Cond => "cond",
            Kind::Once => "once",
        }
    }

    pub fn is_lock(self) -> bool {
        matches!(self, Kind::Mutex | Kind::RwMutex | Kind::Once)
    }
}

/// What a goroutine waits to do with an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    Lock,
    RLock,
    Send,
    Receive,
    /// `WaitGroup.Wait` or `Cond.Wait`.
    Wait,
}

impl Op {
    /// `lock`, `read-lock`, `send`, `receive`, `wait`.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lock => "lock",
            Op::RLock => "read-lock",
            Op::Send => "send",
            Op::Receive => "receive",
            Op::Wait => "wait",
        }
    }

    /// What a goroutine waiting this way does: `waits to lock`, `waits to send on`, `waits on`.
    pub fn waiting(self) -> &'static str {
        match self {
            Op::Lock => "waits to lock",
            Op::RLock => "waits to read-lock",
            Op::Send => "waits to send on",
            Op::Receive => "waits to receive from",
            Op::Wait => "waits on",
        }
    }
}

/// Read or write hold of a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Read,
    Write,
}

/// A channel's state at the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChannelState {
    pub capacity: u64,
    pub length: u64,
    pub closed: bool,
    /// A timer's or ticker's channel: the runtime itself sends on it.
    pub timer: bool,
    /// For a timer's channel: whether the timer will still fire. `None` when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timer_pending: Option<bool>,
}

/// One primitive instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub kind: Kind,
    /// Its address in the run: identity only, never shown (it changes from run to run).
    #[serde(skip)]
    pub address: u64,
    pub channel: Option<ChannelState>,
}

/// A goroutine waits on an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wait {
    pub goroutine: u64,
    /// Index into [`Graph::instances`].
    pub instance: usize,
    pub op: Op,
    /// One case of a `select`: the goroutine waits on several instances at once.
    pub select: bool,
}

/// A goroutine holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hold {
    /// Index into [`Graph::instances`].
    pub instance: usize,
    pub goroutine: u64,
    pub mode: Mode,
    /// The user line that acquired it, and the user function there.
    pub since: Option<Loc>,
    pub function: Option<String>,
    /// The holder still exists.
    pub alive: bool,
    /// The holder is still inside the critical section it opened: the invocation of the
    /// function that acquired the lock is on its current stack (that function, called from
    /// the same lines as at the acquire), and it is not back at the very Lock call that took
    /// the lock. `false` when it returned (or exited) holding the lock, even if it called the
    /// same function again since, and when it went around a loop to the same Lock without
    /// unlocking: either way it left the critical section on a path that skipped the Unlock.
    pub in_acquirer: bool,
}

/// Goroutines and instances, and who waits on and holds what.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    pub instances: Vec<Instance>,
    pub waits: Vec<Wait>,
    pub holds: Vec<Hold>,
    /// Lock acquisitions the runtime could not record (its table was full): holders may be
    /// missing.
    pub overflow: u64,
    /// Which instances each parked scenario goroutine still reaches (so could still operate
    /// on: receive from, send on, signal, ...). A goroutine missing here was not scanned.
    pub reach: BTreeMap<u64, Reach>,
}

/// What a goroutine still reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// Indices into [`Graph::instances`].
    Known(BTreeSet<usize>),
    /// Its scan gave up: it may reach anything.
    Unknown,
}

/// A goroutine's rank and how it touches an instance (`0 wait Lock`, `1 hold Write`).
type Touch = ((usize, String), String);

/// The structure that keeps goroutines stuck, most specific first. Goroutine ids and instance
/// indices refer to the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A goroutine waits on a lock it holds itself: a double Lock, Lock then RLock, RLock then
    /// Lock (an upgrade), or a `Once.Do` whose function calls the same `Do`.
    SelfWait {
        goroutine: u64,
        instance: usize,
        held: Mode,
        wants: Op,
    },
    /// A reader waits behind a writer that waits for that reader's own earlier read lock.
    RecursiveRead {
        reader: u64,
        writer: u64,
        instance: usize,
    },
    /// Each goroutine waits on a lock the next one holds, the last on one the first holds.
    LockCycle { steps: Vec<(u64, usize)> },
    /// A goroutine holding a lock waits on a channel, Cond or WaitGroup, while other goroutines
    /// wait for the lock it holds.
    HeldAcross {
        holder: u64,
        lock: usize,
        blocked_on: usize,
        op: Op,
        waiters: Vec<u64>,
    },
    /// Goroutines wait on a lock whose holder returned (or exited) without unlocking it.
    Abandoned {
        instance: usize,
        holder: u64,
        holder_alive: bool,
        waiters: Vec<u64>,
    },
    /// A goroutine receives from a timer's empty channel, and the timer is no longer pending:
    /// it fired and its value was taken, or it was stopped. Nothing will ever send.
    StaleTimer { goroutine: u64, instance: usize },
    /// Each goroutine waits (on a channel or a Cond) for an operation that only the next one
    /// still reaches, the last for one only the first reaches: `(goroutine, instance, op)`.
    WaitCycle { steps: Vec<(u64, usize, Op)> },
}

/// The graph of a run, from its instance evidence (`instances.json`) and the final dump. Only
/// what concerns the scenario's goroutines is kept: their waits, the holders of what they wait
/// on, and the locks they hold that they took in user code.
pub fn build(evidence: &Evidence, world: &World) -> Graph {
    let Some(found) = &evidence.instances else {
        return Graph::default();
    };
    let user_code = &world.user_code;
    let mut graph = Graph {
        overflow: found.registry_overflow,
        ..Graph::default()
    };
    let mut index: BTreeMap<u64, usize> = BTreeMap::new();
    let mut instance = |graph: &mut Graph, address: u64, kind: Kind| -> usize {
        *index.entry(address).or_insert_with(|| {
            let channel = found.object(address).and_then(|o| match o.state {
                ObjectState::Chan {
                    cap,
                    len,
                    closed,
                    timer,
                    timer_pending,
                    ..
                } => Some(ChannelState {
                    capacity: cap,
                    length: len,
                    closed,
                    timer,
                    timer_pending,
                }),
                _ => None,
            });
            graph.instances.push(Instance {
                kind,
                address,
                channel,
            });
            graph.instances.len() - 1
        })
    };
    // A Once is a mutex inside it whose holder is in `Once.doSlow`; a writer queued behind
    // another writer waits on an RWMutex's inner mutex, at the RWMutex's address.
    let kind_at = |address: u64, reported: RawKind| -> Option<Kind> {
        let holders: Vec<&RawHold> = found.holders_of(address).collect();
        if holders.iter().any(|h| {
            h.stack
                .iter()
                .any(|f| f.function.contains("(*Once).doSlow"))
        }) {
            return Some(Kind::Once);
        }
        if holders.iter().any(|h| h.kind == RawKind::RwMutex) {
            return Some(Kind::RwMutex);
        }
        Some(match reported {
            RawKind::Chan => Kind::Channel,
            RawKind::Mutex => Kind::Mutex,
            RawKind::RwMutex => Kind::RwMutex,
            RawKind::WaitGroup => Kind::WaitGroup,
            RawKind::Cond => Kind::Cond,
            RawKind::Sema | RawKind::Unknown => return None,
        })
    };
    let scenario = |goid: u64| world.get(goid).is_some();
    let mut waited: BTreeSet<u64> = BTreeSet::new();
    let mut selects: BTreeMap<u64, usize> = BTreeMap::new();
    for wait in &found.waits {
        if wait.object.is_some() && scenario(wait.goid) {
            *selects.entry(wait.goid).or_default() += 1;
        }
    }
    for wait in found.waits.iter().filter(|w| scenario(w.goid)) {
        let (Some(address), Some(raw_kind), Some(raw_op)) = (wait.object, wait.kind, wait.op)
        else {
            continue;
        };
        let Some(kind) = kind_at(address, raw_kind) else {
            continue;
        };
        let op = match raw_op {
            RawOp::Send => Op::Send,
            RawOp::Recv => Op::Receive,
            RawOp::Lock => Op::Lock,
            RawOp::RLock => Op::RLock,
            RawOp::Wait => Op::Wait,
            RawOp::Acquire | RawOp::Unknown => continue,
        };
        let i = instance(&mut graph, address, kind);
        waited.insert(address);
        graph.waits.push(Wait {
            goroutine: wait.goid,
            instance: i,
            op,
            select: selects.get(&wait.goid).copied().unwrap_or(0) > 1,
        });
    }
    let dump = crate::evidence::world::final_dump(evidence);
    for hold in &found.holds {
        let acquired_at = hold
            .stack
            .iter()
            .position(|f| user_code.user_loc(&f.function, &f.file, f.line).is_some());
        let acquired = acquired_at.map(|i| &hold.stack[i]);
        let relevant = waited.contains(&hold.object) || (scenario(hold.goid) && acquired.is_some());
        if !relevant || hold.goid == 0 {
            continue;
        }
        let Some(kind) = kind_at(hold.object, hold.kind) else {
            continue;
        };
        let mode = match hold.mode {
            RawMode::Read => Mode::Read,
            RawMode::Write | RawMode::Unknown => Mode::Write,
        };
        let in_acquirer = hold.alive
            && dump
                .and_then(|d| d.goroutines.iter().find(|g| g.id == hold.goid))
                .is_some_and(|g| {
                    let waits_on_it = found
                        .waits_of(hold.goid)
                        .any(|w| w.object == Some(hold.object));
                    acquired_at
                        .is_some_and(|k| inside_acquirer(&hold.stack[k..], &g.frames, waits_on_it))
                });
        let i = instance(&mut graph, hold.object, kind);
        graph.holds.push(Hold {
            instance: i,
            goroutine: hold.goid,
            mode,
            since: acquired.and_then(|f| user_code.user_loc(&f.function, &f.file, f.line)),
            function: hold
                .stack
                .iter()
                .find(|f| f.function.contains("(*Once).doSlow"))
                .or(acquired)
                .map(|f| f.function.clone()),
            alive: hold.alive,
            in_acquirer,
        });
    }
    for reference in found.references.iter().filter(|r| scenario(r.goid)) {
        let reach = if reference.incomplete {
            Reach::Unknown
        } else {
            Reach::Known(
                reference
                    .objects
                    .iter()
                    .filter_map(|a| index.get(a).copied())
                    .collect(),
            )
        };
        graph.reach.insert(reference.goid, reach);
    }
    graph
}

/// A compiler-generated wrapper, which tracebacks (and so the dump) do not show.
fn is_wrapper(frame: &crate::evidence::instances::Frame) -> bool {
    frame.file == "<autogenerated>"
        || frame.function.ends_with("-fm")
        || frame.function.contains(".gowrap")
        || frame.function.contains(".deferwrap")
}

/// Frames of the lock implementation, above the user frame that called Lock.
fn is_lock_machinery(function: &str) -> bool {
    function.starts_with("runtime.")
        || function.starts_with("sync.")
        || function.starts_with("internal/")
}

/// Whether a holder whose stack is now `current` is still inside the invocation that acquired
/// the lock: `acquire_stack` starts at the acquiring function's frame, and that function is on
/// `current` with the same callers at the same lines as at the acquire (as far as the acquire
/// stack goes, and as far as the dump shows it), so a later call of the same function from
/// elsewhere does not count. A holder
/// that waits on the same lock (`waits_on_it`) at the very line of that invocation's Lock came
/// around a loop without unlocking: it is outside too.
fn inside_acquirer(
    acquire_stack: &[crate::evidence::instances::Frame],
    current: &[crate::evidence::dump::Frame],
    waits_on_it: bool,
) -> bool {
    let Some((acquired, callers)) = acquire_stack.split_first() else {
        return false;
    };
    // A dump leaves out the compiler's wrappers (a method value's `-fm`, the function a `go`
    // statement starts, `...gowrap1`), which the acquire stack has, and ends at the
    // goroutine's entry.
    let callers: Vec<_> = callers.iter().filter(|f| !is_wrapper(f)).collect();
    let invocation = (0..current.len()).find(|&pos| {
        current[pos].function == acquired.function
            && callers.iter().enumerate().all(|(j, c)| {
                current
                    .get(pos + 1 + j)
                    .is_none_or(|f| f.function == c.function && f.line == c.line)
            })
    });
    let Some(pos) = invocation else {
        return false;
    };
    let at_that_lock = waits_on_it
        && current[pos].line == acquired.line
        && current[..pos]
            .iter()
            .all(|f| is_lock_machinery(&f.function));
    !at_that_lock
}

impl Graph {
    pub fn is_empty(&self) -> bool {
        self.waits.is_empty() && self.holds.is_empty()
    }

    pub fn waits_of(&self, goroutine: u64) -> impl Iterator<Item = &Wait> {
        self.waits.iter().filter(move |w| w.goroutine == goroutine)
    }

    pub fn holders_of(&self, instance: usize) -> impl Iterator<Item = &Hold> {
        self.holds.iter().filter(move |h| h.instance == instance)
    }

    /// The structure among the `stuck` goroutines, if the graph shows one. Goroutines outside
    /// `stuck` (a bystander, a test goroutine waiting for the victims) only count as holders.
    pub fn shape(&self, stuck: &BTreeSet<u64>) -> Option<Shape> {
        let graph = Lookup::new(self, stuck);
        graph
            .self_wait(stuck)
            .or_else(|| graph.recursive_read(stuck))
            .or_else(|| graph.lock_cycle(stuck))
            .or_else(|| graph.held_across(stuck))
            .or_else(|| graph.abandoned(stuck))
            .or_else(|| graph.stale_timer(stuck))
            .or_else(|| graph.wait_cycle(stuck))
    }

    /// Stable instance names: numbered per kind in an order that depends only on the graph's
    /// structure, never on addresses: by who touches the instance (the goroutines waiting on or
    /// holding it, by `rank`, their stable names' order, and how), then by kind and channel
    /// state. `mutex #1`, `chan #2`.
    pub fn labels(&self, rank: impl Fn(u64) -> (usize, String)) -> Vec<String> {
        let mut touches: BTreeMap<usize, Vec<Touch>> = BTreeMap::new();
        for w in &self.waits {
            touches
                .entry(w.instance)
                .or_default()
                .push((rank(w.goroutine), format!("0 wait {:?}", w.op)));
        }
        for h in &self.holds {
            touches
                .entry(h.instance)
                .or_default()
                .push((rank(h.goroutine), format!("1 hold {:?}", h.mode)));
        }
        for list in touches.values_mut() {
            list.sort();
        }
        let key = |i: usize| {
            let instance = &self.instances[i];
            let channel = instance
                .channel
                .map(|c| (c.capacity, c.length, c.closed, c.timer));
            (touches.get(&i).cloned(), instance.kind, channel)
        };
        let mut order: Vec<usize> = (0..self.instances.len()).collect();
        order.sort_by_key(|&i| key(i));
        let mut labels = vec![String::new(); self.instances.len()];
        let mut counters: BTreeMap<Kind, usize> = BTreeMap::new();
        for i in order {
            let kind = self.instances[i].kind;
            let n = counters.entry(kind).or_default();
            *n += 1;
            labels[i] = format!("{} #{n}", kind.as_str());
        }
        labels
    }
}

/// The graph with what the shape rules look up indexed: each goroutine's waits, each
/// instance's waits and holds, and the stuck goroutines that still reach it. Built once per
/// [`Graph::shape`]: the rules look things up for every stuck goroutine, and a pool that leaves
/// a thousand of them must not make that quadratic (it took minutes on ants' suite).
struct Lookup<'g> {
    graph: &'g Graph,
    waits: HashMap<u64, Vec<&'g Wait>>,
    waiters: HashMap<usize, Vec<&'g Wait>>,
    holders: HashMap<usize, Vec<&'g Hold>>,
    /// Stuck goroutines whose reach is known and contains the instance, in id order.
    reachers: HashMap<usize, Vec<u64>>,
}

impl std::ops::Deref for Lookup<'_> {
    type Target = Graph;

    fn deref(&self) -> &Graph {
        self.graph
    }
}

impl<'g> Lookup<'g> {
    fn new(graph: &'g Graph, stuck: &BTreeSet<u64>) -> Lookup<'g> {
        let mut lookup = Lookup {
            graph,
            waits: HashMap::new(),
            waiters: HashMap::new(),
            holders: HashMap::new(),
            reachers: HashMap::new(),
        };
        for w in &graph.waits {
            lookup.waits.entry(w.goroutine).or_default().push(w);
            lookup.waiters.entry(w.instance).or_default().push(w);
        }
        for h in &graph.holds {
            lookup.holders.entry(h.instance).or_default().push(h);
        }
        for (g, reach) in &graph.reach {
            if let (true, Reach::Known(instances)) = (stuck.contains(g), reach) {
                for &i in instances {
                    lookup.reachers.entry(i).or_default().push(*g);
                }
            }
        }
        lookup
    }

    fn waits_of(&self, goroutine: u64) -> impl Iterator<Item = &'g Wait> + '_ {
        self.waits.get(&goroutine).into_iter().flatten().copied()
    }

    fn waiters_on(&self, instance: usize) -> impl Iterator<Item = &'g Wait> + '_ {
        self.waiters.get(&instance).into_iter().flatten().copied()
    }

    fn holders_of(&self, instance: usize) -> impl Iterator<Item = &'g Hold> + '_ {
        self.holders.get(&instance).into_iter().flatten().copied()
    }

    /// The lock a goroutine waits for, when that is all it waits on.
    fn lock_wait(&self, goroutine: u64) -> Option<&Wait> {
        let mut waits = self.waits_of(goroutine);
        let wait = waits.next()?;
        (waits.next().is_none() && matches!(wait.op, Op::Lock | Op::RLock)).then_some(wait)
    }

    /// The only thing a goroutine waits on (no select).
    fn sole_wait(&self, goroutine: u64) -> Option<&Wait> {
        let mut waits = self.waits_of(goroutine);
        let wait = waits.next()?;
        waits.next().is_none().then_some(wait)
    }

    fn stale_timer(&self, stuck: &BTreeSet<u64>) -> Option<Shape> {
        stuck.iter().find_map(|&g| {
            let wait = self.sole_wait(g).filter(|w| w.op == Op::Receive)?;
            let state = self.instances[wait.instance].channel?;
            (state.timer
                && state.timer_pending == Some(false)
                && state.length == 0
                && !state.closed)
                .then_some(Shape::StaleTimer {
                    goroutine: g,
                    instance: wait.instance,
                })
        })
    }

    /// The stuck goroutines that could still complete `wait`: they reach the instance and do
    /// not wait on it themselves (a second sender cannot take a send's value, a second Cond
    /// waiter cannot signal). Goroutines whose reach is unknown are left out: the graph claims
    /// no edge it cannot see.
    fn completers<'a>(&'a self, wait: &'a Wait) -> impl Iterator<Item = u64> + 'a {
        let reachers = self.reachers.get(&wait.instance).into_iter().flatten();
        reachers.copied().filter(move |&h| {
            h != wait.goroutine && !self.waits_of(h).any(|w| w.instance == wait.instance)
        })
    }

    /// A cycle of channel and Cond waits over "only a goroutine that still reaches it could
    /// complete it": the goroutines of the cycle wait for each other. WaitGroup and lock waits
    /// are left to the other shapes. The cycle through the smallest goroutine id, shortest
    /// first, so the same cycle is always told the same way.
    fn wait_cycle(&self, stuck: &BTreeSet<u64>) -> Option<Shape> {
        // Bounds that keep a pile of goroutines from making the search explode.
        const LONGEST: usize = 6;
        const PATHS: usize = 4096;
        let step = |g: u64| -> Option<&Wait> {
            let wait = self.sole_wait(g)?;
            let kind = self.instances[wait.instance].kind;
            let cyclic = match kind {
                Kind::Channel => matches!(wait.op, Op::Send | Op::Receive),
                Kind::Cond => wait.op == Op::Wait,
                _ => false,
            };
            cyclic.then_some(wait)
        };
        for &start in stuck {
            // Breadth first from `start` through larger ids only: each cycle is found once,
            // from its smallest goroutine, and the shortest one first.
            let Some(first) = step(start) else {
                continue;
            };
            let mut paths = vec![vec![(start, first.instance, first.op)]];
            for _ in 0..LONGEST {
                let mut longer = Vec::new();
                for path in &paths {
                    let Some(wait) = path.last().and_then(|&(g, _, _)| step(g)) else {
                        continue;
                    };
                    for h in self.completers(wait) {
                        if h == start && path.len() >= 2 {
                            // Receives alone make no cycle: a goroutine that still reaches a
                            // channel may have sent all it ever will (a server back in its
                            // receive loop), and reachability cannot tell it from one that
                            // would send next.
                            if path.iter().any(|&(_, _, op)| op != Op::Receive) {
                                return Some(Shape::WaitCycle {
                                    steps: path.clone(),
                                });
                            }
                            continue;
                        }
                        if h <= start || path.iter().any(|(p, _, _)| *p == h) {
                            continue;
                        }
                        if let Some(next) = step(h).filter(|_| longer.len() < PATHS) {
                            let mut path = path.clone();
                            path.push((h, next.instance, next.op));
                            longer.push(path);
                        }
                    }
                }
                paths = longer;
            }
        }
        None
    }

    fn self_wait(&self, stuck: &BTreeSet<u64>) -> Option<Shape> {
        stuck.iter().find_map(|&g| {
            let wait = self.lock_wait(g)?;
            // A hold left behind by a return or a loop is a skipped unlock (`Abandoned`).
            let hold = self
                .holders_of(wait.instance)
                .find(|h| h.goroutine == g && h.in_acquirer)?;
            // Two read locks only block each other behind a writer: that is `RecursiveRead`.
            if hold.mode == Mode::Read && wait.op == Op::RLock {
                return None;
            }
            Some(Shape::SelfWait {
                goroutine: g,
                instance: wait.instance,
                held: hold.mode,
                wants: wait.op,
            })
        })
    }

    fn recursive_read(&self, stuck: &BTreeSet<u64>) -> Option<Shape> {
        stuck.iter().find_map(|&reader| {
            let wait = self.lock_wait(reader).filter(|w| w.op == Op::RLock)?;
            self.holders_of(wait.instance)
                .find(|h| h.goroutine == reader && h.mode == Mode::Read)?;
            let writer = self
                .waiters_on(wait.instance)
                .find(|w| w.op == Op::Lock && w.goroutine != reader)?
                .goroutine;
            Some(Shape::RecursiveRead {
                reader,
                writer,
                instance: wait.instance,
            })
        })
    }

    /// Follows "waits on a lock held by" from each stuck goroutine; a walk that comes back to
    /// where it started is a cycle (reported from its smallest goroutine id, so the same
    /// cycle is always told the same way).
    fn lock_cycle(&self, stuck: &BTreeSet<u64>) -> Option<Shape> {
        let next = |g: u64| -> Option<(usize, u64)> {
            let wait = self.lock_wait(g)?;
            let holder = self
                .holders_of(wait.instance)
                .find(|h| h.goroutine != g && h.alive)?;
            Some((wait.instance, holder.goroutine))
        };
        let mut cycles: Vec<Vec<(u64, usize)>> = Vec::new();
        for &start in stuck {
            let mut steps = Vec::new();
            let mut seen = BTreeSet::new();
            let mut g = start;
            while seen.insert(g) {
                let Some((instance, holder)) = next(g) else {
                    break;
                };
                steps.push((g, instance));
                if holder == start && steps.len() >= 2 {
                    cycles.push(steps);
                    break;
                }
                g = holder;
            }
        }
        cycles
            .into_iter()
            .min_by_key(|steps| steps.iter().map(|(g, _)| *g).min())
            .map(|steps| {
                let first = steps
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, (g, _))| *g)
                    .map_or(0, |(i, _)| i);
                let mut steps = steps;
                steps.rotate_left(first);
                Shape::LockCycle { steps }
            })
    }

    fn held_across(&self, stuck: &BTreeSet<u64>) -> Option<Shape> {
        // A holder blocked on something that is not a lock, holding a lock others wait for.
        self.holds
            .iter()
            .filter(|h| h.alive && h.in_acquirer && stuck.contains(&h.goroutine))
            .find_map(|hold| {
                let blocked = self.blocked_beyond_locks(hold.goroutine)?;
                let waiters: Vec<u64> = self
                    .waiters_on(hold.instance)
                    .filter(|w| w.goroutine != hold.goroutine)
                    .map(|w| w.goroutine)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                (!waiters.is_empty()).then_some(Shape::HeldAcross {
                    holder: hold.goroutine,
                    lock: hold.instance,
                    blocked_on: blocked.instance,
                    op: blocked.op,
                    waiters,
                })
            })
    }

    /// What a goroutine waits on that is not a lock, when only another goroutine can end the
    /// wait: one channel operation, a `select` whose cases are all the same operation (its
    /// first case stands for it), a Cond or a WaitGroup. A select that mixes sends and
    /// receives has no single class (it is left to the other rules), and a case on a timer's
    /// channel ends the wait without anyone's help.
    fn blocked_beyond_locks(&self, goroutine: u64) -> Option<&Wait> {
        let mut waits = self
            .waits_of(goroutine)
            .filter(|w| !matches!(w.op, Op::Lock | Op::RLock));
        let first = waits.next()?;
        let timer = |w: &Wait| self.instances[w.instance].channel.is_some_and(|c| c.timer);
        let single = !timer(first) && waits.all(|w| w.op == first.op && !timer(w));
        single.then_some(first)
    }

    /// The holder itself may be among the waiters: it left the critical section without
    /// unlocking, and its next Lock of the same mutex waits for itself.
    fn abandoned(&self, stuck: &BTreeSet<u64>) -> Option<Shape> {
        self.holds
            .iter()
            .filter(|h| !h.alive || !h.in_acquirer)
            .find_map(|hold| {
                let waiters: Vec<u64> = self
                    .waiters_on(hold.instance)
                    .filter(|w| stuck.contains(&w.goroutine))
                    .map(|w| w.goroutine)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                (!waiters.is_empty()).then_some(Shape::Abandoned {
                    instance: hold.instance,
                    holder: hold.goroutine,
                    holder_alive: hold.alive,
                    waiters,
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(kind: Kind, address: u64) -> Instance {
        Instance {
            kind,
            address,
            channel: None,
        }
    }

    fn wait(goroutine: u64, instance: usize, op: Op) -> Wait {
        Wait {
            goroutine,
            instance,
            op,
            select: false,
        }
    }

    fn hold(instance: usize, goroutine: u64, mode: Mode) -> Hold {
        Hold {
            instance,
            goroutine,
            mode,
            since: None,
            function: None,
            alive: true,
            in_acquirer: true,
        }
    }

    fn stuck(ids: &[u64]) -> BTreeSet<u64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn a_goroutine_waiting_for_its_own_lock() {
        let graph = Graph {
            instances: vec![lock(Kind::RwMutex, 0x10)],
            waits: vec![wait(7, 0, Op::RLock)],
            holds: vec![hold(0, 7, Mode::Write)],
            overflow: 0,
            reach: BTreeMap::new(),
        };
        assert_eq!(
            graph.shape(&stuck(&[7])),
            Some(Shape::SelfWait {
                goroutine: 7,
                instance: 0,
                held: Mode::Write,
                wants: Op::RLock
            })
        );
    }

    #[test]
    fn two_waiters_on_one_lock_are_no_cycle() {
        // The holder returned without unlocking; two goroutines queue on the same mutex.
        let mut returned = hold(0, 3, Mode::Write);
        returned.in_acquirer = false;
        let graph = Graph {
            instances: vec![lock(Kind::Mutex, 0x10)],
            waits: vec![wait(5, 0, Op::Lock), wait(6, 0, Op::Lock)],
            holds: vec![returned],
            overflow: 0,
            reach: BTreeMap::new(),
        };
        assert_eq!(
            graph.shape(&stuck(&[5, 6])),
            Some(Shape::Abandoned {
                instance: 0,
                holder: 3,
                holder_alive: true,
                waiters: vec![5, 6]
            })
        );
    }

    #[test]
    fn a_goroutine_waiting_on_a_lock_it_left_behind_is_no_double_lock() {
        // It took the lock in a call that returned (or a loop round that ended) without
        // unlocking, and now waits for it: the skipped unlock, waited on by its own author.
        let mut left = hold(0, 7, Mode::Write);
        left.in_acquirer = false;
        let graph = Graph {
            instances: vec![lock(Kind::Mutex, 0x10)],
            waits: vec![wait(7, 0, Op::Lock)],
            holds: vec![left],
            overflow: 0,
            reach: BTreeMap::new(),
        };
        assert_eq!(
            graph.shape(&stuck(&[7])),
            Some(Shape::Abandoned {
                instance: 0,
                holder: 7,
                holder_alive: true,
                waiters: vec![7]
            })
        );
    }

    fn acquired(function: &str, line: u32) -> crate::evidence::instances::Frame {
        crate::evidence::instances::Frame {
            function: function.into(),
            file: "m/m.go".into(),
            line,
        }
    }

    fn now(function: &str, line: u32) -> crate::evidence::dump::Frame {
        crate::evidence::dump::Frame {
            function: function.into(),
            file: "m/m.go".into(),
            line,
            inlined: false,
        }
    }

    /// Lock machinery above the user frame that called Lock, as a dump shows it.
    fn locking(user: &[crate::evidence::dump::Frame]) -> Vec<crate::evidence::dump::Frame> {
        let mut frames = vec![
            now("runtime.gopark", 1),
            now("internal/sync.(*Mutex).lockSlow", 2),
            now("sync.(*Mutex).Lock", 3),
        ];
        frames.extend_from_slice(user);
        frames
    }

    #[test]
    fn the_acquiring_invocation_is_told_by_its_callers_lines() {
        // Taken in m.put called from m.run line 40.
        let taken = [
            acquired("m.put", 10),
            acquired("m.run", 40),
            acquired("m.T", 5),
        ];
        // Nested: put, still at line 12, called a helper that locks again: inside.
        let nested = locking(&[
            now("m.helper", 30),
            now("m.put", 12),
            now("m.run", 40),
            now("m.T", 5),
        ]);
        assert!(inside_acquirer(&taken, &nested, true));
        // put returned; run called it again from line 41, which waits at the same Lock: outside.
        let again = locking(&[now("m.put", 10), now("m.run", 41), now("m.T", 5)]);
        assert!(!inside_acquirer(&taken, &again, true));
        // The same invocation back at the very Lock (a loop's next round): outside.
        let looped = locking(&[now("m.put", 10), now("m.run", 40), now("m.T", 5)]);
        assert!(!inside_acquirer(&taken, &looped, true));
        // ... unless it waits on something else there.
        assert!(inside_acquirer(&taken, &looped, false));
        // Recursion: the inner put waits at line 10, the acquiring (outer) one is at its
        // recursive call, line 15: still inside, a double lock.
        let recursive = locking(&[
            now("m.put", 10),
            now("m.put", 15),
            now("m.run", 40),
            now("m.T", 5),
        ]);
        assert!(inside_acquirer(&taken, &recursive, true));
        // The dump shows no compiler wrappers: a method value's, a `go` statement's.
        let mut wrapped = taken.to_vec();
        wrapped.insert(
            1,
            crate::evidence::instances::Frame {
                function: "m.(*S).put-fm".into(),
                file: "<autogenerated>".into(),
                line: 1,
            },
        );
        wrapped.push(acquired("testing.(*T).Run.gowrap1", 2101));
        assert!(inside_acquirer(&wrapped, &nested, true));
        assert!(!inside_acquirer(&wrapped, &again, true));
        // Not on the stack at all.
        assert!(!inside_acquirer(&taken, &locking(&[now("m.T", 6)]), true));
        assert!(!inside_acquirer(&[], &nested, true));
    }

    #[test]
    fn ab_ba_is_a_cycle_told_from_its_smallest_goroutine() {
        let graph = Graph {
            instances: vec![lock(Kind::Mutex, 0x10), lock(Kind::Mutex, 0x20)],
            waits: vec![
                wait(9, 0, Op::Lock),
                wait(4, 1, Op::Lock),
                wait(12, 0, Op::Lock),
            ],
            holds: vec![hold(0, 4, Mode::Write), hold(1, 9, Mode::Write)],
            overflow: 0,
            reach: BTreeMap::new(),
        };
        assert_eq!(
            graph.shape(&stuck(&[4, 9, 12])),
            Some(Shape::LockCycle {
                steps: vec![(4, 1), (9, 0)]
            })
        );
    }

    #[test]
    fn reader_behind_a_writer_that_waits_for_it() {
        let graph = Graph {
            instances: vec![lock(Kind::RwMutex, 0x10)],
            waits: vec![wait(5, 0, Op::RLock), wait(6, 0, Op::Lock)],
            holds: vec![hold(0, 5, Mode::Read)],
            overflow: 0,
            reach: BTreeMap::new(),
        };
        assert_eq!(
            graph.shape(&stuck(&[5, 6])),
            Some(Shape::RecursiveRead {
                reader: 5,
                writer: 6,
                instance: 0
            })
        );
    }

    #[test]
    fn a_holder_blocked_on_a_channel_while_others_want_its_lock() {
        let graph = Graph {
            instances: vec![
                lock(Kind::Mutex, 0x10),
                Instance {
                    kind: Kind::Channel,
                    address: 0x30,
                    channel: Some(ChannelState {
                        capacity: 1,
                        length: 1,
                        closed: false,
                        timer: false,
                        timer_pending: None,
                    }),
                },
            ],
            waits: vec![
                wait(5, 1, Op::Send),
                wait(6, 0, Op::Lock),
                wait(1, 1, Op::Wait),
            ],
            holds: vec![hold(0, 5, Mode::Write)],
            overflow: 0,
            reach: BTreeMap::new(),
        };
        // The test goroutine (1) waiting elsewhere does not change the story.
        assert_eq!(
            graph.shape(&stuck(&[1, 5, 6])),
            Some(Shape::HeldAcross {
                holder: 5,
                lock: 0,
                blocked_on: 1,
                op: Op::Send,
                waiters: vec![6]
            })
        );
    }

    fn channel(address: u64, timer_pending: Option<bool>) -> Instance {
        Instance {
            kind: Kind::Channel,
            address,
            channel: Some(ChannelState {
                capacity: 0,
                length: 0,
                closed: false,
                timer: timer_pending.is_some(),
                timer_pending,
            }),
        }
    }

    fn reaches(entries: &[(u64, &[usize])]) -> BTreeMap<u64, Reach> {
        entries
            .iter()
            .map(|(g, r)| (*g, Reach::Known(r.iter().copied().collect())))
            .collect()
    }

    #[test]
    fn two_senders_each_holding_the_others_channel_are_a_cycle() {
        // G1 waits for both on a WaitGroup and still holds both channels: not part of it.
        let graph = Graph {
            instances: vec![
                channel(0x10, None),
                channel(0x20, None),
                lock(Kind::WaitGroup, 0x30),
            ],
            waits: vec![
                wait(1, 2, Op::Wait),
                wait(4, 0, Op::Send),
                wait(5, 1, Op::Send),
            ],
            holds: vec![],
            overflow: 0,
            reach: reaches(&[(1, &[0, 1, 2]), (4, &[0, 1, 2]), (5, &[0, 1, 2])]),
        };
        assert_eq!(
            graph.shape(&stuck(&[1, 4, 5])),
            Some(Shape::WaitCycle {
                steps: vec![(4, 0, Op::Send), (5, 1, Op::Send)]
            })
        );
    }

    #[test]
    fn receivers_that_reach_each_others_channel_are_no_cycle() {
        // A client waits for a reply; the server, back in its receive loop, skipped it.
        let graph = Graph {
            instances: vec![channel(0x10, None), channel(0x20, None)],
            waits: vec![wait(1, 0, Op::Receive), wait(3, 1, Op::Receive)],
            holds: vec![],
            overflow: 0,
            reach: reaches(&[(1, &[0, 1]), (3, &[0, 1])]),
        };
        assert_eq!(graph.shape(&stuck(&[1, 3])), None);
    }

    #[test]
    fn senders_piled_on_one_channel_are_no_cycle() {
        // Each still holds the channel (it sends in a loop), but a sender cannot take a send.
        let graph = Graph {
            instances: vec![channel(0x10, None)],
            waits: vec![wait(4, 0, Op::Send), wait(5, 0, Op::Send)],
            holds: vec![],
            overflow: 0,
            reach: reaches(&[(4, &[0]), (5, &[0])]),
        };
        assert_eq!(graph.shape(&stuck(&[4, 5])), None);
    }

    #[test]
    fn an_unscanned_goroutine_closes_no_cycle() {
        let mut reach = reaches(&[(4, &[1])]);
        reach.insert(5, Reach::Unknown);
        let graph = Graph {
            instances: vec![channel(0x10, None), channel(0x20, None)],
            waits: vec![wait(4, 0, Op::Send), wait(5, 1, Op::Send)],
            holds: vec![],
            overflow: 0,
            reach,
        };
        assert_eq!(graph.shape(&stuck(&[4, 5])), None);
    }

    #[test]
    fn a_cond_waiter_and_its_signaller_blocked_on_the_waiters_channel() {
        let graph = Graph {
            instances: vec![lock(Kind::Cond, 0x10), channel(0x20, None)],
            waits: vec![wait(7, 0, Op::Wait), wait(6, 1, Op::Send)],
            holds: vec![],
            overflow: 0,
            reach: reaches(&[(6, &[0, 1]), (7, &[0, 1])]),
        };
        assert_eq!(
            graph.shape(&stuck(&[6, 7])),
            Some(Shape::WaitCycle {
                steps: vec![(6, 1, Op::Send), (7, 0, Op::Wait)]
            })
        );
    }

    #[test]
    fn a_receive_from_a_timer_that_no_longer_runs() {
        let graph = Graph {
            instances: vec![channel(0x10, Some(false))],
            waits: vec![wait(3, 0, Op::Receive)],
            holds: vec![],
            overflow: 0,
            reach: reaches(&[(3, &[0])]),
        };
        assert_eq!(
            graph.shape(&stuck(&[3])),
            Some(Shape::StaleTimer {
                goroutine: 3,
                instance: 0
            })
        );
        // A pending timer will send: no shape.
        let mut pending = graph.clone();
        pending.instances[0] = channel(0x10, Some(true));
        assert_eq!(pending.shape(&stuck(&[3])), None);
    }

    fn case(goroutine: u64, instance: usize, op: Op) -> Wait {
        Wait {
            select: true,
            ..wait(goroutine, instance, op)
        }
    }

    #[test]
    fn a_holder_in_a_select_of_receives_is_held_across_a_receive() {
        // The test goroutine (1) waits for the result or a timeout: it does not change the story.
        let graph = Graph {
            instances: vec![
                lock(Kind::Mutex, 0x10),
                channel(0x30, None),
                channel(0x40, None),
                channel(0x50, None),
                channel(0x60, Some(true)),
            ],
            waits: vec![
                case(1, 3, Op::Receive),
                case(1, 4, Op::Receive),
                case(5, 2, Op::Receive),
                case(5, 1, Op::Receive),
                wait(6, 0, Op::Lock),
            ],
            holds: vec![hold(0, 5, Mode::Write)],
            overflow: 0,
            reach: BTreeMap::new(),
        };
        assert_eq!(
            graph.shape(&stuck(&[1, 5, 6])),
            Some(Shape::HeldAcross {
                holder: 5,
                lock: 0,
                blocked_on: 2,
                op: Op::Receive,
                waiters: vec![6]
            })
        );
    }

    #[test]
    fn a_select_that_a_timer_or_a_send_case_can_end_is_not_held_across() {
        for (other, op) in [
            (channel(0x40, Some(true)), Op::Receive),
            (channel(0x40, None), Op::Send),
        ] {
            let graph = Graph {
                instances: vec![lock(Kind::Mutex, 0x10), channel(0x30, None), other],
                waits: vec![
                    case(5, 1, Op::Receive),
                    case(5, 2, op),
                    wait(6, 0, Op::Lock),
                ],
                holds: vec![hold(0, 5, Mode::Write)],
                overflow: 0,
                reach: BTreeMap::new(),
            };
            assert_eq!(graph.shape(&stuck(&[5, 6])), None, "{op:?}");
        }
    }

    #[test]
    fn readers_waiting_on_a_cond_hold_off_the_writer() {
        // Two readers hold the read lock and wait on a Cond of another lock; the writer that
        // would signal waits for them; a bystander waits on a WaitGroup for the readers.
        let graph = Graph {
            instances: vec![
                lock(Kind::RwMutex, 0x10),
                lock(Kind::Cond, 0x20),
                lock(Kind::WaitGroup, 0x30),
            ],
            waits: vec![
                wait(1, 2, Op::Wait),
                wait(4, 1, Op::Wait),
                wait(5, 1, Op::Wait),
                wait(6, 0, Op::Lock),
            ],
            holds: vec![hold(0, 4, Mode::Read), hold(0, 5, Mode::Read)],
            overflow: 0,
            reach: BTreeMap::new(),
        };
        assert_eq!(
            graph.shape(&stuck(&[1, 4, 5, 6])),
            Some(Shape::HeldAcross {
                holder: 4,
                lock: 0,
                blocked_on: 1,
                op: Op::Wait,
                waiters: vec![6]
            })
        );
    }

    #[test]
    fn labels_follow_the_goroutines_order_not_addresses() {
        let graph = Graph {
            instances: vec![lock(Kind::Mutex, 0x20), lock(Kind::Mutex, 0x10)],
            waits: vec![wait(9, 0, Op::Lock), wait(4, 1, Op::Lock)],
            holds: vec![],
            overflow: 0,
            reach: BTreeMap::new(),
        };
        // Goroutine 9 is named G1, goroutine 4 is G2.
        let rank = |g: u64| {
            if g == 9 {
                (1, "G1".into())
            } else {
                (2, "G2".into())
            }
        };
        assert_eq!(graph.labels(rank), ["mutex #1", "mutex #2"]);
    }
}
