//! The classification rules, most specific first. Each rule looks at the facts, and if the
//! evidence it needs is present, names the class, lists the observations it rests on and
//! explains them in words. The first rule that fires decides.

use std::time::Duration;

use super::{Failure, Latency, Primitive, StuckGroup};
use crate::evidence::crash::{FatalKind, PanicKind};
use crate::evidence::trace::{GoState, Trace, TraceFrame, Transition};
use crate::evidence::world::{self, Gor, Loc, UserCode, World};
use crate::evidence::{Evidence, VerdictKind};
use crate::vocabulary::Outcome;

/// What the rules look at.
pub struct Facts<'a> {
    pub evidence: &'a Evidence,
    pub world: &'a World,
    pub graph: &'a crate::graph::Graph,
    pub outcome: Outcome,
    pub stuck: &'a [StuckGroup],
    pub failure: Option<&'a Failure>,
}

/// A rule's conclusion.
pub struct Finding {
    pub class: &'static str,
    pub observations: Vec<String>,
    pub explanation: String,
}

type Rule = fn(&Facts) -> Option<Finding>;

/// In order: specific stories first, then what the stuck primitive alone says.
const RULES: &[(&str, Rule)] = &[
    ("waitgroup reused or added to concurrently", wg_reused),
    ("panic message", panic_message),
    ("fatal message", fatal_message),
    ("data race", data_race),
    ("wait-for graph shape", super::shapes::finding),
    ("cond wait without loop", cond_wait_without_loop),
    ("context result send gap", ctx_result_send_gap),
    ("context cancel before or after the block", ctx_cancel_order),
    ("buffered channel full", buffer_full),
    ("once recursion", once_recursion),
    ("range over a channel never closed", range_not_closed),
    ("signal instead of broadcast", signal_not_broadcast),
    ("cond signalled before the wait", lost_wakeup),
    ("lock and channel cycles", blocking_cycles),
    ("lock held by the goroutine itself", self_deadlock),
    ("lock left held by an exited goroutine", unlock_skipped),
    ("ticker loop left behind", ticker_leak),
    ("copied lock", copied_lock),
    ("cancel never called", cancel_never_called),
    ("stuck primitive", stuck_primitive),
    ("add inside the goroutine", add_inside_goroutine),
    ("starvation", starvation),
    ("select default drop", select_default_drop),
    ("invariant violated", invariant_violated),
    ("runtime failure", runtime_failure),
    ("no progress", no_progress),
];

pub fn decide(facts: &Facts) -> Option<Finding> {
    RULES.iter().find_map(|(_, rule)| rule(facts))
}

/// The runtime's two WaitGroup misuse panics come from one race (an Add from zero against the
/// Done that releases the waiters), and which message a run prints is luck. The trace's order
/// decides: if the waiter had been released (its Wait woken by a Done) before the panic, the
/// Add came while that Wait was waking: a reuse before Wait returned. If it was still parked,
/// nothing had released it yet: the Add ran concurrently with the Wait (and the Done).
fn wg_reused(facts: &Facts) -> Option<Finding> {
    let panic = facts.evidence.stderr.panic.as_ref()?;
    if !matches!(
        panic.kind(),
        PanicKind::WaitGroupReused | PanicKind::WaitGroupMisuse
    ) {
        return None;
    }
    let failure = facts.failure?;
    let world = facts.world;
    let who = failure
        .goroutine
        .clone()
        .unwrap_or_else(|| "a goroutine".into());
    let panicked = format!(
        "{who} panicked{}: {}",
        at_suffix(failure.at.as_deref()),
        panic.message
    );
    // The waiter: the panicking goroutine if it waited, else any goroutine parked in Wait.
    let is_wait =
        |t: &Transition| super::timeline::block_reason(t).as_deref() == Some("sync.WaitGroup.Wait");
    let waiters = panic
        .goroutine
        .into_iter()
        .chain(world.goroutines.iter().map(|g| g.id));
    let waiting = waiters.into_iter().find_map(|id| {
        let history = world.history(id);
        let (i, wait) = history.iter().enumerate().rev().find(|(_, t)| {
            t.from == GoState::Running && is_wait(t) && !in_panic(&t.transition_stack)
        })?;
        let wake = history[i + 1..]
            .iter()
            .find(|t| t.from == GoState::Waiting && t.to == GoState::Runnable);
        Some((id, wait, wake))
    });
    let Some((waiter, wait, wake)) = waiting else {
        // No trace of the Wait: only the (racy) message is left, and the diagnosis says so.
        let class = if panic.kind() == PanicKind::WaitGroupReused {
            "wg.reuse-before-wait-returned"
        } else {
            "wg.add-concurrent-with-wait"
        };
        return Some(Finding {
            class,
            observations: vec![
                panicked,
                "no trace of the Wait: the class rests on the runtime's message alone, which is racy between reuse and concurrent Add".into(),
            ],
            explanation: format!(
                "{who} panicked: {}. The WaitGroup got an Add from zero while a Wait was still in \
                 progress. Every Add that starts from zero must happen before the Wait, and a \
                 WaitGroup may be reused only after every Wait of the previous round has returned.",
                panic.message
            ),
        });
    };
    let waiter_name = world.name(Some(waiter));
    let wait_at = user_loc(world, &wait.transition_stack).map(|l| l.to_string());
    match wake {
        Some(wake) => {
            let waker = world.name(wake.actor);
            let observations = vec![
                panicked,
                format!(
                    "trace: {waiter_name} was parked in WaitGroup.Wait{} until {waker}{} released it",
                    at_suffix(wait_at.as_deref()),
                    at_suffix(
                        user_loc(world, &wake.stack)
                            .as_ref()
                            .map(Loc::to_string)
                            .as_deref()
                    ),
                ),
            ];
            Some(Finding {
                class: "wg.reuse-before-wait-returned",
                observations,
                explanation: format!(
                    "{waiter_name} was waiting in WaitGroup.Wait. {waker}'s Done brought the counter \
                     to zero and released {waiter_name}, but the WaitGroup was given new work (Add) \
                     before {waiter_name}'s Wait had returned; on waking, Wait found the counter \
                     non-zero again and panicked. A WaitGroup may only be reused once every Wait of \
                     the previous round has returned: start the next round after the waiter is \
                     done, or use a fresh WaitGroup per round."
                ),
            })
        }
        None => Some(Finding {
            class: "wg.add-concurrent-with-wait",
            observations: vec![
                panicked,
                format!(
                    "trace: {waiter_name} was still parked in WaitGroup.Wait{} when {who} panicked: no Done had released it yet",
                    at_suffix(wait_at.as_deref())
                ),
            ],
            explanation: format!(
                "{waiter_name} was parked in WaitGroup.Wait{} and {who}'s Add started the counter \
                 from zero again while the Done that was releasing {waiter_name} had not finished: \
                 the Add ran concurrently with the Wait, and the runtime panicked. An Add that \
                 starts from zero must happen before Wait (call Add before the `go` statement, \
                 not inside the goroutine, and never while someone waits).",
                at_suffix(wait_at.as_deref())
            ),
        }),
    }
}

/// Panics whose message alone names the class.
fn panic_message(facts: &Facts) -> Option<Finding> {
    let panic = facts.evidence.stderr.panic.as_ref()?;
    let (class, what, fix) = match panic.kind() {
        PanicKind::SendOnClosed => (
            "chan.send-on-closed",
            "sent on a channel that had already been closed",
            "Only the sending side may close a channel, and only after every send has finished: \
             stop the producers first (or signal them through a separate done channel), then close.",
        ),
        PanicKind::CloseOfClosed => (
            "chan.close-of-closed",
            "closed a channel that was already closed",
            "Give the channel one owner that closes it exactly once, or guard the close with a \
             sync.Once.",
        ),
        PanicKind::CloseOfNil => (
            "chan.close-of-nil",
            "closed a nil channel (one that was never made)",
            "Make the channel before anything can close it (in the constructor).",
        ),
        PanicKind::WaitGroupNegative => (
            "wg.negative-counter",
            "called Done more often than Add: the WaitGroup counter went negative",
            "Pair every Add(1) with exactly one Done, typically `defer wg.Done()` at the top of \
             the goroutine and nowhere else.",
        ),
        _ => return None,
    };
    let failure = facts.failure?;
    let who = failure
        .goroutine
        .clone()
        .unwrap_or_else(|| "a goroutine".into());
    let at = at_suffix(failure.at.as_deref());
    Some(Finding {
        class,
        observations: vec![format!("{who} panicked{at}: {}", panic.message)],
        explanation: format!("{who} {what}{at}, and the runtime panicked. {fix}"),
    })
}

/// Fatal errors whose message (and the failing goroutine's stack) name the class.
fn fatal_message(facts: &Facts) -> Option<Finding> {
    let stderr = &facts.evidence.stderr;
    let kind = stderr.fatal_kind()?;
    // The message decides the class; who raised it and where only tell the story (a dump the
    // runtime could not finish leaves them unknown).
    let failure = facts.failure;
    let who = failure
        .and_then(|f| f.goroutine.clone())
        .unwrap_or_else(|| "a goroutine".into());
    let at = at_suffix(failure.and_then(|f| f.at.as_deref()));
    let message = failure.map_or_else(
        || stderr.fatal.clone().unwrap_or_default(),
        |f| f.message.clone(),
    );
    let observation = format!("{who}: fatal error{at}: {message}");
    let (class, explanation) = match kind {
        FatalKind::UnlockOfUnlocked
        | FatalKind::RUnlockOfUnlocked
        | FatalKind::UnlockOfUnlockedRw => {
            let in_cond_wait = failing_frames(facts)
                .iter()
                .any(|f| f == "sync.(*Cond).Wait");
            if in_cond_wait {
                (
                    "cond.wait-without-lock",
                    format!(
                        "{who} called Cond.Wait{at} without holding the Cond's lock. Wait starts by \
                         unlocking c.L, and unlocking a mutex that is not locked is a fatal error \
                         (it cannot be recovered). Lock c.L before Wait, and re-check the condition \
                         in a loop: `c.L.Lock(); for !cond() {{ c.Wait() }}; ...; c.L.Unlock()`."
                    ),
                )
            } else {
                (
                    "mutex.unlock-of-unlocked",
                    format!(
                        "{who} unlocked a mutex that was not locked{at}, typically a second Unlock \
                         on some path (an explicit Unlock plus a deferred one). This is a fatal \
                         error, not a panic: it cannot be recovered. Unlock exactly once per Lock, \
                         preferably only with `defer mu.Unlock()` right after the Lock."
                    ),
                )
            }
        }
        FatalKind::ConcurrentMapWrites
        | FatalKind::ConcurrentMapReadWrite
        | FatalKind::ConcurrentMapIterationWrite => (
            "map.concurrent-writes",
            format!(
                "Several goroutines used a map at the same time, at least one of them writing; the \
                 runtime noticed{at} and stopped the program with a fatal error (not recoverable). \
                 Go maps are not safe for concurrent use: guard the map with a sync.Mutex (or \
                 RWMutex), or give it a single owning goroutine."
            ),
        ),
        _ => return None,
    };
    Some(Finding {
        class,
        observations: vec![observation],
        explanation,
    })
}

/// The functions on the stack of the goroutine that failed, from the runtime's dump.
fn failing_frames(facts: &Facts) -> Vec<String> {
    let stderr = &facts.evidence.stderr;
    stderr
        .dump
        .goroutines
        .iter()
        .find(|g| Some(g.id) == stderr.fatal_goroutine)
        .map(|g| g.frames.iter().map(|f| f.function.clone()).collect())
        .unwrap_or_default()
}

fn once_recursion(facts: &Facts) -> Option<Finding> {
    let world = facts.world;
    let g = world.goroutines.iter().find(|g| {
        !g.exited
            && g.final_state.as_deref() == Some("sync.Mutex.Lock")
            && g.final_frames
                .iter()
                .filter(|f| *f == "sync.(*Once).doSlow")
                .count()
                >= 2
    })?;
    let at = g.final_at.as_ref().map(Loc::to_string);
    Some(Finding {
        class: "once.recursive-do",
        observations: vec![format!(
            "{} blocked in sync.Mutex.Lock{} with sync.(*Once).doSlow twice on its stack",
            g.name,
            at_suffix(at.as_deref())
        )],
        explanation: format!(
            "{} is inside Once.Do, and the function it runs called Do on the same Once again{}. \
             The inner Do waits for the outer one to finish (it takes the Once's mutex), and the \
             outer one waits for the inner: the goroutine deadlocks on itself. The function passed \
             to Do must not re-enter that Once; initialise directly instead of through the getter.",
            g.name,
            at_suffix(at.as_deref())
        ),
    })
}

fn range_not_closed(facts: &Facts) -> Option<Finding> {
    if !matches!(facts.outcome, Outcome::Leak | Outcome::Deadlock) {
        return None;
    }
    let world = facts.world;
    for g in world.stuck_in("chan receive") {
        let Some(at) = &g.final_at else { continue };
        let history = world.history(g.id);
        // An earlier receive at the same line, woken by a goroutine that has since exited.
        let producer = history.iter().enumerate().find_map(|(i, t)| {
            let is_receive_here = t.to == GoState::Waiting
                && t.reason == "chan receive"
                && user_loc(world, &t.transition_stack).as_ref() == Some(at);
            if !is_receive_here {
                return None;
            }
            let wake = history[i + 1..]
                .iter()
                .find(|w| w.from == GoState::Waiting)?;
            wake.actor.and_then(|a| world.get(a)).filter(|p| p.exited)
        });
        // Or the other interleaving of the same hand-off: the producer blocked sending first
        // and this goroutine's receive at that line took the value and woke it.
        let producer = producer.or_else(|| {
            world.goroutines.iter().filter(|p| p.exited).find(|p| {
                let history = world.history(p.id);
                history.iter().enumerate().any(|(i, t)| {
                    t.to == GoState::Waiting
                        && t.reason == "chan send"
                        && history[i + 1..]
                            .iter()
                            .find(|w| w.from == GoState::Waiting)
                            .is_some_and(|w| {
                                w.actor == Some(g.id)
                                    && user_loc(world, &w.stack).as_ref() == Some(at)
                            })
                })
            })
        });
        let Some(producer) = producer else { continue };
        return Some(Finding {
            class: "chan.range-not-closed",
            observations: vec![
                format!("{} blocked in chan receive at {at}", g.name),
                format!(
                    "trace: {} had delivered values to {} there before, and has exited",
                    producer.name, g.name
                ),
            ],
            explanation: format!(
                "{} ranges over a channel at {at}. {} sent it values and then returned without \
                 closing the channel, so the loop never ends: {} waits for a next value or a close \
                 that will never come. The sender that finishes must close the channel (`defer \
                 close(ch)`), and whoever waits for the work must also wait for the consumer.",
                g.name, producer.name, g.name
            ),
        });
    }
    None
}

/// Goroutines stuck in Cond.Wait while a sibling running the same code was woken by Signal.
fn signal_not_broadcast(facts: &Facts) -> Option<Finding> {
    if !matches!(facts.outcome, Outcome::Leak | Outcome::Deadlock) {
        return None;
    }
    let world = facts.world;
    let sleepers = world.stuck_in("sync.Cond.Wait");
    let first = sleepers.first()?;
    let start = first.start.as_ref()?;
    let (woken, signal) = world
        .goroutines
        .iter()
        .filter(|g| {
            g.start.as_ref() == Some(start)
                && g.entry == first.entry
                && g.final_state.as_deref() != Some("sync.Cond.Wait")
        })
        .find_map(|g| {
            let wake = world.history(g.id).iter().find(|t| {
                t.from == GoState::Waiting && stack_has(&t.stack, "sync.(*Cond).Signal")
            })?;
            Some((g, wake))
        })?;
    // The order decides: the sleepers were already waiting when the Signal came.
    if !sleepers
        .iter()
        .all(|g| final_block(world, g.id).is_some_and(|block| block.time < signal.time))
    {
        return None;
    }
    let names: Vec<&str> = sleepers.iter().map(|g| g.name.as_str()).collect();
    let signaller = world.name(signal.actor);
    let signal_at = user_loc(world, &signal.stack).map(|l| l.to_string());
    let wait_at = sleepers[0].final_at.as_ref().map(Loc::to_string);
    Some(Finding {
        class: "cond.signal-not-broadcast",
        observations: vec![
            format!(
                "trace: {} blocked in sync.Cond.Wait{} before {signaller}'s Signal{}",
                names.join(", "),
                at_suffix(wait_at.as_deref()),
                at_suffix(signal_at.as_deref()),
            ),
            format!(
                "trace: {signaller}'s Signal{} woke {} only (same function: {})",
                at_suffix(signal_at.as_deref()),
                woken.name,
                world.user_code.short_function(start)
            ),
        ],
        explanation: format!(
            "Several goroutines running {} wait on the same sync.Cond. {signaller} changed the \
             condition and called Signal{}, which wakes exactly one waiter: {} went on, and {} \
             still sleep in Wait{} although the condition they wait for now holds. When a change \
             matters to every waiter, use Broadcast.",
            world.user_code.short_function(start),
            at_suffix(signal_at.as_deref()),
            woken.name,
            names.join(", "),
            at_suffix(wait_at.as_deref()),
        ),
    })
}

/// A goroutine stuck in Cond.Wait that blocked after another goroutine's Signal or Broadcast:
/// the notification came first and reached nobody. A Signal that wakes nobody leaves no trace
/// event, so the scenario labels it (`support.Step("Signal")`); without the label the fallback
/// rule still names the class, without the order.
fn lost_wakeup(facts: &Facts) -> Option<Finding> {
    if !matches!(facts.outcome, Outcome::Leak | Outcome::Deadlock) {
        return None;
    }
    let world = facts.world;
    let trace = facts.evidence.trace.parsed()?;
    for waiter in world.stuck_in("sync.Cond.Wait") {
        let Some(block) = final_block(world, waiter.id) else {
            continue;
        };
        let Some((signaller, log)) = trace
            .logs
            .iter()
            .filter(|l| {
                l.category == "gorepro"
                    && matches!(l.message.as_str(), "Signal" | "Broadcast")
                    && l.time < block.time
                    && l.goroutine != Some(waiter.id)
            })
            .filter_map(|l| Some((world.get(l.goroutine?)?, l)))
            .next_back()
        else {
            continue;
        };
        let op = &log.message;
        let signal_at = user_loc(world, &log.stack).map(|l| l.to_string());
        let wait_at = user_loc(world, &block.transition_stack).map(|l| l.to_string());
        let who = &waiter.name;
        let signaller = &signaller.name;
        return Some(Finding {
            class: "cond.wait-never-signalled",
            observations: vec![
                format!(
                    "{who} blocked in sync.Cond.Wait{}{}",
                    at_suffix(wait_at.as_deref()),
                    if waiter.leaked {
                        " (the goroutine-leak profile proves nothing can wake it)"
                    } else {
                        ""
                    }
                ),
                format!(
                    "trace: {who} blocked in sync.Cond.Wait{} after {signaller}'s {op}{}, which woke nobody",
                    at_suffix(wait_at.as_deref()),
                    at_suffix(signal_at.as_deref()),
                ),
            ],
            explanation: format!(
                "{signaller} called {op}{} before {who} was waiting, and a sync.Cond has no memory: \
                 {op} wakes only goroutines already in Wait, so it reached nobody. {who} then \
                 called Wait{} with nothing left that will signal again: a lost wakeup. Keep the \
                 state next to the Cond and wait in a loop on it, `for !ready {{ c.Wait() }}`, so \
                 a waiter that comes late does not wait at all.",
                at_suffix(signal_at.as_deref()),
                at_suffix(wait_at.as_deref()),
            ),
        });
    }
    None
}

/// A goroutine stuck on an operation that does not watch the context, and the order of its
/// block and the cancel: blocked first (the cancel came while it waited and woke nothing), or
/// cancelled first (the check-then-block gap). A cancel that wakes nobody leaves no trace
/// event, so the scenario labels it (`support.Step("cancel()")`).
fn ctx_cancel_order(facts: &Facts) -> Option<Finding> {
    if !matches!(facts.outcome, Outcome::Leak | Outcome::Deadlock) {
        return None;
    }
    let world = facts.world;
    let trace = facts.evidence.trace.parsed()?;
    let (canceller, cancel) = trace
        .logs
        .iter()
        .filter(|l| l.category == "gorepro" && l.message == "cancel()")
        .find_map(|l| Some((world.get(l.goroutine?)?, l)))?;
    let cancel_at = user_loc(world, &cancel.stack).map(|l| l.to_string());
    let blocked = world.goroutines.iter().find_map(|g| {
        if g.id == canceller.id || g.exited {
            return None;
        }
        let state = g.final_state.as_deref()?;
        if !matches!(
            Primitive::of_wait_reason(state),
            Primitive::Channel | Primitive::Select
        ) {
            return None;
        }
        Some((g, state, final_block(world, g.id)?))
    });
    let (g, state, block) = blocked?;
    let at = user_loc(world, &block.transition_stack).map(|l| l.to_string());
    let (who, by) = (&g.name, &canceller.name);
    let stuck = format!(
        "{who} is blocked forever in {state}{}",
        at_suffix(at.as_deref())
    );
    let cancelled = format!("{by}'s cancel(){}", at_suffix(cancel_at.as_deref()));
    if block.time < cancel.time {
        Some(Finding {
            class: "ctx.checked-before-block",
            observations: vec![
                stuck,
                format!(
                    "trace: {who} blocked{} before {cancelled}, and the cancel did not wake it",
                    at_suffix(at.as_deref())
                ),
            ],
            explanation: format!(
                "{who} blocked in {state}{} on an operation that does not watch the context. \
                 {cancelled} came while it was blocked, and a cancel only reaches goroutines that \
                 look at ctx.Done(): {who} had checked the context before blocking, and will never \
                 check it again. Make the blocking operation itself watch the context: \
                 `select {{ case v := <-ch: ...; case <-ctx.Done(): return }}`.",
                at_suffix(at.as_deref()),
            ),
        })
    } else {
        Some(Finding {
            class: "ctx.cancel-before-block",
            observations: vec![
                stuck,
                format!(
                    "trace: {cancelled} came before {who} blocked{}",
                    at_suffix(at.as_deref())
                ),
            ],
            explanation: format!(
                "The context was already cancelled ({cancelled}) when {who} blocked in {state}{}, \
                 on an operation that does not watch it: whatever check {who} made came before the \
                 cancel, and the cancel landed in the gap between that check and the block. \
                 Nobody is left to complete the operation. A check before a blocking call always \
                 leaves that gap; make the call watch the context: `select {{ case ch <- v: case \
                 <-ctx.Done(): }}`.",
                at_suffix(at.as_deref()),
            ),
        })
    }
}

/// The block a goroutine never came back from: its last block on a primitive, with no wake-up
/// after it.
fn final_block(world: &World, id: u64) -> Option<&Transition> {
    let history = world.history(id);
    let (i, block) = history.iter().enumerate().rev().find(|(_, t)| {
        t.from == GoState::Running
            && t.to == GoState::Waiting
            && super::timeline::block_reason(t).is_some()
            && !in_panic(&t.transition_stack)
    })?;
    let woken = history[i + 1..]
        .iter()
        .any(|t| t.from == GoState::Waiting && t.to == GoState::Runnable);
    (!woken).then_some(block)
}

/// Deadlocks whose shape names the cycle: who waits on a lock, who on a channel. The holders
/// of the locks are inferred to be among the blocked goroutines only when the trace shows no
/// scenario goroutine exited (an exited goroutine could have left a lock locked).
fn blocking_cycles(facts: &Facts) -> Option<Finding> {
    if facts.outcome != Outcome::Deadlock || facts.evidence.trace.parsed().is_none() {
        return None;
    }
    let world = facts.world;
    let nobody_exited = world.goroutines.iter().all(|g| !g.exited);
    let blocked = |reason: &str| world.stuck_in(reason);
    // "G2, G3 at x.go:13, G4 at y.go:9": goroutines at the same place named together.
    let describe = |gs: &[&Gor]| -> String {
        let mut places: Vec<(Option<String>, Vec<&str>)> = Vec::new();
        for g in gs {
            let at = g.final_at.as_ref().map(Loc::to_string);
            match places.iter_mut().find(|(place, _)| *place == at) {
                Some((_, names)) => names.push(&g.name),
                None => places.push((at, vec![&g.name])),
            }
        }
        places
            .iter()
            .map(|(at, names)| {
                format!(
                    "{}{}",
                    world::name_list(names, ", "),
                    at_suffix(at.as_deref())
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (readers, writers) = (blocked("sync.RWMutex.RLock"), blocked("sync.RWMutex.Lock"));
    // An exited reader that skipped RUnlock would block the writer the same way.
    if nobody_exited && !readers.is_empty() && !writers.is_empty() {
        return Some(Finding {
            class: "rwmutex.recursive-rlock",
            observations: vec![
                format!("{} blocked in RWMutex.RLock", describe(&readers)),
                format!("{} blocked in RWMutex.Lock", describe(&writers)),
                "trace: no scenario goroutine exited, so the read lock is held by a blocked goroutine".into(),
            ],
            explanation: format!(
                "{} asked for a read lock while a writer ({}) was waiting. A pending writer makes \
                 new readers queue behind it, so a goroutine that already holds a read lock and \
                 takes it again waits for the writer, which waits for the first read lock to be \
                 released: a deadlock. Never take an RLock recursively: let inner helpers assume \
                 the lock is held.",
                describe(&readers),
                describe(&writers)
            ),
        });
    }
    let lockers = blocked("sync.Mutex.Lock");
    let senders = blocked("chan send");
    if nobody_exited && lockers.len() >= 2 {
        return Some(Finding {
            class: "mutex.lock-order-inversion",
            observations: vec![
                format!("{} blocked in Mutex.Lock", describe(&lockers)),
                "trace: no scenario goroutine exited, so every held lock is held by a blocked goroutine".into(),
            ],
            explanation: format!(
                "{} each wait for a mutex, and the goroutines holding those mutexes are themselves \
                 among the waiters: each holds one lock and wants another held by the other \
                 (AB-BA). Take locks in one global order everywhere (for example by id), or hold \
                 only one at a time.",
                describe(&lockers)
            ),
        });
    }
    if nobody_exited && !lockers.is_empty() && !senders.is_empty() {
        return Some(Finding {
            class: "mutex.held-across-send",
            observations: vec![
                format!("{} blocked in chan send", describe(&senders)),
                format!("{} blocked in Mutex.Lock", describe(&lockers)),
                "trace: no scenario goroutine exited, so the mutex is held by a blocked goroutine"
                    .into(),
            ],
            explanation: format!(
                "{} waits to send while {} waits for a mutex; with every goroutine blocked and none \
                 gone, the sender is the one holding that mutex, and the goroutine that would \
                 receive needs it first. Never hold a lock across a blocking channel operation: \
                 copy what you need under the lock, unlock, then send.",
                describe(&senders),
                describe(&lockers)
            ),
        });
    }
    let waiter = blocked("sync.WaitGroup.Wait").into_iter().next()?;
    let children: Vec<&Gor> = senders
        .into_iter()
        .filter(|g| g.creator == Some(waiter.id))
        .collect();
    if children.is_empty() {
        return None;
    }
    let wait_at = waiter.final_at.as_ref().map(Loc::to_string);
    Some(Finding {
        class: "wg.wait-before-drain",
        observations: vec![
            format!(
                "{} blocked in WaitGroup.Wait{}",
                waiter.name,
                at_suffix(wait_at.as_deref())
            ),
            format!(
                "{} (created by {}) blocked in chan send",
                describe(&children),
                waiter.name
            ),
        ],
        explanation: format!(
            "{} waits for its workers to finish{} before reading their results, but the workers \
             ({}) can only finish once somebody receives their result: each side waits for the \
             other. Receive the results while waiting (range over the channel, and close it from a \
             goroutine after Wait), or make the channel big enough for every result.",
            waiter.name,
            at_suffix(wait_at.as_deref()),
            describe(&children)
        ),
    })
}

/// A goroutine left behind that timers keep waking: a ticker loop with no way to stop.
fn ticker_leak(facts: &Facts) -> Option<Finding> {
    if facts.outcome != Outcome::Leak {
        return None;
    }
    let world = facts.world;
    let (g, at) = world
        .goroutines
        .iter()
        .filter(|g| !g.exited && g.final_state.is_some())
        .find_map(|g| {
            let timer_wakes = timer_wakes(world, g.id);
            (timer_wakes >= 2).then(|| (g, super::last_block_loc(world, g.id)))
        })?;
    let at = at.map(|l| l.to_string());
    Some(Finding {
        class: "timer.ticker-leak",
        observations: vec![format!(
            "trace: {} was woken by timers again and again{} and is still alive after the scenario returned",
            g.name,
            at_suffix(at.as_deref())
        )],
        explanation: format!(
            "{} runs a loop driven by a ticker or timer{} and nothing tells it to stop: the \
             scenario returned, and the goroutine keeps waking up, holding everything it \
             references (and the ticker). Give the loop a done channel or a context and select \
             on it, stop the ticker, and wait for the goroutine before returning.",
            g.name,
            at_suffix(at.as_deref())
        ),
    })
}

/// How many times a timer channel (no goroutine) woke this goroutine out of a channel receive
/// or a select, according to the trace. Wake-ups from `time.Sleep` (a gate's polling, a
/// backoff) do not count: they are not a timer loop.
pub fn timer_wakes(world: &World, id: u64) -> usize {
    let mut blocked_on_channel = false;
    let mut wakes = 0;
    for t in world.history(id) {
        if t.to == GoState::Waiting {
            blocked_on_channel = matches!(t.reason.as_str(), "chan receive" | "select");
        } else if t.from == GoState::Waiting && t.to == GoState::Runnable {
            wakes += usize::from(blocked_on_channel && t.actor.is_none());
        }
    }
    wakes
}

fn cond_wait_without_loop(facts: &Facts) -> Option<Finding> {
    let panic = facts.evidence.stderr.panic.as_ref()?;
    let id = panic.goroutine?;
    let is_cond_wait = |t: &Transition| {
        t.reason.contains("Cond") || stack_has(&t.transition_stack, "sync.(*Cond).Wait")
    };
    let (wait, wake) = last_woken_block(facts.world, id, is_cond_wait)?;
    // Anything the goroutine blocked on after that wake-up, other than re-locking inside Wait,
    // breaks the story.
    let after: Vec<&Transition> = facts
        .world
        .history(id)
        .iter()
        .filter(|t| t.time > wake.time && t.to == GoState::Waiting)
        .collect();
    if after.iter().any(|t| {
        !stack_has(&t.transition_stack, "sync.(*Cond).Wait") && !in_panic(&t.transition_stack)
    }) {
        return None;
    }
    let waker_op = if stack_has(&wake.stack, "sync.(*Cond).Broadcast") {
        "Broadcast"
    } else if stack_has(&wake.stack, "sync.(*Cond).Signal") {
        "Signal"
    } else {
        return None;
    };
    let failure = facts.failure?;
    let who = facts.world.name(Some(id));
    let waker = facts.world.name(wake.actor);
    let wait_at = user_loc(facts.world, &wait.transition_stack).map(|l| l.to_string());
    let observations = vec![
        format!(
            "trace: {who} blocked in sync.Cond.Wait{}",
            at_suffix(wait_at.as_deref())
        ),
        format!(
            "trace: {waker}'s {waker_op}{} woke it",
            at_suffix(
                user_loc(facts.world, &wake.stack)
                    .as_ref()
                    .map(Loc::to_string)
                    .as_deref()
            )
        ),
        format!(
            "{who} panicked{} right after waking: {}",
            at_suffix(failure.at.as_deref()),
            panic.message
        ),
    ];
    Some(Finding {
        class: "cond.wait-without-loop",
        observations,
        explanation: format!(
            "{who} waited on a sync.Cond{} and was woken by {waker}'s {waker_op}, but by the time \
             it re-acquired the lock the condition it waited for no longer held (another waiter \
             got there first), and it went on as if it did: it panicked{}. Cond.Wait returning \
             means only \"something changed\", never \"the predicate is true\": wait in a loop, \
             `for !condition() {{ c.Wait() }}`.",
            at_suffix(wait_at.as_deref()),
            at_suffix(failure.at.as_deref()),
        ),
    })
}

fn ctx_result_send_gap(facts: &Facts) -> Option<Finding> {
    if !matches!(facts.outcome, Outcome::Leak | Outcome::Deadlock) {
        return None;
    }
    let world = facts.world;
    let stuck: Vec<&Gor> = world.stuck_in("chan send");
    for sender in stuck {
        let Some(start) = &sender.start else { continue };
        // Siblings running the same code that a context cancel woke up and that then returned.
        let mut cancel_at: Option<Loc> = None;
        let mut canceller = None;
        let siblings: Vec<&Gor> = world
            .goroutines
            .iter()
            .filter(|g| {
                g.id != sender.id
                    && g.start.as_ref() == Some(start)
                    && g.entry == sender.entry
                    && g.exited
            })
            .filter(|g| {
                world.history(g.id).iter().any(|t| {
                    let by_cancel = t.from == GoState::Waiting
                        && t.to == GoState::Runnable
                        && stack_has(&t.stack, "context.(*cancelCtx).cancel");
                    if by_cancel && cancel_at.is_none() {
                        cancel_at = user_loc(world, &t.stack);
                        canceller = t.actor;
                    }
                    by_cancel
                })
            })
            .collect();
        if siblings.is_empty() {
            if let Some(finding) = receiver_left_on_cancel(facts, sender) {
                return Some(finding);
            }
            continue;
        }
        let names: Vec<&str> = siblings.iter().map(|g| g.name.as_str()).collect();
        let function = world.user_code.short_function(start);
        let at = sender.final_at.as_ref().map(Loc::to_string);
        let by = world.name(canceller);
        let cancel = format!(
            "{by} cancelled the context{}",
            at_suffix(cancel_at.as_ref().map(Loc::to_string).as_deref())
        );
        return Some(Finding {
            class: "ctx.result-send-ignores-cancel",
            observations: vec![
                format!(
                    "{} is blocked forever in chan send{} ({function})",
                    sender.name,
                    at_suffix(at.as_deref())
                ),
                format!(
                    "trace: {cancel}, waking {} (also {function}), which returned",
                    names.join(", ")
                ),
            ],
            explanation: format!(
                "The workers running {function} watch ctx.Done(), and when {cancel} the idle ones \
                 ({}) saw it and returned. {} was busy at that moment; it finished its job and \
                 tried to send the result{}, but the send does not select on ctx.Done(), and \
                 after the cancel nobody receives: it is blocked forever, holding everything it \
                 references. Guard the send: `select {{ case results <- r: case <-ctx.Done(): return }}`.",
                names.join(", "),
                sender.name,
                at_suffix(at.as_deref()),
            ),
        });
    }
    None
}

/// How the goroutine that would have received a stuck sender's value stopped receiving.
enum Departure {
    /// A context cancel woke it out of a select (on the context's Done channel): who
    /// cancelled, where, and where it selected.
    Woken {
        by: Option<u64>,
        at: Option<Loc>,
        select_at: Option<Loc>,
    },
    /// Its own code cancelled a context (the overlaid `context` logs every cancel) after it
    /// had received from the sender.
    Cancelled { at: Loc },
    /// A context's deadline passed (cancelled by the runtime's timer) before it left.
    Expired,
}

/// The other way a result send ignores a cancel: no sibling workers, but the goroutine that
/// would receive the stuck sender's value (the one that started it, or one that received from
/// it at that same line before) stopped receiving on a context cancel: a cancel woke its
/// select, or it cancelled a context, after the sender started and after its last receive from
/// it, and it never received from it again.
fn receiver_left_on_cancel(facts: &Facts, sender: &Gor) -> Option<Finding> {
    let world = facts.world;
    let trace = facts.evidence.trace.parsed()?;
    let at = sender.final_at.as_ref()?;
    let started = world.history(sender.id).first().map_or(0, |t| t.time);
    let is_cancel = |l: &&crate::evidence::trace::UserLog| {
        l.category == "gorepro.context" && l.message == "cancel"
    };
    let cancels = |g: Option<u64>| {
        trace
            .logs
            .iter()
            .filter(move |l| is_cancel(l) && l.goroutine == g)
    };
    world.goroutines.iter().find_map(|receiver| {
        if receiver.id == sender.id {
            return None;
        }
        let history = world.history(receiver.id);
        // Its receives from the sender's send at its stuck line: the send woke it out of a
        // receive, or its receive woke the sender parked in that send. Channel waits only: a
        // scheduling hold parks and wakes goroutines too, on the same line (the rewriter puts
        // it there to keep line numbers), and the goroutine that releases it is no receiver.
        let channel_wait = |reason: &str| matches!(reason, "chan send" | "chan receive" | "select");
        let mut received: Vec<u64> = (history.iter().enumerate())
            .filter(|&(i, t)| {
                t.from == GoState::Waiting
                    && t.actor == Some(sender.id)
                    && user_loc(world, &t.stack).as_ref() == Some(at)
                    && (history[..i].iter().rev())
                        .find(|b| b.to == GoState::Waiting)
                        .is_some_and(|b| channel_wait(&b.reason))
            })
            .map(|(_, t)| t.time)
            .collect();
        let sent = world.history(sender.id);
        received.extend(sent.iter().enumerate().filter_map(|(i, t)| {
            let parked_here = t.to == GoState::Waiting
                && channel_wait(&t.reason)
                && user_loc(world, &t.transition_stack).as_ref() == Some(at);
            let wake = sent[i + 1..].iter().find(|w| w.from == GoState::Waiting)?;
            (parked_here && wake.actor == Some(receiver.id)).then_some(wake.time)
        }));
        received.sort_unstable();
        if sender.creator != Some(receiver.id) && received.is_empty() {
            return None;
        }
        let since = received.last().copied().unwrap_or(started).max(started);
        let woken = history.iter().enumerate().rev().find_map(|(i, t)| {
            let by_cancel = t.from == GoState::Waiting
                && t.to == GoState::Runnable
                && t.time > since
                && stack_has(&t.stack, "context.(*cancelCtx).cancel");
            let select = history[..i]
                .iter()
                .rev()
                .find(|b| b.to == GoState::Waiting)
                .filter(|b| b.reason == "select")?;
            by_cancel.then(|| Departure::Woken {
                by: t.actor,
                at: user_loc(world, &t.stack),
                select_at: user_loc(world, &select.transition_stack),
            })
        });
        // It cancelled a context in its own code after receiving from the sender (not just
        // any cancel: the testing package cancels the test's own context, `t.Context()`, on
        // the test goroutine after the test function returned; and a goroutine that cancels
        // before it ever received is the order `ctx.cancel-before-block` tells).
        let cancelled = || {
            cancels(Some(receiver.id))
                .filter(|l| !received.is_empty() && l.time > since)
                .find_map(|l| user_loc(world, &l.stack))
                .map(|at| Departure::Cancelled { at })
        };
        // A context's deadline passed (the runtime's timer goroutine cancelled it) while it
        // waited for the sender, and it returned without receiving: its select saw the
        // closed Done channel without blocking.
        let expired = || {
            let left = history
                .iter()
                .rev()
                .find(|t| t.to == GoState::NotExist)?
                .time;
            trace
                .logs
                .iter()
                .filter(|l| is_cancel(l) && l.time > since && l.time < left)
                .any(|l| {
                    l.goroutine.is_some_and(|g| {
                        world.get(g).is_none() && !world.test_machinery.contains(&g)
                    })
                })
                .then_some(Departure::Expired)
        };
        let departure = woken.or_else(cancelled).or_else(expired)?;
        Some(result_send_after_receiver_left(
            facts,
            sender,
            receiver,
            !received.is_empty(),
            departure,
        ))
    })
}

fn result_send_after_receiver_left(
    facts: &Facts,
    sender: &Gor,
    receiver: &Gor,
    received_before: bool,
    departure: Departure,
) -> Finding {
    let world = facts.world;
    let at = sender.final_at.as_ref().map(Loc::to_string);
    let (who, stuck) = (&receiver.name, &sender.name);
    let link = if received_before {
        format!(
            "which received from {stuck}'s send{} before",
            at_suffix(at.as_deref())
        )
    } else {
        format!("which started {stuck}")
    };
    let left = if receiver.exited {
        "and returned"
    } else {
        "and never received from it again"
    };
    // `cancel`: what sent the receiver away, as the explanation's "when ..." clause.
    let (event, cancel) = match departure {
        Departure::Woken {
            by,
            at: cancel_at,
            select_at,
        } => {
            let by = match by {
                Some(g) if world.get(g).is_some() || world.test_machinery.contains(&g) => {
                    format!(
                        "{}'s cancel{}",
                        world.name(Some(g)),
                        at_suffix(cancel_at.as_ref().map(Loc::to_string).as_deref())
                    )
                }
                _ => "the runtime (a deadline passed)".to_string(),
            };
            (
                format!(
                    "trace: a context cancel by {by} woke {who} ({link}) out of its select{}, {left}",
                    at_suffix(select_at.as_ref().map(Loc::to_string).as_deref())
                ),
                format!("its context was cancelled by {by}"),
            )
        }
        Departure::Expired => (
            format!(
                "trace: a context's deadline passed (the runtime cancelled it) while {who} ({link}) \
                 waited, and {who} returned without receiving"
            ),
            "its context's deadline passed".to_string(),
        ),
        Departure::Cancelled { at: cancel_at } => (
            format!("trace: {who} ({link}) cancelled its context at {cancel_at}, {left}"),
            format!("it cancelled its context at {cancel_at}"),
        ),
    };
    Finding {
        class: "ctx.result-send-ignores-cancel",
        observations: vec![
            format!(
                "{stuck} is blocked forever in chan send{}",
                at_suffix(at.as_deref())
            ),
            event,
        ],
        explanation: format!(
            "{who} was the goroutine to receive what {stuck} sends{}, and it stopped receiving \
             when {cancel}. The send does not watch the context, so after the cancel nobody \
             will ever take the value: {stuck} is blocked forever, holding everything it \
             references. Make the send give up with the context (pass it to the \
             goroutine): `select {{ case ch <- v: case <-ctx.Done(): return }}`; or give the \
             channel room for the one result (`make(chan T, 1)`).",
            at_suffix(at.as_deref()),
        ),
    }
}

/// Goroutines blocked forever in `chan send` at one line, with what the trace says about that
/// line's channel: who received from it, and which sends there went into its buffer.
struct FullChannel<'a> {
    at: Loc,
    senders: Vec<&'a Gor>,
    /// A goroutine woken from a receive by a send at `at`, and the goroutine that sent.
    receiver: &'a Gor,
    sender_to_receiver: Option<u64>,
    /// Goroutines running the senders' code that exited without ever blocking at `at` and
    /// without waking anybody from there: their sends completed with no receiver waiting, so
    /// the channel's buffer took them.
    buffered: Vec<&'a Gor>,
}

fn full_channel<'a>(world: &'a World) -> Option<FullChannel<'a>> {
    let stuck = world.stuck_in("chan send");
    let mut lines: Vec<&Loc> = stuck.iter().filter_map(|g| g.final_at.as_ref()).collect();
    lines.sort();
    lines.dedup();
    lines.into_iter().find_map(|at| {
        let senders: Vec<&Gor> = stuck
            .iter()
            .copied()
            .filter(|g| g.final_at.as_ref() == Some(at))
            .collect();
        let sent_here = |t: &Transition| user_loc(world, &t.stack).as_ref() == Some(at);
        // The receiver: woken out of a receive by a send at this line.
        let (receiver, sender_to_receiver) = world.goroutines.iter().find_map(|g| {
            let history = world.history(g.id);
            history.iter().enumerate().find_map(|(i, t)| {
                let receiving = t.to == GoState::Waiting
                    && matches!(t.reason.as_str(), "chan receive" | "select");
                if !receiving {
                    return None;
                }
                let wake = history[i + 1..]
                    .iter()
                    .find(|w| w.from == GoState::Waiting)?;
                sent_here(wake).then_some((g, wake.actor))
            })
        })?;
        let woke_someone_here = |id: u64| {
            world
                .history
                .values()
                .flatten()
                .any(|t| t.from == GoState::Waiting && t.actor == Some(id) && sent_here(t))
        };
        let blocked_here = |id: u64| {
            world.history(id).iter().any(|t| {
                t.to == GoState::Waiting
                    && user_loc(world, &t.transition_stack).as_ref() == Some(at)
            })
        };
        let first = senders.first()?;
        let buffered: Vec<&Gor> = world
            .goroutines
            .iter()
            .filter(|g| {
                g.exited
                    && g.start == first.start
                    && g.entry == first.entry
                    && g.created_at == first.created_at
                    && !blocked_here(g.id)
                    && !woke_someone_here(g.id)
            })
            .collect();
        (!buffered.is_empty()).then_some(FullChannel {
            at: at.clone(),
            senders,
            receiver,
            sender_to_receiver,
            buffered,
        })
    })
}

/// Sends blocked behind a full buffer: its receiver left (the buffer postponed the block), or
/// is alive but stuck elsewhere while a goroutine per send piles up.
fn buffer_full(facts: &Facts) -> Option<Finding> {
    if !matches!(facts.outcome, Outcome::Leak | Outcome::Deadlock) {
        return None;
    }
    let world = facts.world;
    let full = full_channel(world)?;
    let at = &full.at;
    let names = |gs: &[&Gor]| {
        let names: Vec<&str> = gs.iter().map(|g| g.name.as_str()).collect();
        world::name_list(&names, ", ")
    };
    let senders = names(&full.senders);
    let receiver = &full.receiver.name;
    let function = full.senders[0]
        .final_function
        .as_deref()
        .map(|f| world.user_code.short_function(f))
        .unwrap_or_default();
    // Which of several identical senders handed its value over, or went into the buffer,
    // depends on the schedule: those are counted, not named.
    let first = full.senders[0];
    let sibling = |id: Option<u64>| {
        id.and_then(|id| world.get(id)).is_some_and(|g| {
            g.start == first.start && g.entry == first.entry && g.created_at == first.created_at
        })
    };
    let sent_by = if sibling(full.sender_to_receiver) {
        format!("a goroutine running {function}")
    } else {
        world.name(full.sender_to_receiver)
    };
    let received =
        format!("trace: {receiver} received a value sent at {at} (a send by {sent_by} woke it)");
    let buffered = full.buffered.len();
    let buffered_sends = match buffered {
        1 => "1 send".to_string(),
        n => format!("{n} sends"),
    };
    let buffer_took = format!(
        "trace: {buffered} {} running {function} (started at the same place) exited without \
         ever blocking at {at} or waking a receiver from there, so their sends went into the \
         channel's buffer, which is now full",
        if buffered == 1 {
            "goroutine"
        } else {
            "goroutines"
        }
    );
    if full.receiver.exited {
        return Some(Finding {
            class: "chan.buffer-full-receiver-gone",
            observations: vec![
                format!("{senders} blocked in chan send at {at} ({function})"),
                format!("{received}, and has exited"),
                buffer_took,
            ],
            explanation: format!(
                "{senders} send on a buffered channel at {at} whose receiver, {receiver}, took a \
                 value and left. The {buffered_sends} that went into the buffer did not block, \
                 because it had room; once it was full, every further send blocks \
                 forever, and each blocked sender leaks with everything it references. A buffer \
                 only postpones the block by its capacity. The receiver that leaves must say so \
                 (close a done channel that the senders select on), or the buffer must hold \
                 every send there will ever be."
            ),
        });
    }
    let receiver_state = full.receiver.final_state.as_deref()?;
    if Primitive::of_wait_reason(receiver_state) == Primitive::None || full.senders.len() < 2 {
        return None;
    }
    let first = full.senders[0];
    let one_origin = full
        .senders
        .iter()
        .all(|g| g.creator == first.creator && g.created_at == first.created_at);
    let created_at = first.created_at.as_ref()?;
    if !one_origin {
        return None;
    }
    let creator = world.name(first.creator);
    let count = full.senders.len();
    let sender_names: Vec<&str> = full.senders.iter().map(|g| g.name.as_str()).collect();
    let receiver_at = full.receiver.final_at.as_ref().map(Loc::to_string);
    Some(Finding {
        class: "chan.goroutine-pileup",
        observations: vec![
            format!(
                "{count} goroutines ({}), each started by {creator} at {created_at}, blocked in \
                 chan send at {at}",
                world::name_ranges(&sender_names, ", ")
            ),
            format!(
                "{received}, and is still alive, blocked in {receiver_state}{}: it no longer \
                 drains the channel",
                at_suffix(receiver_at.as_deref())
            ),
            buffer_took,
        ],
        explanation: format!(
            "{creator} starts a goroutine per piece of work at {created_at}, and each hands its \
             work over with a send at {at}. The receiver, {receiver}, is stuck in \
             {receiver_state}{} and stopped draining the channel, so its buffer filled and \
             {count} goroutines now wait behind it, one more for every new request: nothing \
             bounds their number. Bound the work in flight (hand over with `select {{ case ch <- \
             w: default: reject }}`, or a semaphore), and give the receiver's blocking call a \
             deadline or a context.",
            at_suffix(receiver_at.as_deref())
        ),
    })
}

/// A deadlock of a goroutine on a lock it holds itself: nobody else could hold it, because it
/// is the only scenario goroutine that ever ran (the trace would show any other), and no
/// callback of a timer (`time.AfterFunc`) ran user code either.
fn self_deadlock(facts: &Facts) -> Option<Finding> {
    if facts.outcome != Outcome::Deadlock {
        return None;
    }
    let trace = facts.evidence.trace.parsed()?;
    let world = facts.world;
    let [g] = world.goroutines.as_slice() else {
        return None;
    };
    if g.exited || !unowned_user_goroutines(trace, world).is_empty() || lock_may_be_a_copy(facts) {
        return None;
    }
    let at = g.final_at.as_ref().map(Loc::to_string);
    let at = at_suffix(at.as_deref());
    let alone = format!(
        "trace: {} is the only scenario goroutine that ever ran, so the lock it waits for is \
         held by {} itself",
        g.name, g.name
    );
    let callers = user_callers(facts.evidence, &facts.world.user_code, g.id);
    let stack = if callers.is_empty() {
        String::new()
    } else {
        format!(", called from {}", callers.join(", called from "))
    };
    let function = g
        .final_function
        .as_deref()
        .map(|f| world.user_code.short_function(f))
        .unwrap_or_default();
    match g.final_state.as_deref()? {
        "sync.Mutex.Lock" => Some(Finding {
            class: "mutex.double-lock",
            observations: vec![
                format!(
                    "{} blocked in sync.Mutex.Lock{at} in {function}{stack}",
                    g.name
                ),
                alone,
            ],
            explanation: format!(
                "{} locks a mutex{at} that it already holds: one of its callers further down the \
                 same stack took it and has not unlocked it. sync.Mutex is not reentrant and does \
                 not know its holder, so the Lock waits for an Unlock that only the waiting \
                 goroutine could make. Let helpers called under the lock assume it is held (a \
                 `...Locked` variant that never locks), and lock only at the entry points.",
                g.name
            ),
        }),
        "sync.RWMutex.Lock" => Some(Finding {
            class: "rwmutex.rlock-upgrade",
            observations: vec![
                format!(
                    "{} blocked in sync.RWMutex.Lock{at} in {function}{stack}: a writer waiting \
                     for the active readers to leave",
                    g.name
                ),
                format!("{alone} (a read lock)"),
            ],
            explanation: format!(
                "{} holds a read lock and asks for the write lock of the same RWMutex{at}, as if \
                 it could upgrade. Lock waits until every active reader has called RUnlock, and \
                 one of those readers is the goroutine waiting: it waits for itself, and every \
                 later reader queues behind the pending writer. Release the read lock before \
                 Lock, then re-check the condition under the write lock.",
                g.name
            ),
        }),
        _ => None,
    }
}

/// go vet found a lock copied by value: a copy starts in the state its original was in, so a
/// locked mutex proves nothing about who locked it (the copied-lock rule tells that story).
fn lock_may_be_a_copy(facts: &Facts) -> bool {
    facts.evidence.vet.iter().any(|f| f.analyzer == "copylocks")
}

/// Goroutines outside the scenario's tree that ran user code, with whether they are still
/// alive: timer callbacks (`time.AfterFunc` starts them from the runtime, `time.goFunc`) and
/// goroutines started in user code by nobody the trace knows. Any of them could hold a lock.
fn unowned_user_goroutines(trace: &Trace, world: &World) -> Vec<(u64, bool)> {
    let mut found: Vec<(u64, bool)> = Vec::new();
    for t in &trace.transitions {
        let runs_user_code = t.transition_stack.first().is_some_and(|f| {
            world.user_code.is_user_function(&f.function) || f.function.starts_with("time.goFunc")
        });
        if t.from == GoState::NotExist && runs_user_code && world.get(t.goroutine).is_none() {
            found.push((t.goroutine, true));
        }
        if t.to == GoState::NotExist
            && let Some(entry) = found.iter_mut().find(|(id, _)| *id == t.goroutine)
        {
            entry.1 = false;
        }
    }
    found
}

/// The user frames below the innermost one on a goroutine's final stack, `function at file:line`.
fn user_callers(evidence: &Evidence, user_code: &UserCode, id: u64) -> Vec<String> {
    let Some(dump) = world::final_dump(evidence) else {
        return Vec::new();
    };
    let Some(g) = dump.goroutines.iter().find(|g| g.id == id) else {
        return Vec::new();
    };
    g.frames
        .iter()
        .filter_map(|f| {
            user_code
                .user_loc(&f.function, &f.file, f.line)
                .map(|at| format!("{} at {at}", user_code.short_function(&f.function)))
        })
        .skip(1)
        .collect()
}

/// A goroutine waits for a mutex that a goroutine which has since exited acquired at the same
/// Lock call and, as far as the trace shows, never released.
fn unlock_skipped(facts: &Facts) -> Option<Finding> {
    if !matches!(facts.outcome, Outcome::Deadlock | Outcome::Leak) {
        return None;
    }
    let world = facts.world;
    let [waiter] = world.stuck_in("sync.Mutex.Lock")[..] else {
        return None;
    };
    let trace = facts.evidence.trace.parsed()?;
    let someone_else_alive = world
        .goroutines
        .iter()
        .any(|g| g.id != waiter.id && !g.exited)
        || unowned_user_goroutines(trace, world)
            .iter()
            .any(|(_, alive)| *alive);
    if someone_else_alive || lock_may_be_a_copy(facts) {
        return None;
    }
    let at = waiter.final_at.as_ref()?;
    let locks_here = |t: &Transition| {
        t.from == GoState::Running
            && t.to == GoState::Waiting
            && t.reason == "sync"
            && user_loc(world, &t.transition_stack).as_ref() == Some(at)
    };
    let waiting_since = world
        .history(waiter.id)
        .iter()
        .rev()
        .find(|t| locks_here(t))?
        .time;
    // An exited goroutine that waited at this Lock, was woken (so it took the lock) before the
    // waiter began waiting, and never waited there again.
    let (holder, wake) = world.goroutines.iter().filter(|g| g.exited).find_map(|g| {
        let history = world.history(g.id);
        let (i, _) = history
            .iter()
            .enumerate()
            .rev()
            .find(|(_, t)| locks_here(t))?;
        let wake = history[i + 1..]
            .iter()
            .find(|t| t.from == GoState::Waiting && t.to == GoState::Runnable)?;
        (wake.time < waiting_since).then_some((g, wake))
    })?;
    let unlock_at = user_loc(world, &wake.stack).map(|l| l.to_string());
    let woken_by = format!(
        "{}'s Unlock{}",
        world.name(wake.actor),
        at_suffix(unlock_at.as_deref())
    );
    let function = waiter
        .final_function
        .as_deref()
        .map(|f| world.user_code.short_function(f))
        .unwrap_or_default();
    Some(Finding {
        class: "mutex.unlock-skipped-on-return",
        observations: vec![
            format!(
                "{} blocked in sync.Mutex.Lock at {at} in {function}",
                waiter.name
            ),
            format!(
                "trace: {} waited at the same Lock call, was woken by {woken_by} and so took the \
                 lock, never waited there again, and has exited",
                holder.name
            ),
            format!(
                "inferred: no scenario goroutine but {} is alive and no Unlock has woken it since \
                 it began waiting, so {} returned still holding the lock",
                waiter.name, holder.name
            ),
        ],
        explanation: format!(
            "{} took the lock at {at} and returned without unlocking it, on a path that skips \
             the Unlock (typically an early return on an error path). A sync.Mutex has no owner \
             and is not released when its holder exits, so {}, the next to Lock there, waits \
             forever. Unlock with `defer mu.Unlock()` right after the Lock, so every return path \
             releases it.",
            holder.name, waiter.name
        ),
    })
}

fn stuck_primitive(facts: &Facts) -> Option<Finding> {
    let group = facts
        .stuck
        .iter()
        .find(|g| g.primitive != Primitive::None)?;
    let class = match (group.primitive, group.wait.as_str()) {
        (Primitive::Channel, "chan send") => "chan.send-no-receiver",
        (Primitive::Channel, _) => "chan.recv-no-sender",
        (Primitive::NilChannel, _) => "chan.nil-channel",
        (Primitive::Select, _) => "chan.select-no-partner",
        (Primitive::EmptySelect, _) => "chan.empty-select",
        (Primitive::Mutex | Primitive::RwMutex, _) => "mutex.lock-never-released",
        (Primitive::Cond, _) => "cond.wait-never-signalled",
        (Primitive::WaitGroup, _) => "wg.wait-never-released",
        (Primitive::Semaphore | Primitive::None, _) => return None,
    };
    let who = world::name_list(&group.goroutines, ", ");
    let at = at_suffix(group.at.as_deref());
    let forever = if group.leaked {
        " (the goroutine-leak profile proves nothing can wake it)"
    } else {
        ""
    };
    let mut observations = vec![format!("{who} blocked in {}{at}{forever}", group.wait)];
    let mut story = String::new();
    let world = facts.world;
    let first = group
        .goroutines
        .first()
        .and_then(|name| world.goroutines.iter().find(|g| &g.name == name));
    if facts.outcome == Outcome::Leak
        && let Some(creator) = first.and_then(|g| g.creator).and_then(|id| world.get(id))
    {
        let gave_up = gave_up_select(world, creator.id);
        if creator.exited || Some(creator.id) == world.root {
            let after = gave_up
                .as_ref()
                .map(|(at, by)| {
                    format!(" after {} woke its select at {at} (it gave up)", by.waker())
                })
                .unwrap_or_default();
            observations.push(format!(
                "{}, which created {who}, returned{after}",
                creator.name
            ));
            story = format!(
                " {}, which created it, {} returned; no goroutine is left that could take part.",
                creator.name,
                match &gave_up {
                    Some((_, by)) => by.story(),
                    None => "has",
                }
            );
        }
    }
    let what = match class {
        "chan.send-no-receiver" => "sends on a channel that no goroutine will ever receive from",
        "chan.recv-no-sender" => {
            "receives from a channel that no goroutine will ever send on or close"
        }
        "chan.nil-channel" => "is blocked forever on a nil channel",
        "chan.select-no-partner" => "waits in a select none of whose cases can ever proceed",
        "chan.empty-select" => "is parked forever in `select {}`",
        "mutex.lock-never-released" => "waits for a lock that is never released",
        "cond.wait-never-signalled" => "waits on a sync.Cond that nothing will signal",
        _ => "waits for a WaitGroup whose counter never reaches zero",
    };
    let ending = match facts.outcome {
        Outcome::Deadlock => "No goroutine can make progress: the program is deadlocked.",
        Outcome::Leak => {
            "The scenario returned but this goroutine never will: it leaks, with everything it references."
        }
        _ => "It was still waiting there when the run reached its deadline.",
    };
    Some(Finding {
        class,
        observations,
        explanation: format!("{who} {what}{at}.{story} {ending}"),
    })
}

/// The race detector's report: which source lines raced, and where the goroutines came from.
/// Goroutine names are left out: which two of several identical workers the detector names
/// varies from run to run.
fn data_race(facts: &Facts) -> Option<Finding> {
    let races = &facts.evidence.stderr.races;
    if races.is_empty() {
        return None;
    }
    let user_code = &facts.world.user_code;
    let places: Vec<String> = super::race_locations(facts.evidence, user_code)
        .iter()
        .map(Loc::to_string)
        .collect();
    let functions = sorted_unique(races.iter().flat_map(|r| &r.accesses).filter_map(|a| {
        user_code
            .top_user_frame(&a.frames)
            .map(|f| user_code.short_function(&f.function))
    }));
    let creators = sorted_unique(
        races
            .iter()
            .flat_map(|r| &r.creations)
            .filter_map(|c| user_code.top_user_frame(&c.frames))
            .filter_map(|f| user_code.user_loc(&f.function, &f.file, f.line))
            .map(|l| l.to_string()),
    );
    let created = if creators.is_empty() {
        String::new()
    } else {
        format!(", goroutines created at {}", creators.join(", "))
    };
    Some(Finding {
        class: "race.unsynchronized-access",
        observations: vec![format!(
            "race detector: unordered accesses to the same memory at {} (in {}){created}",
            places.join(", "),
            functions.join(", ")
        )],
        explanation: format!(
            "The race detector saw two goroutines access the same memory at {}, at least one of \
             them writing, with nothing (a lock, a channel operation, an atomic) ordering the \
             accesses: a data race. A racy read-modify-write loses updates, and a racy read can see \
             a torn or stale value; which run shows a wrong result depends on timing, but the \
             detector reports the race on every run. Guard the shared memory with a mutex, make \
             the operation atomic (sync/atomic), or give the data a single owning goroutine.",
            places.join(", ")
        ),
    })
}

fn sorted_unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.collect();
    items.sort();
    items.dedup();
    items
}

/// vet's findings of one analyzer, as `file:line`.
fn vet_places(facts: &Facts, analyzer: &str) -> Vec<String> {
    facts
        .evidence
        .vet
        .iter()
        .filter(|f| f.analyzer == analyzer)
        .map(|f| format!("{}:{}", f.file, f.line))
        .collect()
}

/// vet saw a lock copied, and a goroutine is blocked forever on a lock.
fn copied_lock(facts: &Facts) -> Option<Finding> {
    if !matches!(facts.outcome, Outcome::Deadlock | Outcome::Leak) {
        return None;
    }
    let copies = vet_places(facts, "copylocks");
    let group = facts.stuck.iter().find(|g| {
        matches!(
            g.primitive,
            Primitive::Mutex | Primitive::RwMutex | Primitive::WaitGroup
        )
    })?;
    let first = facts
        .evidence
        .vet
        .iter()
        .find(|f| f.analyzer == "copylocks")?;
    let who = group.goroutines.join(", ");
    let at = at_suffix(group.at.as_deref());
    Some(Finding {
        class: "mutex.copied-lock",
        observations: vec![
            format!("go vet: {}:{}: {}", first.file, first.line, first.message),
            format!("{who} blocked in {}{at}", group.wait),
        ],
        explanation: format!(
            "go vet reports a lock copied by value at {}. A copied sync.Mutex (or RWMutex, \
             WaitGroup) is a separate lock that starts in the state the original was in: here \
             {who} waits for it{at}, and no goroutine will ever release that copy. Pass and return \
             structs that hold locks by pointer; to snapshot guarded data, copy the data into a \
             value with a fresh lock.",
            copies.join(", ")
        ),
    })
}

/// vet saw a cancel function not called on every path, and the context package's watcher
/// goroutines were left behind: what the lost cancel costs at run time.
fn cancel_never_called(facts: &Facts) -> Option<Finding> {
    if facts.outcome != Outcome::Leak {
        return None;
    }
    let lost = vet_places(facts, "lostcancel");
    let first = facts
        .evidence
        .vet
        .iter()
        .find(|f| f.analyzer == "lostcancel")?;
    let watchers: Vec<&Gor> = facts
        .world
        .goroutines
        .iter()
        .filter(|g| !g.exited && g.final_state.is_some())
        .filter(|g| {
            g.start
                .as_deref()
                .is_some_and(|s| s.starts_with("context.(*cancelCtx).propagateCancel"))
        })
        .collect();
    let creation = watchers.first()?.created_at.as_ref().map(Loc::to_string);
    let names: Vec<&str> = watchers.iter().map(|g| g.name.as_str()).collect();
    Some(Finding {
        class: "ctx.cancel-never-called",
        observations: vec![
            format!("go vet: {}:{}: {}", first.file, first.line, first.message),
            format!(
                "{} left behind in {} inside context.(*cancelCtx).propagateCancel, started by the \
                 context created{}",
                names.join(", "),
                watchers[0].final_state.as_deref().unwrap_or("?"),
                at_suffix(creation.as_deref())
            ),
        ],
        explanation: format!(
            "go vet reports a context whose cancel function is not called on every path ({}). \
             The parent context is not one the context package can link the child into, so \
             for each child it started a goroutine that waits until the parent or the child is \
             done; neither happens, and {} ({} of them) outlive the requests that made them. \
             Call cancel on every path: `defer cancel()` right after the WithCancel call.",
            lost.join(", "),
            names.join(", "),
            names.len()
        ),
    })
}

/// The first failed invariant check, with its place.
fn violation<'a>(
    facts: &Facts<'a>,
    kind: &str,
) -> Option<(&'a crate::evidence::Violation, String)> {
    let v = facts
        .evidence
        .verdict
        .as_ref()?
        .violations
        .iter()
        .find(|v| v.kind == kind)?;
    let at = facts.world.user_code.module_relative(&v.file);
    Some((v, format!("{at}:{}", v.line)))
}

fn add_inside_goroutine(facts: &Facts) -> Option<Finding> {
    if facts.outcome != Outcome::InvariantViolated {
        return None;
    }
    let (violation, at) = violation(facts, "lost-results")?;
    let adds = vet_places(facts, "waitgroup");
    if adds.is_empty() {
        return None;
    }
    let checker = facts.world.name(Some(violation.goroutine));
    Some(Finding {
        class: "wg.add-inside-goroutine",
        observations: vec![
            format!(
                "invariant check at {at} ({checker}): {} (the scenario's own check: nothing \
                 blocked or failed)",
                violation.detail
            ),
            format!(
                "go vet: {}: WaitGroup.Add called from inside new goroutine",
                adds.join(", ")
            ),
        ],
        explanation: format!(
            "The goroutines call wg.Add themselves ({}), so the work is counted only once they \
             run. {checker} reached wg.Wait first, found the counter at zero and went on at \
             once: {}. Nothing blocked, which is why only the result shows it. Call wg.Add before \
             the go statement (or use wg.Go).",
            adds.join(", "),
            violation.detail
        ),
    })
}

/// A goroutine ready to run that did not get a processor while others kept theirs: the
/// trace shows it runnable from its creation far past the runtime's preemption period.
fn starvation(facts: &Facts) -> Option<Finding> {
    /// Five times the runtime's 10 ms preemption period: a runnable goroutine waits this long
    /// only if nothing could preempt the goroutines holding the processors.
    const STARVED: u64 = 50_000_000;
    if facts.outcome != Outcome::InvariantViolated {
        return None;
    }
    let (violation, at) = violation(facts, "no-progress")?;
    let world = facts.world;
    let (starved, creator) = world.goroutines.iter().find_map(|g| {
        let history = world.history(g.id);
        let created = history
            .iter()
            .find(|t| t.from == GoState::NotExist && t.to == GoState::Runnable)?;
        let ran = history
            .iter()
            .find(|t| t.from == GoState::Runnable && t.to == GoState::Running)?;
        (ran.time.saturating_sub(created.time) >= STARVED).then_some((g, created.actor))
    })?;
    let creator = world.name(creator);
    let function = starved
        .start
        .as_deref()
        .map(|f| world.user_code.short_function(f))
        .unwrap_or_else(|| "?".into());
    let created_at = starved.created_at.as_ref().map(Loc::to_string);
    Some(Finding {
        class: "sched.starvation",
        observations: vec![
            format!(
                "invariant check at {at} ({}): {}",
                world.name(Some(violation.goroutine)),
                violation.detail
            ),
            format!(
                "trace: {} ({function}), created by {creator}{}, stayed runnable for more than \
                 50 ms before it first ran",
                starved.name,
                at_suffix(created_at.as_deref())
            ),
        ],
        explanation: format!(
            "{} ({function}) was ready to run from the moment {creator} created it, but every \
             processor was held by a goroutine that never reached a scheduling point, and for more \
             than 50 ms nothing preempted them (the runtime preempts a goroutine after 10 ms with \
             a signal; with GODEBUG=asyncpreemptoff=1 a loop without function calls cannot be \
             preempted at all). It ran only when one of them gave up: {}. Do not \
             busy-wait: block on a channel, a sync.Cond or a WaitGroup, which hands the processor \
             to the goroutine you wait for.",
            starved.name, violation.detail
        ),
    })
}

fn select_default_drop(facts: &Facts) -> Option<Finding> {
    if facts.outcome != Outcome::InvariantViolated {
        return None;
    }
    let (violation, at) = violation(facts, "lost-message")?;
    let checker = facts.world.name(Some(violation.goroutine));
    Some(Finding {
        class: "chan.select-default-drop",
        observations: vec![format!(
            "invariant check at {at} ({checker}): {} (the scenario's own check: no goroutine \
             blocked, nothing panicked, so the runtime has nothing to show)",
            violation.detail
        )],
        explanation: format!(
            "Messages were lost without any goroutine blocking or failing: {}. A send in a \
             select with a default case gives up when no receiver is ready and the buffer is \
             full, and the message is simply dropped. Use a blocking send (backpressure) or a \
             buffer sized for the burst; if dropping is acceptable, count the drops.",
            violation.detail
        ),
    })
}

fn invariant_violated(facts: &Facts) -> Option<Finding> {
    let violation = facts.evidence.verdict.as_ref()?.violations.first()?;
    let at = format!(
        "{}:{}",
        facts.world.user_code.module_relative(&violation.file),
        violation.line
    );
    let checker = facts.world.name(Some(violation.goroutine));
    Some(Finding {
        class: "runtime.invariant-violated",
        observations: vec![format!(
            "invariant check at {at} ({checker}, {}): {}",
            violation.kind, violation.detail
        )],
        explanation: format!(
            "The scenario's own check failed ({}: {}), and the runtime evidence does not tie it \
             to a known class.",
            violation.kind, violation.detail
        ),
    })
}

fn runtime_failure(facts: &Facts) -> Option<Finding> {
    let failure = facts
        .failure
        .filter(|f| matches!(f.kind, "panic" | "fatal error"))?;
    let class = if failure.kind == "panic" {
        "runtime.panic"
    } else {
        "runtime.fatal"
    };
    let who = failure
        .goroutine
        .clone()
        .unwrap_or_else(|| "the program".into());
    Some(Finding {
        class,
        observations: vec![format!(
            "{who}: {}: {}{}",
            failure.kind,
            failure.message,
            at_suffix(failure.at.as_deref())
        )],
        explanation: format!(
            "{who} failed with a {}{}: {}. The evidence does not tie it to a known concurrency class.",
            failure.kind,
            at_suffix(failure.at.as_deref()),
            failure.message
        ),
    })
}

fn no_progress(facts: &Facts) -> Option<Finding> {
    (facts.outcome == Outcome::Timeout).then(|| Finding {
        class: "runtime.no-progress",
        observations: vec!["no verdict before the deadline; goroutines were still alive".into()],
        explanation: "The program neither finished nor got stuck on synchronization before the \
                      deadline, which `go test -timeout` would report as a failure too: \
                      something kept running (a busy loop, a sleep, a timer, or work slower \
                      than the deadline allows)."
            .into(),
    })
}

/// The last block of goroutine `id` matching `is_block` that was followed by a wake-up.
fn last_woken_block(
    world: &World,
    id: u64,
    is_block: impl Fn(&Transition) -> bool,
) -> Option<(&Transition, &Transition)> {
    let history = world.history(id);
    let (i, block) = history.iter().enumerate().rev().find(|(_, t)| {
        t.from == GoState::Running
            && t.to == GoState::Waiting
            && !in_panic(&t.transition_stack)
            && is_block(t)
    })?;
    let wake = history[i + 1..]
        .iter()
        .find(|t| t.from == GoState::Waiting && t.to == GoState::Runnable)?;
    Some((block, wake))
}

/// What ended a caller's wait in a select: a timer channel firing (`time.After`), or its
/// context being done.
enum GaveUp {
    Timer,
    ContextDeadline,
    ContextCancel,
}

impl GaveUp {
    fn waker(&self) -> &'static str {
        match self {
            GaveUp::Timer => "a timer",
            GaveUp::ContextDeadline => "its context's deadline",
            GaveUp::ContextCancel => "its context's cancel",
        }
    }

    fn story(&self) -> &'static str {
        match self {
            GaveUp::Timer => "stopped waiting when a timer fired and",
            GaveUp::ContextDeadline => "stopped waiting when its context's deadline passed and",
            GaveUp::ContextCancel => "stopped waiting when its context was cancelled and",
        }
    }
}

/// Where goroutine `id` last waited in a select that a timer (no goroutine) or a context's
/// cancel woke, and which of them it was. A context's deadline runs its cancel on a goroutine
/// the runtime starts, so the cancel's stack, not the waker, tells it apart from a timer.
fn gave_up_select(world: &World, id: u64) -> Option<(Loc, GaveUp)> {
    let history = world.history(id);
    history.iter().enumerate().rev().find_map(|(i, t)| {
        if t.to != GoState::Waiting || t.reason != "select" {
            return None;
        }
        let wake = history[i + 1..]
            .iter()
            .find(|w| w.from == GoState::Waiting)?;
        let by = if stack_has(&wake.stack, "context.(*cancelCtx).cancel") {
            // A deadline's cancel runs from the context's timer; no user code called it.
            if stack_has(&wake.stack, "context.(*timerCtx).cancel")
                && user_loc(world, &wake.stack).is_none()
            {
                GaveUp::ContextDeadline
            } else {
                GaveUp::ContextCancel
            }
        } else if wake.actor.is_none() {
            GaveUp::Timer
        } else {
            return None;
        };
        Some((user_loc(world, &t.transition_stack)?, by))
    })
}

/// A block inside the panic machinery (the runtime flushes the trace while panicking): part
/// of the crash, not of the scenario.
fn in_panic(stack: &[TraceFrame]) -> bool {
    stack_has(stack, "runtime.gopanic")
}

fn stack_has(stack: &[TraceFrame], function: &str) -> bool {
    stack.iter().any(|f| f.function == function)
}

fn user_loc(world: &World, stack: &[TraceFrame]) -> Option<Loc> {
    world.user_code.user_loc_trace(stack)
}

fn at_suffix(at: Option<&str>) -> String {
    at.map(|at| format!(" at {at}")).unwrap_or_default()
}

/// Time from the moment the scenario got stuck to the verdict: from the trace when it has the
/// supervisor's verdict log, else the supervisor's own estimate.
pub fn latency(evidence: &Evidence, world: &World) -> Option<Latency> {
    let verdict = evidence.verdict.as_ref()?;
    if !matches!(verdict.verdict, VerdictKind::Deadlock | VerdictKind::Leak) {
        return None;
    }
    if let Some(trace) = evidence.trace.parsed() {
        let verdict_time = trace
            .logs
            .iter()
            .find(|l| l.category == "gorepro" && l.message.starts_with("verdict"))
            .map(|l| l.time);
        // The last moment a scenario goroutine blocked or exited: after it, nothing moved.
        let settled = world
            .history
            .values()
            .flatten()
            .filter(|t| matches!(t.to, GoState::Waiting | GoState::NotExist))
            .map(|t| t.time)
            .filter(|&t| verdict_time.is_some_and(|v| t <= v))
            .max();
        if let (Some(v), Some(s)) = (verdict_time, settled) {
            return Some(Latency {
                block_to_verdict: Duration::from_nanos(v - s),
                measured_by: "trace",
            });
        }
    }
    Some(Latency {
        block_to_verdict: Duration::from_nanos(
            verdict
                .verdict_after_ns
                .saturating_sub(verdict.quiescent_after_ns),
        ),
        measured_by: "supervisor",
    })
}
