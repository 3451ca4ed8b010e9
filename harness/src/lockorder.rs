//! Predicted lock-order inversions: cycles in the order a run's goroutines took their locks,
//! whether or not the run deadlocked (what go-deadlock and ThreadSanitizer report, without a
//! lock type of their own: the runtime overlay records the order of `sync.Mutex` and
//! `sync.RWMutex`).
//!
//! The evidence ([`crate::evidence::instances::OrderEdge`]) holds every edge "acquired B while
//! holding A" of the run once, as first seen, with both acquire stacks. A cycle over two or
//! more locks is an inversion that can deadlock when:
//!
//! - its edges come from more than one goroutine (one goroutine alone cannot block itself
//!   this way; the wait-for graph tells a double lock);
//! - at every lock of the cycle the hold and the wanted acquire conflict: two read holds of one
//!   RWMutex do not (they only block behind a waiting writer, which is the recursive-RLock
//!   class, not this one);
//! - no gate lock guards it: a lock held in write mode around every sighting of each of its
//!   edges serializes them, so they never overlap;
//! - each of its edges was taken with user code on the acquiring stack, so that an inversion
//!   inside the standard library or the test machinery is not reported as the user's.
//!
//! Locks are labelled structurally (`mutex #1`) in the order the canonical cycles name them,
//! never by address; cycles that differ only in which instances they went through (the same
//! code run over many objects) are told once.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::evidence::Evidence;
use crate::evidence::instances::{Frame, Kind as RawKind, Mode as RawMode, OrderEdge};
use crate::evidence::world::{Loc, World};
use crate::graph::{Kind, Mode};

/// The class id of a predicted inversion (a run that did not block but could have).
pub const CLASS: &str = "mutex.potential-lock-order-inversion";

/// Longest cycle searched for, in locks.
const MAX_LOCKS: usize = 4;
/// Inversions told at most; the rest are counted in [`Prediction::more`].
const MAX_TOLD: usize = 4;
/// Edges the cycle search visits at most (a bound on its work for a huge lock graph).
const MAX_VISITS: usize = 100_000;

/// One inversion: the locks of a cycle and how each was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inversion {
    /// One step per edge, in cycle order: each step's `acquired` is the next one's `held`.
    pub steps: Vec<Step>,
}

/// A goroutine held one lock of the cycle when it acquired the next.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Step {
    /// The goroutine's stable name (`G3`), or `a goroutine` outside the scenario.
    pub goroutine: String,
    pub held: String,
    pub held_mode: Mode,
    /// Where the held lock was acquired: the innermost user frame, else the innermost frame.
    pub held_at: Option<Loc>,
    pub acquired: String,
    pub acquired_mode: Mode,
    pub acquired_at: Option<Loc>,
    /// The user function that acquired it.
    pub function: Option<String>,
    /// Other goroutines took the same step too.
    pub shared: bool,
}

/// What the run's lock order predicts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Prediction {
    pub inversions: Vec<Inversion>,
    /// Inversions beyond those told.
    pub more: usize,
    /// The runtime dropped edges or acquires: an inversion may be missing.
    pub incomplete: bool,
}

impl Prediction {
    pub fn is_empty(&self) -> bool {
        self.inversions.is_empty()
    }
}

/// The inversions in a run's lock order; empty without instance evidence.
pub fn predict(evidence: &Evidence, world: &World) -> Prediction {
    let Some(found) = &evidence.instances else {
        return Prediction::default();
    };
    let user = |stack: &[Frame]| {
        stack.iter().any(|f| {
            world
                .user_code
                .user_loc(&f.function, &f.file, f.line)
                .is_some()
        })
    };
    let edges: Vec<&OrderEdge> = found
        .lock_order
        .iter()
        .filter(|e| user(&e.from_stack) || user(&e.to_stack))
        .collect();
    let mut told: BTreeMap<Vec<Step>, Vec<&OrderEdge>> = BTreeMap::new();
    for cycle in cycles(&edges) {
        let cycle: Vec<&OrderEdge> = cycle.iter().map(|&i| edges[i]).collect();
        if can_block(&cycle) {
            let key = canonical(&cycle, world);
            told.entry(key.0).or_insert(key.1);
        }
    }
    let total = told.len();
    let mut labels: BTreeMap<u64, String> = BTreeMap::new();
    let mut counters: BTreeMap<Kind, usize> = BTreeMap::new();
    let inversions = told
        .into_values()
        .take(MAX_TOLD)
        .map(|cycle| {
            let mut label = |address: u64, kind: Kind| {
                labels
                    .entry(address)
                    .or_insert_with(|| {
                        let n = counters.entry(kind).or_default();
                        *n += 1;
                        format!("{} #{n}", kind.as_str())
                    })
                    .clone()
            };
            let steps = cycle
                .iter()
                .map(|e| {
                    let mut step = step(e, world);
                    step.held = label(e.from, kind(e.from_kind, &e.from_stack));
                    step.acquired = label(e.to, kind(e.to_kind, &e.to_stack));
                    step
                })
                .collect();
            Inversion { steps }
        })
        .collect::<Vec<_>>();
    Prediction {
        more: total - inversions.len(),
        inversions,
        incomplete: found.lock_order_dropped > 0 || found.lock_order_holds_dropped > 0,
    }
}

/// Every elementary cycle of two to [`MAX_LOCKS`] locks, as edge indices in order, each found
/// once: from its lowest address, through higher ones only.
fn cycles(edges: &[&OrderEdge]) -> Vec<Vec<usize>> {
    let mut out: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, e) in edges.iter().enumerate() {
        out.entry(e.from).or_default().push(i);
    }
    let mut found = Vec::new();
    let mut visits = 0;
    for &start in out.keys() {
        let mut path: Vec<usize> = Vec::new();
        walk(
            start,
            start,
            &out,
            edges,
            &mut path,
            &mut found,
            &mut visits,
        );
    }
    found
}

fn walk(
    start: u64,
    at: u64,
    out: &BTreeMap<u64, Vec<usize>>,
    edges: &[&OrderEdge],
    path: &mut Vec<usize>,
    found: &mut Vec<Vec<usize>>,
    visits: &mut usize,
) {
    for &i in out.get(&at).map(Vec::as_slice).unwrap_or_default() {
        *visits += 1;
        if *visits > MAX_VISITS {
            return;
        }
        let to = edges[i].to;
        if to == start {
            if !path.is_empty() {
                let mut cycle = path.clone();
                cycle.push(i);
                found.push(cycle);
            }
            continue;
        }
        let seen = path.iter().any(|&p| edges[p].from == to);
        if to < start || seen || path.len() + 1 >= MAX_LOCKS {
            continue;
        }
        path.push(i);
        walk(start, to, out, edges, path, found, visits);
        path.pop();
    }
}

/// Whether the cycle can deadlock: more than one goroutine, a conflict at every lock, no
/// common gate.
fn can_block(cycle: &[&OrderEdge]) -> bool {
    let one_goroutine = cycle.iter().all(|e| !e.shared && e.goid == cycle[0].goid);
    let read = |mode: RawMode| mode == RawMode::Read;
    let shared_at_some_lock = (0..cycle.len()).any(|i| {
        let next = cycle[(i + 1) % cycle.len()];
        read(cycle[i].to_mode) && read(next.from_mode)
    });
    let gates: BTreeSet<u64> = cycle[0].gates.iter().copied().collect();
    let gated = gates
        .iter()
        .any(|g| cycle.iter().all(|e| e.gates.contains(g)));
    !one_goroutine && !shared_at_some_lock && !gated
}

/// The cycle's steps without labels, rotated to start at its least step, with the edges in
/// the same order: the key that tells the same inversion the same way on every run.
fn canonical<'a>(cycle: &[&'a OrderEdge], world: &World) -> (Vec<Step>, Vec<&'a OrderEdge>) {
    let steps: Vec<Step> = cycle.iter().map(|e| step(e, world)).collect();
    let first = (0..steps.len())
        .min_by(|&a, &b| steps[a].cmp(&steps[b]))
        .unwrap_or(0);
    let mut steps = steps;
    let mut edges = cycle.to_vec();
    steps.rotate_left(first);
    edges.rotate_left(first);
    (steps, edges)
}

fn step(e: &OrderEdge, world: &World) -> Step {
    let mode = |m: RawMode| match m {
        RawMode::Read => Mode::Read,
        RawMode::Write | RawMode::Unknown => Mode::Write,
    };
    let user_frame = e
        .to_stack
        .iter()
        .find(|f| world.user_code.is_user_function(&f.function));
    Step {
        goroutine: world
            .get(e.goid)
            .map_or_else(|| "a goroutine".to_string(), |g| g.name.clone()),
        held: String::new(),
        held_mode: mode(e.from_mode),
        held_at: at(&e.from_stack, world),
        acquired: String::new(),
        acquired_mode: mode(e.to_mode),
        acquired_at: at(&e.to_stack, world),
        function: user_frame.map(|f| world.user_code.short_function(&f.function)),
        shared: e.shared,
    }
}

/// The innermost user frame of an acquire stack, else its innermost frame.
fn at(stack: &[Frame], world: &World) -> Option<Loc> {
    stack
        .iter()
        .find_map(|f| world.user_code.user_loc(&f.function, &f.file, f.line))
        .or_else(|| {
            stack.first().map(|f| Loc {
                file: f.file.clone(),
                line: f.line,
            })
        })
}

fn kind(raw: RawKind, stack: &[Frame]) -> Kind {
    if stack.iter().any(|f| f.function.contains("(*Once).doSlow")) {
        Kind::Once
    } else if raw == RawKind::RwMutex {
        Kind::RwMutex
    } else {
        Kind::Mutex
    }
}

/// The inversion in words, one line per step: `G3 locked mutex #2 at dirs.go:33 while holding
/// mutex #1 (locked at dirs.go:28)`.
pub fn describe(inversion: &Inversion) -> Vec<String> {
    let verb = |mode: Mode| match mode {
        Mode::Read => "read-locked",
        Mode::Write => "locked",
    };
    let place = |at: &Option<Loc>| at.as_ref().map_or(String::new(), |at| format!(" at {at}"));
    inversion
        .steps
        .iter()
        .map(|s| {
            let mut line = format!(
                "{} {} {}{} while holding {} ({}{})",
                s.goroutine,
                verb(s.acquired_mode),
                s.acquired,
                place(&s.acquired_at),
                s.held,
                verb(s.held_mode),
                place(&s.held_at),
            );
            if s.shared {
                line.push_str(", and so did other goroutines");
            }
            line
        })
        .collect()
}

/// Why the run is a finding although it ended clean, and the fix.
pub fn explanation(prediction: &Prediction) -> String {
    let Some(first) = prediction.inversions.first() else {
        return String::new();
    };
    let locks: Vec<&str> = first.steps.iter().map(|s| s.held.as_str()).collect();
    format!(
        "The run ended clean, but its goroutines took {} in opposite orders: had they overlapped, \
         each could have held one lock and waited for one another holds, a deadlock nothing \
         breaks. This run's timing kept them apart; another one's may not. Take locks in one \
         global order (by id, by address, by a fixed hierarchy), or take them together under a \
         single lock.",
        match locks.as_slice() {
            [a, b] => format!("{a} and {b}"),
            more => more.join(", "),
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, file: &str, line: u32) -> Frame {
        Frame {
            function: function.into(),
            file: file.into(),
            line,
        }
    }

    fn edge(from: u64, to: u64, goid: u64) -> OrderEdge {
        OrderEdge {
            from,
            from_kind: RawKind::Mutex,
            from_mode: RawMode::Write,
            to,
            to_kind: RawKind::Mutex,
            to_mode: RawMode::Write,
            goid,
            shared: false,
            gates: vec![],
            from_stack: vec![frame("main.move", "example.com/m/dirs.go", 28)],
            to_stack: vec![frame("main.move", "example.com/m/dirs.go", 33)],
        }
    }

    fn blocking(edges: &[OrderEdge]) -> Vec<Vec<usize>> {
        let refs: Vec<&OrderEdge> = edges.iter().collect();
        cycles(&refs)
            .into_iter()
            .filter(|c| can_block(&c.iter().map(|&i| refs[i]).collect::<Vec<_>>()))
            .collect()
    }

    #[test]
    fn opposite_orders_in_two_goroutines_are_a_cycle() {
        let edges = [
            edge(0x10, 0x20, 5),
            edge(0x20, 0x10, 6),
            edge(0x20, 0x30, 6),
        ];
        assert_eq!(blocking(&edges), [vec![0, 1]]);
    }

    #[test]
    fn one_goroutine_alone_is_no_inversion_unless_another_shares_an_edge() {
        let mut edges = [edge(0x10, 0x20, 5), edge(0x20, 0x10, 5)];
        assert!(blocking(&edges).is_empty());
        edges[1].shared = true;
        assert_eq!(blocking(&edges), [vec![0, 1]]);
    }

    #[test]
    fn two_read_holds_of_one_rwmutex_do_not_conflict() {
        // G5 read-holds 0x10 and wants 0x20; G6 holds 0x20 and read-locks 0x10.
        let mut edges = [edge(0x10, 0x20, 5), edge(0x20, 0x10, 6)];
        edges[0].from_mode = RawMode::Read;
        edges[1].to_mode = RawMode::Read;
        assert!(blocking(&edges).is_empty());
        // A writer on either side conflicts.
        edges[1].to_mode = RawMode::Write;
        assert_eq!(blocking(&edges), [vec![0, 1]]);
    }

    #[test]
    fn a_common_gate_lock_keeps_the_orders_apart() {
        let mut edges = [edge(0x10, 0x20, 5), edge(0x20, 0x10, 6)];
        edges[0].gates = vec![0x90];
        edges[1].gates = vec![0x80, 0x90];
        assert!(blocking(&edges).is_empty());
        edges[1].gates = vec![0x80];
        assert_eq!(blocking(&edges), [vec![0, 1]]);
    }

    #[test]
    fn three_locks_in_a_ring_are_found_once() {
        let edges = [
            edge(0x30, 0x10, 7),
            edge(0x10, 0x20, 5),
            edge(0x20, 0x30, 6),
        ];
        assert_eq!(blocking(&edges), [vec![1, 2, 0]]);
    }
}
