//! Classes decided by the shape of the wait-for graph ([`crate::graph`]): which goroutine waits
//! on which lock instance and who holds it. The shape is the same whether the run ended in a
//! whole-program deadlock or left goroutines behind after a test returned, and goroutines
//! outside it (a bystander that exited, a test goroutine waiting for the victims) do not change
//! it. Also the graph in words, for the report.

use std::collections::BTreeSet;

use serde::Serialize;

use super::rules::{Facts, Finding};
use crate::evidence::world::World;
use crate::graph::{Graph, Kind, Mode, Op, Shape};
use crate::vocabulary::Outcome;

/// The wait-for graph with stable names: what the text report, `--json` and the HTML page show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitFor {
    /// One sentence per edge, goroutines in name order: `G4 waits to lock mutex #1, held by
    /// G2 since store/store.go:40`.
    pub lines: Vec<String>,
    pub instances: Vec<NamedInstance>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedInstance {
    pub label: String,
    pub kind: Kind,
    pub channel: Option<crate::graph::ChannelState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "edge", rename_all = "kebab-case")]
pub enum Edge {
    WaitsOn {
        goroutine: String,
        op: Op,
        instance: String,
    },
    HeldBy {
        instance: String,
        goroutine: String,
        mode: Mode,
        since: Option<String>,
        alive: bool,
        returned: bool,
    },
}

/// The goroutines the shape is looked for among: every scenario goroutine still alive.
fn alive(world: &World) -> BTreeSet<u64> {
    world
        .goroutines
        .iter()
        .filter(|g| !g.exited)
        .map(|g| g.id)
        .collect()
}

/// Instance labels by the order of the goroutines' stable names.
fn labels(graph: &Graph, world: &World) -> Vec<String> {
    graph.labels(|id| {
        let position = world
            .goroutines
            .iter()
            .position(|g| g.id == id)
            .unwrap_or(usize::MAX);
        (position, world.name(Some(id)))
    })
}

/// The graph in words and as data; `None` when the run left no instance evidence.
pub fn describe(graph: &Graph, world: &World) -> Option<WaitFor> {
    if graph.is_empty() {
        return None;
    }
    let labels = labels(graph, world);
    let name = |id: u64| world.name(Some(id));
    let mut goroutines: Vec<u64> = graph
        .waits
        .iter()
        .map(|w| w.goroutine)
        .chain(graph.holds.iter().map(|h| h.goroutine))
        .filter(|id| world.get(*id).is_some())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    goroutines.sort_by_key(|id| world.goroutines.iter().position(|g| g.id == *id));
    // One predicate per goroutine (a select's cases joined with "or"), then goroutines with
    // the same predicate folded into one line: a pile of identical senders stays one line.
    let mut predicates: Vec<(String, String)> = Vec::new();
    let mut edges = Vec::new();
    for &g in &goroutines {
        let mut cases = Vec::new();
        // A select's cases in label order: the runtime lists them in lock (address) order.
        let mut waits: Vec<&crate::graph::Wait> = graph.waits_of(g).collect();
        waits.sort_by_key(|w| label_number(&labels[w.instance]));
        for wait in waits {
            let label = &labels[wait.instance];
            let holders: Vec<String> = graph
                .holders_of(wait.instance)
                .map(|h| holder_phrase(h, &name))
                .collect();
            let channel = graph.instances[wait.instance]
                .channel
                .map(|c| {
                    let mut state = format!(" (cap {}, len {}", c.capacity, c.length);
                    if c.closed {
                        state.push_str(", closed");
                    }
                    if c.timer {
                        state.push_str(", a timer's");
                    }
                    if c.timer_pending == Some(false) {
                        state.push_str(", not pending");
                    }
                    state + ")"
                })
                .unwrap_or_default();
            let held = if holders.is_empty() {
                String::new()
            } else {
                format!(", held by {}", holders.join(" and "))
            };
            cases.push(format!("{} {label}{channel}{held}", wait.op.waiting()));
            edges.push(Edge::WaitsOn {
                goroutine: name(g),
                op: wait.op,
                instance: label.clone(),
            });
        }
        if cases.is_empty() {
            continue;
        }
        let predicate = if cases.len() == 1 {
            cases.remove(0)
        } else {
            let options: Vec<String> = cases
                .iter()
                .map(|c| c.trim_start_matches("waits ").to_string())
                .collect();
            format!("waits in a select {}", options.join(" or "))
        };
        predicates.push((name(g), predicate));
    }
    let mut lines = Vec::new();
    let mut done = vec![false; predicates.len()];
    for i in 0..predicates.len() {
        if done[i] {
            continue;
        }
        let same: Vec<usize> = (i..predicates.len())
            .filter(|&j| !done[j] && predicates[j].1 == predicates[i].1)
            .collect();
        for &j in &same {
            done[j] = true;
        }
        let names: Vec<&str> = same.iter().map(|&j| predicates[j].0.as_str()).collect();
        let predicate = &predicates[i].1;
        lines.push(if names.len() == 1 {
            format!("{} {predicate}", names[0])
        } else {
            format!(
                "{} {}",
                crate::evidence::world::name_ranges(&names, ", "),
                predicate.replacen("waits", "wait", 1)
            )
        });
    }
    for hold in &graph.holds {
        if world.get(hold.goroutine).is_none() {
            continue;
        }
        let label = &labels[hold.instance];
        if !graph.waits.iter().any(|w| w.instance == hold.instance) {
            lines.push(format!("{label} is held by {}", holder_phrase(hold, &name)));
        }
        edges.push(Edge::HeldBy {
            instance: label.clone(),
            goroutine: name(hold.goroutine),
            mode: hold.mode,
            since: hold.since.as_ref().map(ToString::to_string),
            alive: hold.alive,
            returned: !hold.in_acquirer,
        });
    }
    let instances = graph
        .instances
        .iter()
        .zip(&labels)
        .map(|(i, label)| NamedInstance {
            label: label.clone(),
            kind: i.kind,
            channel: i.channel,
        })
        .collect();
    if graph.overflow > 0 {
        lines.push(format!(
            "{} lock acquisitions were not recorded (the runtime's table was full): holders may be missing",
            graph.overflow
        ));
    }
    Some(WaitFor {
        lines,
        instances,
        edges,
    })
}

/// `(kind, n)` of a label `kind #n`, so that `#10` sorts after `#9`.
fn label_number(label: &str) -> (&str, usize) {
    let (kind, n) = label.split_once(" #").unwrap_or((label, ""));
    (kind, n.parse().unwrap_or(0))
}

/// `G2 (write, since store/store.go:40, returned)`.
fn holder_phrase(hold: &crate::graph::Hold, name: &impl Fn(u64) -> String) -> String {
    let mut parts = vec![match hold.mode {
        Mode::Read => "read".to_string(),
        Mode::Write => "write".to_string(),
    }];
    if let Some(since) = &hold.since {
        parts.push(format!("since {since}"));
    }
    if !hold.alive {
        parts.push("exited".into());
    } else if !hold.in_acquirer {
        parts.push("returned".into());
    }
    format!("{} ({})", name(hold.goroutine), parts.join(", "))
}

/// The class the graph's shape decides, for a run that ended with goroutines stuck.
pub fn finding(facts: &Facts) -> Option<Finding> {
    if !matches!(
        facts.outcome,
        Outcome::Deadlock | Outcome::Leak | Outcome::Timeout
    ) {
        return None;
    }
    let graph = facts.graph;
    let world = facts.world;
    let shape = graph.shape(&alive(world))?;
    let labels = labels(graph, world);
    let name = |id: u64| world.name(Some(id));
    let at = |id: u64| {
        world
            .get(id)
            .and_then(|g| g.final_at.as_ref())
            .map(|l| format!(" at {l}"))
            .unwrap_or_default()
    };
    let since = |instance: usize, goroutine: u64| {
        graph
            .holders_of(instance)
            .find(|h| h.goroutine == goroutine)
            .and_then(|h| h.since.as_ref())
            .map(|l| format!(" at {l}"))
            .unwrap_or_default()
    };
    match shape {
        Shape::SelfWait {
            goroutine: g,
            instance,
            held,
            wants,
        } => {
            let lock = &labels[instance];
            let kind = graph.instances[instance].kind;
            let took = since(instance, g);
            let once = kind == Kind::Once
                || graph.holders_of(instance).any(|h| {
                    h.goroutine == g
                        && h.function
                            .as_deref()
                            .is_some_and(|f| f.contains("(*Once).doSlow"))
                });
            let observation = format!(
                "{} {} {lock}{} and holds it itself ({}, taken{took})",
                name(g),
                wants.waiting(),
                at(g),
                if held == Mode::Read { "read" } else { "write" },
            );
            let (class, explanation) = if once {
                (
                    "once.recursive-do",
                    format!(
                        "{} called sync.Once.Do, and the function it passed calls Do on the same Once \
                         again{}: the inner Do waits for the outer one to finish, which waits for the \
                         inner one. Once is not reentrant: take the work the function does out of the \
                         Once, or use a separate Once for the inner step.",
                        name(g),
                        at(g)
                    ),
                )
            } else if held == Mode::Read && wants == Op::Lock {
                (
                    "rwmutex.rlock-upgrade",
                    format!(
                        "{} holds a read lock on {lock}{took} and asks for its write lock{}, as if it \
                         could upgrade. Lock waits until every reader has called RUnlock, and one of \
                         them is the goroutine waiting: it waits for itself. Release the read lock \
                         before Lock, then re-check the condition under the write lock.",
                        name(g),
                        at(g)
                    ),
                )
            } else {
                (
                    "mutex.double-lock",
                    format!(
                        "{} locked {lock}{took} and, still holding it, asks for it again{}{}. Go's \
                         mutexes are not reentrant and do not know their holder, so the second \
                         request waits for an Unlock that only the waiting goroutine could make. Let \
                         helpers called under the lock assume it is held (a `...Locked` variant that \
                         never locks), and lock only at the entry points.",
                        name(g),
                        at(g),
                        if wants == Op::RLock {
                            " as a read lock"
                        } else {
                            ""
                        }
                    ),
                )
            };
            Some(Finding {
                class,
                observations: vec![observation],
                explanation,
            })
        }
        Shape::RecursiveRead {
            reader,
            writer,
            instance,
        } => {
            let lock = &labels[instance];
            Some(Finding {
                class: "rwmutex.recursive-rlock",
                observations: vec![
                    format!(
                        "{} waits to read-lock {lock}{} and already holds a read lock on it (taken{})",
                        name(reader),
                        at(reader),
                        since(instance, reader)
                    ),
                    format!(
                        "{} waits to lock {lock}{}: a pending writer, which makes new readers queue",
                        name(writer),
                        at(writer)
                    ),
                ],
                explanation: format!(
                    "{} holds a read lock on {lock} and asks for another. Between the two, {} asked \
                     for the write lock: a pending writer blocks new readers, and it waits for {}'s \
                     first read lock, which is released only after the second one is granted. Never \
                     take a read lock while holding one on the same RWMutex: pass the state down, or \
                     split the function into a locking wrapper and a `...Locked` body.",
                    name(reader),
                    name(writer),
                    name(reader)
                ),
            })
        }
        Shape::LockCycle { steps } => {
            let observations = steps
                .iter()
                .enumerate()
                .map(|(i, (g, instance))| {
                    let (holder, _) = steps[(i + 1) % steps.len()];
                    format!(
                        "{} waits to lock {}{}, held by {} (taken{})",
                        name(*g),
                        labels[*instance],
                        at(*g),
                        name(holder),
                        since(*instance, holder)
                    )
                })
                .collect();
            let who: Vec<String> = steps.iter().map(|(g, _)| name(*g)).collect();
            Some(Finding {
                class: "mutex.lock-order-inversion",
                observations,
                explanation: format!(
                    "{} each hold one lock and wait for one the other holds: they took the same \
                     locks in opposite orders, and each got its first before the other asked for \
                     it. Take locks in one global order (by account id, by address, by a fixed \
                     hierarchy), or take them together under a single lock.",
                    crate::evidence::world::name_list(&who, " and ")
                ),
            })
        }
        Shape::HeldAcross { .. } => held_across(facts, &labels, &shape),
        Shape::StaleTimer {
            goroutine: g,
            instance,
        } => Some(Finding {
            class: "timer.drain-after-receive",
            observations: vec![format!(
                "{} waits to receive from {}{}: a timer's channel, empty, whose timer is no \
                 longer pending (it fired or was stopped), so nothing will ever send on it",
                name(g),
                labels[instance],
                at(g)
            )],
            explanation: format!(
                "{} drains a timer's channel (`<-timer.C`) that has nothing left to give: the \
                 timer already fired and its value was received (often by the same loop's \
                 select, which is how it noticed), or it was stopped before firing. `if \
                 !t.Stop() {{ <-t.C }}` is right only when nothing else can have received the \
                 value. Since Go 1.23 a timer's channel holds no stale value after Stop or Reset: \
                 drop the drain and call Reset (or Stop) alone; where it must stay, drain without \
                 blocking (`select {{ case <-t.C: default: }}`).",
                name(g)
            ),
        }),
        Shape::WaitCycle { steps } => {
            let next = |i: usize| steps[(i + 1) % steps.len()].0;
            let signaller = steps.iter().enumerate().find(|&(i, &(_, _, op))| {
                op == Op::Wait && matches!(steps[(i + 1) % steps.len()].2, Op::Send | Op::Receive)
            });
            if signaller.is_none() && steps.iter().any(|&(_, _, op)| op == Op::Wait) {
                return None;
            }
            let observations = steps
                .iter()
                .enumerate()
                .map(|(i, &(g, instance, op))| {
                    let role = match op {
                        Op::Send => "receive from it",
                        Op::Receive => "send on or close it",
                        _ => "signal it",
                    };
                    format!(
                        "{} {} {}{}; {} still reaches it and could {role}, but is stuck too",
                        name(g),
                        op.waiting(),
                        labels[instance],
                        at(g),
                        name(next(i)),
                    )
                })
                .collect();
            let who: Vec<String> = steps.iter().map(|&(g, _, _)| name(g)).collect();
            let who = crate::evidence::world::name_list(&who, " and ");
            Some(match signaller {
                Some((i, &(waiter, cond, _))) => {
                    let (signaller, blocked_on, op) = steps[(i + 1) % steps.len()];
                    Finding {
                        class: "cond.signaller-blocked-on-waiter",
                        observations,
                        explanation: format!(
                            "{} waits in Cond.Wait on {} for a signal that {} would send, but {} \
                             is blocked first in a {} on {} that only {} would complete, after \
                             its Wait returns: {who} wait for each other, and no Signal comes. \
                             Signal (after updating the condition under the lock) before any \
                             operation that needs the waiter, or let the waiter drain the \
                             channel before it waits; often the channel's close can be the \
                             completion signal and the Cond can go.",
                            name(waiter),
                            labels[cond],
                            name(signaller),
                            name(signaller),
                            if op == Op::Send { "send" } else { "receive" },
                            labels[blocked_on],
                            name(waiter),
                        ),
                    }
                }
                None => Finding {
                    class: "chan.circular-wait",
                    observations,
                    explanation: format!(
                        "{who} wait for each other over channels: each is blocked in a channel \
                         operation that only the next one could complete, and that one is blocked \
                         in its own. An unbuffered send waits for its receive, so goroutines that \
                         all send first (or all receive first) never meet. Break the cycle: let \
                         one side receive before it sends, send from a goroutine of its own, or \
                         buffer each channel for every send made before its receive."
                    ),
                },
            })
        }
        Shape::Abandoned {
            instance,
            holder,
            holder_alive,
            waiters,
        } => {
            let waiting: Vec<String> = waiters.iter().map(|&g| name(g)).collect();
            let kind = graph.instances[instance].kind;
            if !matches!(kind, Kind::Mutex | Kind::RwMutex) {
                return None;
            }
            if waiters.contains(&holder) {
                return Some(relock_after_skipped_unlock(
                    &labels[instance],
                    &name(holder),
                    &since(instance, holder),
                    &at(holder),
                    &waiting,
                ));
            }
            Some(Finding {
                class: "mutex.unlock-skipped-on-return",
                observations: vec![
                    format!(
                        "{} {} to lock {}{}",
                        crate::evidence::world::name_list(&waiting, ", "),
                        if waiting.len() == 1 { "waits" } else { "wait" },
                        labels[instance],
                        waiters.first().map(|&g| at(g)).unwrap_or_default()
                    ),
                    format!(
                        "{} took {}{} and {} without unlocking it",
                        name(holder),
                        labels[instance],
                        since(instance, holder),
                        if holder_alive { "returned" } else { "exited" }
                    ),
                ],
                explanation: format!(
                    "{} took the lock{} and left the function that took it without unlocking, on a \
                     path that skips the Unlock (typically an early return on an error path). A \
                     mutex has no owner and is not released when its holder returns or exits, so \
                     every later Lock waits forever. Unlock with `defer mu.Unlock()` right after \
                     the Lock, so every return path releases it.",
                    name(holder),
                    since(instance, holder)
                ),
            })
        }
    }
}

/// A holder blocked on a channel, Cond or WaitGroup while the goroutines that could wake it wait
/// for the lock it holds: one class per way of blocking (send, receive, wait).
fn held_across(facts: &Facts, labels: &[String], shape: &Shape) -> Option<Finding> {
    let &Shape::HeldAcross {
        holder,
        lock,
        blocked_on,
        op,
        ref waiters,
    } = shape
    else {
        return None;
    };
    let graph = facts.graph;
    let world = facts.world;
    let name = |id: u64| world.name(Some(id));
    let at = world
        .get(holder)
        .and_then(|g| g.final_at.as_ref())
        .map(|l| format!(" at {l}"))
        .unwrap_or_default();
    let hold = graph.holders_of(lock).find(|h| h.goroutine == holder)?;
    let took = hold
        .since
        .as_ref()
        .map(|l| format!(" at {l}"))
        .unwrap_or_default();
    let lock_label = &labels[lock];
    let waiting: Vec<String> = waiters.iter().map(|&g| name(g)).collect();
    let waiters_line = format!(
        "{} {} to lock {lock_label}",
        crate::evidence::world::name_list(&waiting, ", "),
        if waiting.len() == 1 { "waits" } else { "wait" },
    );
    let holder_name = name(holder);
    // A select's cases, in label order (the runtime lists them in address order).
    let mut cases: Vec<String> = graph
        .waits_of(holder)
        .filter(|w| w.op == op)
        .map(|w| labels[w.instance].clone())
        .collect();
    cases.sort_by(|a, b| label_number(a).cmp(&label_number(b)));
    let (class, blocked, explanation) = match op {
        Op::Send => (
            "mutex.held-across-send",
            format!("waits to send on {}", labels[blocked_on]),
            format!(
                "{holder_name} sends while holding {lock_label}, and the goroutines that would take \
                 the value first need that lock. Nothing else can make room in the channel, so \
                 neither side moves. Do not send (or block in any way) while holding a lock: copy \
                 what you need, unlock, then send; or give the channel enough buffer for every \
                 send made under the lock."
            ),
        ),
        Op::Receive => (
            "mutex.held-across-receive",
            if cases.len() > 1 {
                format!(
                    "waits in a select to receive from {}",
                    crate::evidence::world::name_list(&cases, " or ")
                )
            } else {
                format!("waits to receive from {}", labels[blocked_on])
            },
            format!(
                "{holder_name} receives while holding {lock_label}, and the goroutines that would \
                 send need that lock before they send. The value can only come after the Unlock, \
                 and the Unlock only after the value: neither side moves. Do not receive (or \
                 block in any way) while holding a lock: receive first, then lock to use what \
                 arrived; or let the senders send before they take the lock."
            ),
        ),
        Op::Wait if graph.instances[blocked_on].kind == Kind::Cond => (
            "mutex.held-across-wait",
            format!("waits on {}", labels[blocked_on]),
            format!(
                "{holder_name} waits on {} while holding {lock_label}{}. Cond.Wait releases only \
                 the Cond's own lock (its L), not {lock_label}, and the goroutines that would \
                 signal need {lock_label} before they signal{}: the waiter waits for the \
                 signaller, the signaller for the waiter. Wait for the condition before taking \
                 {lock_label} (or unlock it around the wait and re-check after), or guard the \
                 state with the Cond's own lock.",
                labels[blocked_on],
                read_hold(hold.mode),
                writer_note(hold.mode),
            ),
        ),
        Op::Wait if graph.instances[blocked_on].kind == Kind::WaitGroup => (
            "mutex.held-across-wait",
            format!("waits on {}", labels[blocked_on]),
            format!(
                "{holder_name} waits on {} while holding {lock_label}{}, and the goroutines whose \
                 Done would release the Wait need {lock_label} before they call Done{}: the Wait \
                 waits for them, they wait for the Unlock that comes after the Wait. Do not hold \
                 a lock across WaitGroup.Wait: unlock before Wait and lock again after it \
                 returns, or let the workers hand their results back without the lock.",
                labels[blocked_on],
                read_hold(hold.mode),
                writer_note(hold.mode),
            ),
        ),
        Op::Wait | Op::Lock | Op::RLock => return None,
    };
    Some(Finding {
        class,
        observations: vec![
            format!(
                "{holder_name} holds {lock_label} ({}taken{took}) and {blocked}{at}",
                match hold.mode {
                    Mode::Read => "read, ",
                    Mode::Write => "",
                }
            ),
            waiters_line,
        ],
        explanation,
    })
}

/// ` (a read lock)` after the lock's label when the holder only reads.
fn read_hold(mode: Mode) -> &'static str {
    match mode {
        Mode::Read => " (a read lock)",
        Mode::Write => "",
    }
}

/// Why a read lock is enough to block the waker.
fn writer_note(mode: Mode) -> &'static str {
    match mode {
        Mode::Read => " (a writer's Lock waits until every reader has left)",
        Mode::Write => "",
    }
}

/// `Abandoned` where the holder is itself a waiter: it left the critical section (a return, or
/// a loop's next round) without unlocking, then asked for the lock again.
fn relock_after_skipped_unlock(
    lock: &str,
    holder: &str,
    took: &str,
    at: &str,
    waiting: &[String],
) -> Finding {
    let mut observations = vec![format!(
        "{holder} took {lock}{took}, left that critical section without unlocking it (the \
         function that took it returned, or its loop came back to the same Lock), and waits to \
         lock it again{at}"
    )];
    let others: Vec<String> = waiting.iter().filter(|w| *w != holder).cloned().collect();
    if !others.is_empty() {
        observations.push(format!(
            "{} {} to lock {lock} too",
            super::world::name_list(&others, ", "),
            if others.len() == 1 { "waits" } else { "wait" }
        ));
    }
    Finding {
        class: "mutex.unlock-skipped-on-return",
        observations,
        explanation: format!(
            "{holder} took {lock}{took} and left the code that took it on a path that skips the \
             Unlock (an early return on an error path, a `continue` or `break` before the \
             Unlock). A mutex has no owner and is not released when that code is left, so \
             {holder}'s next Lock{at} waits for an Unlock that only {holder} could have made, \
             and so does every later Lock. Unlock with `defer mu.Unlock()` right after the \
             Lock (in a loop, move the body into a function), so every path releases it."
        ),
    }
}
