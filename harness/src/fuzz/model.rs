//! An explicit-state model checker for the fuzz language: every terminal state a program can
//! reach, over every interleaving.
//!
//! A state is each goroutine's position and phase plus the state of every object; a step is one
//! goroutine's operation, taken atomically. The search is a depth-first walk over states with a
//! visited set, so each state is expanded once. Go's semantics are followed where they are
//! observable at the end of a run (the Go spec and the `sync` and `runtime` sources):
//! - a goroutine that must wait for a partner *parks* (an unbuffered send, a receive on an
//!   empty channel, a `select` with nothing ready, `RLock` behind a writer, `WaitGroup.Wait`,
//!   `<-ctx.Done()`), and the partner's step completes it; a `select` with a default only sees
//!   partners that have parked, which is what makes its default reachable;
//! - a `select` may take any ready case (Go chooses uniformly at random);
//! - `close` panics on a nil or closed channel, readies the parked receivers and makes the
//!   parked senders panic when they run; a receive on a closed channel completes at once;
//! - `Mutex.Unlock` of an unlocked mutex is a fatal error; a woken `Lock` competes like a new
//!   one;
//! - `RWMutex.Lock` first takes the writer mutex (blocked there: `sync.Mutex.Lock`), then waits
//!   for the readers it saw (`sync.RWMutex.Lock`), during which new `RLock`s park; `Unlock`
//!   admits every parked reader before anything else can happen;
//! - `WaitGroup.Add` below zero panics; the waiters released at zero check, when they run, that
//!   the WaitGroup was not reused meanwhile, or panic;
//! - `Cond.Wait` unlocks its mutex (fatal if unlocked), waits in FIFO order for `Signal` or
//!   `Broadcast` (a signal with no waiter is lost), then locks the mutex again;
//! - `cancel` closes `Done` once; later cancels do nothing.
//!
//! Where the model is deliberately coarser than Go (which parked partner a send pairs with, which
//! woken waiter gets a mutex), it allows every choice: its set of terminal states is a superset,
//! which is what the oracle needs. Outside the model ([`Analysis::unsupported`]):
//! `RWMutex.Unlock` while another goroutine's `Lock` is still waiting for readers, and two
//! goroutines able to panic or fail at the same moment (with two Ps, Go 1.26 can then deadlock
//! in its own panic printing: "fatal error: ... panic during panic", found by this fuzzer).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use super::lang::{CHANNELS, Case, MUTEXES, Op, Program};

/// How a run ended, in the model's terms.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Terminal {
    /// Every goroutine finished.
    Clean,
    /// The root is blocked, and so is every other unfinished goroutine.
    Deadlock(Vec<Blocked>),
    /// The root returned; the goroutines left are blocked for ever.
    Leak(Vec<Blocked>),
    /// A panic or fatal error raised by `goroutine` at operation `op`.
    Failure {
        goroutine: usize,
        op: usize,
        kind: FailureKind,
    },
}

/// A goroutine blocked for ever at one of its operations, with the runtime's wait reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Blocked {
    pub goroutine: usize,
    pub op: usize,
    pub wait: &'static str,
}

/// A panic or fatal error the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureKind {
    SendOnClosed,
    CloseOfClosed,
    CloseOfNil,
    NegativeWaitGroup,
    WaitGroupReused,
    UnlockOfUnlocked,
    RUnlockOfUnlocked,
    UnlockOfUnlockedRw,
}

impl FailureKind {
    /// Whether Go reports it as a `fatal error` (unrecoverable) rather than a `panic`.
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            FailureKind::UnlockOfUnlocked
                | FailureKind::RUnlockOfUnlocked
                | FailureKind::UnlockOfUnlockedRw
        )
    }

    /// The classifier's id for the message (`evidence::crash`).
    pub fn id(self) -> &'static str {
        match self {
            FailureKind::SendOnClosed => "send-on-closed",
            FailureKind::CloseOfClosed => "close-of-closed",
            FailureKind::CloseOfNil => "close-of-nil",
            FailureKind::NegativeWaitGroup => "wait-group-negative",
            FailureKind::WaitGroupReused => "wait-group-reused",
            FailureKind::UnlockOfUnlocked => "unlock-of-unlocked",
            FailureKind::RUnlockOfUnlocked => "runlock-of-unlocked",
            FailureKind::UnlockOfUnlockedRw => "unlock-of-unlocked-rw",
        }
    }
}

impl fmt::Display for Terminal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |blocked: &[Blocked]| {
            blocked
                .iter()
                .map(|b| format!("g{} at op {} [{}]", b.goroutine, b.op, b.wait))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Terminal::Clean => write!(f, "clean"),
            Terminal::Deadlock(b) => write!(f, "deadlock: {}", list(b)),
            Terminal::Leak(b) => write!(f, "leak: {}", list(b)),
            Terminal::Failure {
                goroutine,
                op,
                kind,
            } => write!(f, "{} by g{goroutine} at op {op}", kind.id()),
        }
    }
}

/// Where a goroutine is inside its current operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Phase {
    /// About to perform the operation at `pc` (or blocked before it: `Lock` on a held mutex).
    Ready,
    /// Parked in the operation at `pc`; another goroutine's step completes it.
    Parked,
    /// In `Cond.Wait`, waiting for a signal.
    CondWaiting,
    /// In `Cond.Wait`, signalled, locking the mutex again.
    Relock,
    /// In `RWMutex.Lock`, holding the writer mutex, waiting for the readers to leave.
    WriterPending,
    /// Released from `WaitGroup.Wait`; checks for reuse when it runs.
    WaitGroupWoken,
    /// Parked in a send on a channel that was closed: panics when it runs.
    SendPanics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Goroutine {
    pc: u8,
    phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Writer {
    None,
    Pending(u8),
    Held,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct State {
    goroutines: Vec<Goroutine>,
    /// Buffered values and closed flag per channel.
    channels: [(u8, bool); CHANNELS],
    mutexes: [bool; MUTEXES],
    readers: u8,
    writer: Writer,
    counter: i16,
    waiters: u8,
    /// Goroutines in `Cond.Wait`, oldest first.
    cond_queue: Vec<u8>,
    cancelled: bool,
}

/// Every terminal state of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    pub terminals: BTreeSet<Terminal>,
    /// States expanded.
    pub states: usize,
    /// The program does something the model does not cover; `terminals` is not to be trusted.
    pub unsupported: Option<String>,
}

/// Explores every interleaving of `program`.
pub fn analyze(program: &Program) -> Analysis {
    let mut checker = Checker {
        program,
        visited: HashSet::new(),
        terminals: BTreeSet::new(),
        unsupported: None,
    };
    let start = initial(program);
    let mut stack = vec![start];
    while let Some(state) = stack.pop() {
        if !checker.visited.insert(state.clone()) {
            continue;
        }
        let moves = checker.moves(&state);
        let failing: HashSet<usize> = moves
            .iter()
            .filter_map(|m| match m {
                Next::Failure(Terminal::Failure { goroutine, .. }) => Some(*goroutine),
                _ => None,
            })
            .collect();
        if failing.len() > 1 {
            checker.unsupported.get_or_insert_with(|| {
                "two goroutines can fail at once; Go then may print both, or hang printing them \
                 (\"panic during panic\")"
                    .into()
            });
        }
        if moves.is_empty() {
            let terminal = checker.terminal(&state);
            checker.terminals.insert(terminal);
        }
        for next in moves {
            match next {
                Next::State(s) => stack.push(s),
                Next::Failure(t) => {
                    checker.terminals.insert(t);
                }
            }
        }
    }
    Analysis {
        terminals: checker.terminals,
        states: checker.visited.len(),
        unsupported: checker.unsupported,
    }
}

enum Next {
    State(State),
    Failure(Terminal),
}

struct Checker<'a> {
    program: &'a Program,
    visited: HashSet<State>,
    terminals: BTreeSet<Terminal>,
    unsupported: Option<String>,
}

impl Checker<'_> {
    fn op(&self, state: &State, g: usize) -> Option<&Op> {
        self.program.goroutines[g].get(state.goroutines[g].pc as usize)
    }

    fn capacity(&self, c: u8) -> Option<u8> {
        self.program.channels[c as usize]
    }

    fn terminal(&self, state: &State) -> Terminal {
        let blocked: Vec<Blocked> = (0..state.goroutines.len())
            .filter_map(|g| {
                let op = self.op(state, g)?;
                Some(Blocked {
                    goroutine: g,
                    op: state.goroutines[g].pc as usize,
                    wait: self.wait_reason(op, state.goroutines[g].phase),
                })
            })
            .collect();
        if blocked.is_empty() {
            Terminal::Clean
        } else if blocked[0].goroutine == 0 {
            Terminal::Deadlock(blocked)
        } else {
            Terminal::Leak(blocked)
        }
    }

    fn wait_reason(&self, op: &Op, phase: Phase) -> &'static str {
        let nil = |c: &u8| self.capacity(*c).is_none();
        match (op, phase) {
            (Op::Send(c), _) if nil(c) => "chan send (nil chan)",
            (Op::Send(_), _) => "chan send",
            (Op::Recv(c), _) if nil(c) => "chan receive (nil chan)",
            (Op::Recv(_) | Op::AwaitDone, _) => "chan receive",
            (Op::Select(..), _) => "select",
            (Op::CondWait, Phase::CondWaiting) => "sync.Cond.Wait",
            (Op::Lock(_) | Op::CondWait, _) => "sync.Mutex.Lock",
            (Op::RLock, _) => "sync.RWMutex.RLock",
            (Op::WLock, Phase::WriterPending) => "sync.RWMutex.Lock",
            (Op::WLock, _) => "sync.Mutex.Lock",
            (Op::Wait, _) => "sync.WaitGroup.Wait",
            _ => "unknown",
        }
    }

    fn moves(&mut self, state: &State) -> Vec<Next> {
        let mut out = Vec::new();
        for g in 0..state.goroutines.len() {
            self.moves_of(state, g, &mut out);
        }
        out
    }

    fn moves_of(&mut self, state: &State, g: usize, out: &mut Vec<Next>) {
        let Some(op) = self.op(state, g).cloned() else {
            return;
        };
        let pc = state.goroutines[g].pc as usize;
        let fail = |kind| {
            Next::Failure(Terminal::Failure {
                goroutine: g,
                op: pc,
                kind,
            })
        };
        match state.goroutines[g].phase {
            Phase::Parked | Phase::CondWaiting | Phase::WriterPending => return,
            Phase::SendPanics => return out.push(fail(FailureKind::SendOnClosed)),
            Phase::WaitGroupWoken => {
                if state.counter != 0 || state.waiters != 0 {
                    out.push(fail(FailureKind::WaitGroupReused));
                } else {
                    out.push(Next::State(advanced(state, g)));
                }
                return;
            }
            Phase::Relock => {
                if !state.mutexes[0] {
                    let mut s = advanced(state, g);
                    s.mutexes[0] = true;
                    out.push(Next::State(s));
                }
                return;
            }
            Phase::Ready => {}
        }
        match op {
            Op::Send(c) => self.send(state, g, c, out, &fail, true),
            Op::Recv(c) => self.recv(state, g, c, out, true),
            Op::Close(c) => match self.capacity(c) {
                None => out.push(fail(FailureKind::CloseOfNil)),
                Some(_) if state.channels[c as usize].1 => {
                    out.push(fail(FailureKind::CloseOfClosed))
                }
                Some(_) => {
                    let mut s = advanced(state, g);
                    s.channels[c as usize].1 = true;
                    for other in 0..s.goroutines.len() {
                        if s.goroutines[other].phase != Phase::Parked {
                            continue;
                        }
                        match self.op(&s, other) {
                            Some(Op::Recv(x)) if *x == c => s = advanced(&s, other),
                            Some(Op::Send(x)) if *x == c => {
                                s.goroutines[other].phase = Phase::SendPanics
                            }
                            Some(Op::Select(cases, _)) => {
                                if cases.contains(&Case::Recv(c)) {
                                    s = advanced(&s, other);
                                } else if cases.contains(&Case::Send(c)) {
                                    s.goroutines[other].phase = Phase::SendPanics;
                                }
                            }
                            _ => {}
                        }
                    }
                    out.push(Next::State(s));
                }
            },
            Op::Select(cases, default) => {
                let before = out.len();
                for case in &cases {
                    match *case {
                        Case::Send(c) => self.send(state, g, c, out, &fail, false),
                        Case::Recv(c) => self.recv(state, g, c, out, false),
                        Case::Done => {
                            if state.cancelled {
                                out.push(Next::State(advanced(state, g)));
                            }
                        }
                    }
                }
                if out.len() == before {
                    out.push(Next::State(if default {
                        advanced(state, g)
                    } else {
                        parked(state, g)
                    }));
                }
            }
            Op::Lock(m) => {
                if !state.mutexes[m as usize] {
                    let mut s = advanced(state, g);
                    s.mutexes[m as usize] = true;
                    out.push(Next::State(s));
                }
            }
            Op::Unlock(m) => {
                if state.mutexes[m as usize] {
                    let mut s = advanced(state, g);
                    s.mutexes[m as usize] = false;
                    out.push(Next::State(s));
                } else {
                    out.push(fail(FailureKind::UnlockOfUnlocked));
                }
            }
            Op::RLock => out.push(Next::State(if state.writer == Writer::None {
                let mut s = advanced(state, g);
                s.readers += 1;
                s
            } else {
                parked(state, g)
            })),
            Op::RUnlock => {
                if state.readers == 0 {
                    return out.push(fail(FailureKind::RUnlockOfUnlocked));
                }
                let mut s = advanced(state, g);
                s.readers -= 1;
                if let (0, Writer::Pending(w)) = (s.readers, s.writer) {
                    s.writer = Writer::Held;
                    s = advanced(&s, w as usize);
                }
                out.push(Next::State(s));
            }
            Op::WLock => {
                if state.writer != Writer::None {
                    return;
                }
                let mut s;
                if state.readers == 0 {
                    s = advanced(state, g);
                    s.writer = Writer::Held;
                } else {
                    s = state.clone();
                    s.writer = Writer::Pending(g as u8);
                    s.goroutines[g].phase = Phase::WriterPending;
                }
                out.push(Next::State(s));
            }
            Op::WUnlock => match state.writer {
                Writer::None => out.push(fail(FailureKind::UnlockOfUnlockedRw)),
                Writer::Pending(_) => {
                    self.unsupported.get_or_insert_with(|| {
                        "RWMutex.Unlock while a Lock waits for readers".into()
                    });
                }
                Writer::Held => {
                    let mut s = advanced(state, g);
                    s.writer = Writer::None;
                    for other in 0..s.goroutines.len() {
                        if s.goroutines[other].phase == Phase::Parked
                            && self.op(&s, other) == Some(&Op::RLock)
                        {
                            s.readers += 1;
                            s = advanced(&s, other);
                        }
                    }
                    out.push(Next::State(s));
                }
            },
            Op::Add(n) => out.push(self.add(state, g, n as i16, &fail)),
            Op::Done => out.push(self.add(state, g, -1, &fail)),
            Op::Wait => out.push(Next::State(if state.counter == 0 {
                advanced(state, g)
            } else {
                let mut s = parked(state, g);
                s.waiters += 1;
                s
            })),
            Op::CondWait => {
                if !state.mutexes[0] {
                    return out.push(fail(FailureKind::UnlockOfUnlocked));
                }
                let mut s = state.clone();
                s.mutexes[0] = false;
                s.cond_queue.push(g as u8);
                s.goroutines[g].phase = Phase::CondWaiting;
                out.push(Next::State(s));
            }
            Op::Signal | Op::Broadcast => {
                let mut s = advanced(state, g);
                let woken = if op == Op::Signal {
                    s.cond_queue.len().min(1)
                } else {
                    s.cond_queue.len()
                };
                for w in s.cond_queue.drain(..woken).collect::<Vec<_>>() {
                    s.goroutines[w as usize].phase = Phase::Relock;
                }
                out.push(Next::State(s));
            }
            Op::Cancel => {
                let mut s = advanced(state, g);
                if !s.cancelled {
                    s.cancelled = true;
                    for other in 0..s.goroutines.len() {
                        let waits_done = match self.op(&s, other) {
                            Some(Op::AwaitDone) => true,
                            Some(Op::Select(cases, _)) => cases.contains(&Case::Done),
                            _ => false,
                        };
                        if waits_done && s.goroutines[other].phase == Phase::Parked {
                            s = advanced(&s, other);
                        }
                    }
                }
                out.push(Next::State(s));
            }
            Op::AwaitDone => out.push(Next::State(if state.cancelled {
                advanced(state, g)
            } else {
                parked(state, g)
            })),
        }
    }

    /// Goroutines parked in an operation that can take part in `wanted` on channel `c`.
    fn parked_partners(&self, state: &State, c: u8, wanted: Case) -> Vec<usize> {
        (0..state.goroutines.len())
            .filter(|&o| state.goroutines[o].phase == Phase::Parked)
            .filter(|&o| match (self.op(state, o), wanted) {
                (Some(Op::Send(x)), Case::Send(_)) | (Some(Op::Recv(x)), Case::Recv(_)) => *x == c,
                (Some(Op::Select(cases, _)), _) => cases.contains(&wanted),
                _ => false,
            })
            .collect()
    }

    /// A send by `g` on `c`; `park` is false inside a select (which parks as a whole).
    fn send(
        &self,
        state: &State,
        g: usize,
        c: u8,
        out: &mut Vec<Next>,
        fail: &dyn Fn(FailureKind) -> Next,
        park: bool,
    ) {
        let Some(capacity) = self.capacity(c) else {
            return; // a nil channel blocks for ever (Ready, no move)
        };
        let (len, closed) = state.channels[c as usize];
        if closed {
            return out.push(fail(FailureKind::SendOnClosed));
        }
        let receivers = self.parked_partners(state, c, Case::Recv(c));
        if !receivers.is_empty() {
            for r in receivers {
                out.push(Next::State(advanced(&advanced(state, g), r)));
            }
        } else if len < capacity {
            let mut s = advanced(state, g);
            s.channels[c as usize].0 += 1;
            out.push(Next::State(s));
        } else if park {
            out.push(Next::State(parked(state, g)));
        }
    }

    /// A receive by `g` on `c`; `park` is false inside a select.
    fn recv(&self, state: &State, g: usize, c: u8, out: &mut Vec<Next>, park: bool) {
        if self.capacity(c).is_none() {
            return;
        }
        let (len, closed) = state.channels[c as usize];
        let senders = self.parked_partners(state, c, Case::Send(c));
        if len > 0 {
            if senders.is_empty() {
                let mut s = advanced(state, g);
                s.channels[c as usize].0 -= 1;
                out.push(Next::State(s));
            }
            // A full buffer with parked senders: the first sender's value takes the slot.
            for sender in senders {
                out.push(Next::State(advanced(&advanced(state, g), sender)));
            }
        } else if !senders.is_empty() {
            for sender in senders {
                out.push(Next::State(advanced(&advanced(state, g), sender)));
            }
        } else if closed {
            out.push(Next::State(advanced(state, g)));
        } else if park {
            out.push(Next::State(parked(state, g)));
        }
    }

    fn add(&self, state: &State, g: usize, delta: i16, fail: &dyn Fn(FailureKind) -> Next) -> Next {
        let mut s = advanced(state, g);
        s.counter += delta;
        if s.counter < 0 {
            return fail(FailureKind::NegativeWaitGroup);
        }
        if s.counter == 0 && s.waiters > 0 {
            s.waiters = 0;
            for other in 0..s.goroutines.len() {
                if s.goroutines[other].phase == Phase::Parked
                    && self.op(&s, other) == Some(&Op::Wait)
                {
                    s.goroutines[other].phase = Phase::WaitGroupWoken;
                }
            }
        }
        Next::State(s)
    }
}

/// A schedule the Go program can be forced to follow with `support.Turn`, and where it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The goroutine that starts each operation, in order (`GOREPRO_SCHEDULE`).
    pub steps: Vec<usize>,
    pub terminal: Terminal,
}

impl Schedule {
    /// `GOREPRO_SCHEDULE`'s value.
    pub fn env_value(&self) -> String {
        self.steps
            .iter()
            .map(|g| g.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A schedule chosen from `seed`: at each step one goroutine waiting at its next operation
/// starts it, and everything that operation wakes runs until it finishes or blocks (what
/// `support.Turn` enforces). Only steps whose result Go cannot vary are taken (no select with
/// two ready cases, no two woken goroutines racing for a mutex); `None` if no such step is left
/// before the end.
pub fn forced_schedule(program: &Program, seed: u64) -> Option<Schedule> {
    let mut checker = Checker {
        program,
        visited: HashSet::new(),
        terminals: BTreeSet::new(),
        unsupported: None,
    };
    let mut rng = seed;
    let mut state = initial(program);
    // The pc at which each goroutine started its current operation.
    let mut started: Vec<Option<u8>> = vec![None; program.goroutines.len()];
    let mut steps = Vec::new();
    loop {
        let at_gate: Vec<usize> = (0..state.goroutines.len())
            .filter(|&g| {
                state.goroutines[g].phase == Phase::Ready
                    && started[g] != Some(state.goroutines[g].pc)
                    && checker.op(&state, g).is_some()
            })
            .collect();
        if at_gate.is_empty() {
            let terminal = checker.terminal(&state);
            return (checker.unsupported.is_none()).then_some(Schedule { steps, terminal });
        }
        let options: Vec<(usize, Settled)> = at_gate
            .iter()
            .filter_map(|&g| {
                let mut started = started.clone();
                started[g] = Some(state.goroutines[g].pc);
                let mut moves = Vec::new();
                checker.moves_of(&state, g, &mut moves);
                let next = match single(moves)? {
                    None => state.clone(), // blocks at once
                    Some(Next::Failure(t)) => return Some((g, Err(t))),
                    Some(Next::State(s)) => s,
                };
                settle(&mut checker, next, started).map(|r| (g, r))
            })
            .collect();
        if options.is_empty() {
            return None;
        }
        rng = splitmix(rng);
        let (g, result) = options[(rng % options.len() as u64) as usize].clone();
        steps.push(g);
        match result {
            Err(terminal) => {
                return (checker.unsupported.is_none()).then_some(Schedule { steps, terminal });
            }
            Ok((s, st)) => {
                state = s;
                started = st;
            }
        }
    }
}

/// A step's outcome once everything it woke has run: the state and the pc at which each
/// goroutine started its current operation, or a panic.
type Settled = Result<(State, Vec<Option<u8>>), Terminal>;

/// Runs the goroutines inside an operation (woken, relocking, about to panic) until none can
/// move; `None` if the order among them could change the result.
fn settle(
    checker: &mut Checker<'_>,
    mut state: State,
    started: Vec<Option<u8>>,
) -> Option<Settled> {
    loop {
        let inside = |s: &State, g: usize| {
            s.goroutines[g].phase != Phase::Ready || started[g] == Some(s.goroutines[g].pc)
        };
        let mut movers = Vec::new();
        for g in 0..state.goroutines.len() {
            if inside(&state, g) {
                let mut moves = Vec::new();
                checker.moves_of(&state, g, &mut moves);
                if !moves.is_empty() {
                    movers.push(moves);
                }
            }
        }
        match movers.len() {
            0 => return Some(Ok((state, started))),
            1 => match single(movers.pop()?)? {
                Some(Next::State(s)) => state = s,
                Some(Next::Failure(t)) => return Some(Err(t)),
                None => return Some(Ok((state, started))),
            },
            _ => return None,
        }
    }
}

/// The only result of a set of moves: `Some(None)` for no move, `None` if they differ.
fn single(moves: Vec<Next>) -> Option<Option<Next>> {
    let mut moves = moves.into_iter();
    let Some(first) = moves.next() else {
        return Some(None);
    };
    for other in moves {
        let same = match (&first, &other) {
            (Next::State(a), Next::State(b)) => a == b,
            (Next::Failure(a), Next::Failure(b)) => a == b,
            _ => false,
        };
        if !same {
            return None;
        }
    }
    Some(Some(first))
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn initial(program: &Program) -> State {
    State {
        goroutines: vec![
            Goroutine {
                pc: 0,
                phase: Phase::Ready
            };
            program.goroutines.len()
        ],
        channels: [(0, false); CHANNELS],
        mutexes: [false; MUTEXES],
        readers: 0,
        writer: Writer::None,
        counter: 0,
        waiters: 0,
        cond_queue: Vec::new(),
        cancelled: false,
    }
}

/// `state` with goroutine `g` past its current operation.
fn advanced(state: &State, g: usize) -> State {
    let mut s = state.clone();
    s.goroutines[g].pc += 1;
    s.goroutines[g].phase = Phase::Ready;
    s
}

fn parked(state: &State, g: usize) -> State {
    let mut s = state.clone();
    s.goroutines[g].phase = Phase::Parked;
    s
}

/// The stuck goroutines of a terminal state, counted by (goroutine, operation).
pub fn blocked_ops(terminal: &Terminal) -> BTreeMap<(usize, usize), &'static str> {
    match terminal {
        Terminal::Deadlock(b) | Terminal::Leak(b) => {
            b.iter().map(|b| ((b.goroutine, b.op), b.wait)).collect()
        }
        _ => BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Op::*;

    fn program(channels: [Option<u8>; CHANNELS], goroutines: Vec<Vec<Op>>) -> Program {
        Program {
            channels,
            goroutines,
        }
    }

    fn outcomes(p: &Program) -> Vec<String> {
        let analysis = analyze(p);
        assert_eq!(analysis.unsupported, None);
        analysis.terminals.iter().map(|t| t.to_string()).collect()
    }

    const UNBUFFERED: [Option<u8>; 2] = [Some(0), Some(0)];

    #[test]
    fn unbuffered_send_without_receiver_deadlocks_the_root() {
        let p = program(UNBUFFERED, vec![vec![Send(0)]]);
        assert_eq!(outcomes(&p), ["deadlock: g0 at op 0 [chan send]"]);
    }

    #[test]
    fn a_rendezvous_finishes_and_a_buffer_absorbs_a_send() {
        let p = program(UNBUFFERED, vec![vec![Recv(0)], vec![Send(0)]]);
        assert_eq!(outcomes(&p), ["clean"]);
        let p = program([Some(1), None], vec![vec![Send(0)], vec![]]);
        assert_eq!(outcomes(&p), ["clean"]);
        let p = program([Some(1), None], vec![vec![Send(0), Send(0)]]);
        assert_eq!(outcomes(&p), ["deadlock: g0 at op 1 [chan send]"]);
    }

    #[test]
    fn a_sender_left_behind_after_the_root_returns_is_a_leak() {
        let p = program(UNBUFFERED, vec![vec![], vec![Send(0)]]);
        assert_eq!(outcomes(&p), ["leak: g1 at op 0 [chan send]"]);
    }

    #[test]
    fn nil_channels_block_for_ever_and_cannot_be_closed() {
        let p = program([None, None], vec![vec![], vec![Send(0)], vec![Recv(1)]]);
        assert_eq!(
            outcomes(&p),
            ["leak: g1 at op 0 [chan send (nil chan)], g2 at op 0 [chan receive (nil chan)]"]
        );
        let p = program([None, None], vec![vec![Close(0)]]);
        assert_eq!(outcomes(&p), ["close-of-nil by g0 at op 0"]);
    }

    #[test]
    fn close_races_with_a_send() {
        // The send either happens first (into the buffer) or panics on the closed channel.
        let p = program([Some(1), None], vec![vec![Close(0)], vec![Send(0)]]);
        assert_eq!(outcomes(&p), ["clean", "send-on-closed by g1 at op 0"]);
        // A parked sender panics once the channel is closed under it.
        let p = program(UNBUFFERED, vec![vec![Close(0)], vec![Send(0)]]);
        assert_eq!(outcomes(&p), ["send-on-closed by g1 at op 0"]);
        let p = program(UNBUFFERED, vec![vec![Close(0), Close(0)]]);
        assert_eq!(outcomes(&p), ["close-of-closed by g0 at op 1"]);
        // A receive on a closed channel returns at once.
        let p = program(UNBUFFERED, vec![vec![Close(0), Recv(0)]]);
        assert_eq!(outcomes(&p), ["clean"]);
    }

    #[test]
    fn select_default_is_taken_only_when_no_partner_has_parked() {
        // g1 may or may not have parked in its receive when the root's select runs.
        let p = program(
            UNBUFFERED,
            vec![vec![Select(vec![Case::Send(0)], true)], vec![Recv(0)]],
        );
        assert_eq!(outcomes(&p), ["clean", "leak: g1 at op 0 [chan receive]"]);
        // Without a default, either ready case may be chosen; the other sender is left.
        let p = program(
            UNBUFFERED,
            vec![
                vec![Select(vec![Case::Recv(0), Case::Recv(1)], false)],
                vec![Send(0)],
                vec![Send(1)],
            ],
        );
        assert_eq!(
            outcomes(&p),
            [
                "leak: g1 at op 0 [chan send]",
                "leak: g2 at op 0 [chan send]"
            ]
        );
        let p = program(
            UNBUFFERED,
            vec![vec![Select(vec![Case::Recv(0), Case::Done], false)]],
        );
        assert_eq!(outcomes(&p), ["deadlock: g0 at op 0 [select]"]);
    }

    #[test]
    fn mutex_misuse_is_fatal_and_ab_ba_can_deadlock() {
        let p = program(UNBUFFERED, vec![vec![Unlock(0)]]);
        assert_eq!(outcomes(&p), ["unlock-of-unlocked by g0 at op 0"]);
        let p = program(UNBUFFERED, vec![vec![Lock(0), Lock(0)]]);
        assert_eq!(outcomes(&p), ["deadlock: g0 at op 1 [sync.Mutex.Lock]"]);
        let p = program(
            UNBUFFERED,
            vec![
                vec![Lock(0), Lock(1), Unlock(1), Unlock(0)],
                vec![Lock(1), Lock(0), Unlock(0), Unlock(1)],
            ],
        );
        assert_eq!(
            outcomes(&p),
            [
                "clean",
                "deadlock: g0 at op 1 [sync.Mutex.Lock], g1 at op 1 [sync.Mutex.Lock]"
            ]
        );
    }

    #[test]
    fn a_pending_writer_blocks_new_readers() {
        // The root read-locks twice; g1's Lock, if it comes in between, waits for the first
        // reader and makes the second RLock park: the recursive-RLock deadlock.
        let p = program(
            UNBUFFERED,
            vec![vec![RLock, RLock, RUnlock, RUnlock], vec![WLock, WUnlock]],
        );
        assert_eq!(
            outcomes(&p),
            [
                "clean",
                "deadlock: g0 at op 1 [sync.RWMutex.RLock], g1 at op 0 [sync.RWMutex.Lock]"
            ]
        );
        // A second writer waits on the writer mutex, not on the readers.
        let p = program(UNBUFFERED, vec![vec![WLock, WLock]]);
        assert_eq!(outcomes(&p), ["deadlock: g0 at op 1 [sync.Mutex.Lock]"]);
        let p = program(UNBUFFERED, vec![vec![RUnlock]]);
        assert_eq!(outcomes(&p), ["runlock-of-unlocked by g0 at op 0"]);
        let p = program(UNBUFFERED, vec![vec![WUnlock]]);
        assert_eq!(outcomes(&p), ["unlock-of-unlocked-rw by g0 at op 0"]);
    }

    #[test]
    fn waitgroup_counter_wait_and_reuse() {
        let p = program(UNBUFFERED, vec![vec![Done]]);
        assert_eq!(outcomes(&p), ["wait-group-negative by g0 at op 0"]);
        // Goroutines start before the root's first operation, so g1's Done may come first.
        let p = program(UNBUFFERED, vec![vec![Add(1), Wait], vec![Done]]);
        assert_eq!(outcomes(&p), ["clean", "wait-group-negative by g1 at op 0"]);
        let p = program(UNBUFFERED, vec![vec![Add(2), Wait], vec![Done]]);
        assert_eq!(
            outcomes(&p),
            [
                "deadlock: g0 at op 1 [sync.WaitGroup.Wait]",
                "wait-group-negative by g1 at op 0"
            ]
        );
        // g1 re-adds: after releasing the parked root (which may see the reuse and panic),
        // or before the root waits (which then waits for ever).
        let p = program(UNBUFFERED, vec![vec![Add(1), Wait], vec![Done, Add(1)]]);
        assert_eq!(
            outcomes(&p),
            [
                "clean",
                "deadlock: g0 at op 1 [sync.WaitGroup.Wait]",
                "wait-group-reused by g0 at op 1",
                "wait-group-negative by g1 at op 0"
            ]
        );
    }

    #[test]
    fn cond_signals_are_lost_without_a_waiter_and_wait_needs_the_lock() {
        let p = program(UNBUFFERED, vec![vec![CondWait]]);
        assert_eq!(outcomes(&p), ["unlock-of-unlocked by g0 at op 0"]);
        let p = program(
            UNBUFFERED,
            vec![
                vec![Lock(0), CondWait, Unlock(0)],
                vec![Lock(0), Signal, Unlock(0)],
            ],
        );
        assert_eq!(
            outcomes(&p),
            ["clean", "deadlock: g0 at op 1 [sync.Cond.Wait]"]
        );
        // Signal wakes one of two waiters; Broadcast wakes both.
        let waiter = vec![Lock(0), CondWait, Unlock(0)];
        let p = program(
            UNBUFFERED,
            vec![
                vec![],
                waiter.clone(),
                waiter.clone(),
                vec![Lock(0), Signal, Unlock(0)],
            ],
        );
        let all = outcomes(&p);
        assert!(
            all.contains(&"leak: g1 at op 1 [sync.Cond.Wait]".to_string()),
            "{all:?}"
        );
        assert!(!all.contains(&"clean".to_string()), "{all:?}");
        let p = program(
            UNBUFFERED,
            vec![
                vec![],
                waiter.clone(),
                waiter,
                vec![Lock(0), Broadcast, Unlock(0)],
            ],
        );
        assert!(outcomes(&p).contains(&"clean".to_string()));
    }

    #[test]
    fn failures_that_can_race_are_outside_the_model() {
        // Go can hang printing a fatal error and a panic raised at once on two Ps.
        let p = program(UNBUFFERED, vec![vec![Unlock(1)], vec![Done]]);
        assert!(
            analyze(&p)
                .unsupported
                .unwrap()
                .contains("panic during panic")
        );
        let p = program(UNBUFFERED, vec![vec![Unlock(1), Done]]);
        assert_eq!(analyze(&p).unsupported, None);
    }

    #[test]
    fn cancel_closes_done_once() {
        let p = program(UNBUFFERED, vec![vec![AwaitDone], vec![Cancel, Cancel]]);
        assert_eq!(outcomes(&p), ["clean"]);
        let p = program(UNBUFFERED, vec![vec![AwaitDone]]);
        assert_eq!(outcomes(&p), ["deadlock: g0 at op 0 [chan receive]"]);
    }
}
