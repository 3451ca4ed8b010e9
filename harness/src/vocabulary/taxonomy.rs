//! The bug-class taxonomy: stable ids, grouped by family. `docs/taxonomy.md` is generated from
//! this table (a test keeps them equal). Ids are never renamed or reused; a retired class keeps
//! its row.

/// One bug class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BugClass {
    /// Stable id, `family.name`.
    pub id: &'static str,
    pub family: &'static str,
    pub title: &'static str,
    /// The runtime evidence that decides the class.
    pub decided_by: &'static str,
}

/// Every class, in display order. Classes marked "fallback" are what the classifier says when
/// the evidence shows the stuck primitive but not the more specific story.
pub const CLASSES: &[BugClass] = &[
    BugClass {
        id: "chan.send-no-receiver",
        family: "channels",
        title: "Send on a channel no goroutine will ever receive from",
        decided_by: "a goroutine blocked forever in `chan send` (deadlock or left behind)",
    },
    BugClass {
        id: "chan.recv-no-sender",
        family: "channels",
        title: "Receive from a channel no goroutine will ever send on or close",
        decided_by: "a goroutine blocked forever in `chan receive`",
    },
    BugClass {
        id: "chan.buffer-full-receiver-gone",
        family: "channels",
        title: "A buffered channel fills up after its receiver left: the sends beyond the capacity block forever",
        decided_by: "goroutines blocked forever in `chan send` at one line, while the trace shows a receiver that took a value sent at that line and has exited, and sends at that line that completed without blocking or handing over to a receiver (the buffer took them)",
    },
    BugClass {
        id: "chan.goroutine-pileup",
        family: "channels",
        title: "A goroutine per request piles up behind a full channel whose receiver is stuck: unbounded growth",
        decided_by: "two or more goroutines created at one place by one goroutine, blocked forever in `chan send` at one line (reported with their count), while the trace shows sends at that line that went into the buffer (completed without blocking or handing over) and the receiver that took a value sent at that line still alive and blocked elsewhere",
    },
    BugClass {
        id: "chan.nil-channel",
        family: "channels",
        title: "Send or receive on a nil channel, which blocks forever",
        decided_by: "a goroutine in `chan send (nil chan)` or `chan receive (nil chan)`",
    },
    BugClass {
        id: "chan.select-no-partner",
        family: "channels",
        title: "A select none of whose cases can ever proceed: every partner has gone",
        decided_by: "a goroutine blocked forever in `select`",
    },
    BugClass {
        id: "chan.empty-select",
        family: "channels",
        title: "`select {}` parks a goroutine forever",
        decided_by: "a goroutine in `select (no cases)`",
    },
    BugClass {
        id: "chan.range-not-closed",
        family: "channels",
        title: "`for range` over a channel that its producer never closes",
        decided_by: "a goroutine blocked forever in `chan receive` where earlier receives at the same line were woken by a goroutine that has since exited (trace)",
    },
    BugClass {
        id: "chan.send-on-closed",
        family: "channels",
        title: "Send on a closed channel",
        decided_by: "`panic: send on closed channel`",
    },
    BugClass {
        id: "chan.close-of-closed",
        family: "channels",
        title: "Close of an already closed channel",
        decided_by: "`panic: close of closed channel`",
    },
    BugClass {
        id: "chan.close-of-nil",
        family: "channels",
        title: "Close of a nil channel",
        decided_by: "`panic: close of nil channel`",
    },
    BugClass {
        id: "chan.select-default-drop",
        family: "channels",
        title: "A send in a select with default drops the message when no receiver is ready",
        decided_by: "the scenario's own invariant check (a lost message) with nothing blocked or failed: the runtime shows nothing",
    },
    BugClass {
        id: "chan.circular-wait",
        family: "channels",
        title: "Goroutines blocked on channel operations in a cycle: each waits for one only the next could complete",
        decided_by: "the wait-for graph: stuck goroutines each blocked in one channel send or receive whose channel, of the stuck goroutines, the next one still reaches (a live reference from its stack, through the heap) without waiting on it itself, closing a cycle",
    },
    BugClass {
        id: "ctx.result-send-ignores-cancel",
        family: "context",
        title: "A worker watches ctx.Done() but sends its result unguarded; after cancel nobody receives",
        decided_by: "a goroutine blocked forever in `chan send` while goroutines running the same function were woken by a context cancel and exited (trace); or while the goroutine that would receive its value (the one that started it, or one that received from that send before) stopped receiving on a context cancel: the cancel woke its select, it cancelled a context after its last receive, or a context's deadline passed before it returned without receiving (trace, with every cancel logged by the overlaid `context`)",
    },
    BugClass {
        id: "ctx.cancel-never-called",
        family: "context",
        title: "A context's cancel function is not called on every path: the context (and a goroutine watching it) outlives its use",
        decided_by: "go vet's `lostcancel` finding, and goroutines left behind in `select` inside `context.(*cancelCtx).propagateCancel` (its runtime cost)",
    },
    BugClass {
        id: "ctx.checked-before-block",
        family: "context",
        title: "A context checked only before a blocking call: a cancel that arrives while blocked is never seen",
        decided_by: "a goroutine blocked forever on an operation that does not watch the context, which blocked *before* another goroutine cancelled it, and the cancel did not wake it (trace order; a cancel nobody waits on leaves no trace event of its own, so the scenario labels it with `support.Step(\"cancel()\")`, whose stack gives the line)",
    },
    BugClass {
        id: "ctx.cancel-before-block",
        family: "context",
        title: "The context was already cancelled when a goroutine blocked on an operation that does not watch it (the check-then-block gap)",
        decided_by: "a goroutine blocked forever on an operation that does not watch the context, which blocked *after* another goroutine cancelled it (trace order: the `support.Step(\"cancel()\")` label, then the block)",
    },
    BugClass {
        id: "wg.reuse-before-wait-returned",
        family: "sync.WaitGroup",
        title: "WaitGroup reused (Add) before the previous Wait returned",
        decided_by: "a WaitGroup misuse panic (either of the runtime's two messages, which are racy between this class and the next) after the trace shows the waiter's Wait was released by a Done: the Add came while the Wait was waking",
    },
    BugClass {
        id: "wg.add-concurrent-with-wait",
        family: "sync.WaitGroup",
        title: "An Add from zero concurrent with Wait (e.g. Add inside the goroutine): it races the Done that releases the waiters",
        decided_by: "a WaitGroup misuse panic (either message) while the trace shows the waiter still parked in Wait, released by no Done; without a trace, the message alone, said so",
    },
    BugClass {
        id: "wg.wait-never-released",
        family: "sync.WaitGroup",
        title: "WaitGroup.Wait whose counter never reaches zero (a missing Done)",
        decided_by: "a goroutine blocked forever in `sync.WaitGroup.Wait`",
    },
    BugClass {
        id: "wg.wait-before-drain",
        family: "sync.WaitGroup",
        title: "Wait before draining an unbuffered results channel: producers block, Wait never returns",
        decided_by: "a goroutine in `sync.WaitGroup.Wait` while goroutines it created are blocked in `chan send`",
    },
    BugClass {
        id: "wg.negative-counter",
        family: "sync.WaitGroup",
        title: "More Done calls than Add: the counter goes negative",
        decided_by: "`panic: sync: negative WaitGroup counter`",
    },
    BugClass {
        id: "wg.add-inside-goroutine",
        family: "sync.WaitGroup",
        title: "WaitGroup.Add called inside the new goroutine: Wait can return before the work is counted",
        decided_by: "the scenario's own invariant check (lost results) with go vet's `waitgroup` finding (Add called from inside new goroutine)",
    },
    BugClass {
        id: "cond.wait-without-loop",
        family: "sync.Cond",
        title: "Cond.Wait guarded by `if` instead of `for`: woken with the predicate false",
        decided_by: "a panic in a goroutine right after it was woken from `sync.Cond.Wait` (trace)",
    },
    BugClass {
        id: "cond.wait-never-signalled",
        family: "sync.Cond",
        title: "Cond.Wait that no Signal or Broadcast will ever wake (a lost wakeup)",
        decided_by: "a goroutine blocked forever in `sync.Cond.Wait`; when the trace shows another goroutine's Signal or Broadcast *before* the Wait blocked (a `support.Step(\"Signal\")` label: a Signal that wakes nobody leaves no trace event), the diagnosis states that order (a lost wakeup)",
    },
    BugClass {
        id: "cond.signal-not-broadcast",
        family: "sync.Cond",
        title: "Signal where Broadcast was needed: one waiter wakes, the others sleep forever",
        decided_by: "goroutines blocked forever in `sync.Cond.Wait` that blocked *before* a `Cond.Signal` which woke a goroutine running the same function (trace order)",
    },
    BugClass {
        id: "cond.wait-without-lock",
        family: "sync.Cond",
        title: "Cond.Wait called without holding its lock",
        decided_by: "`fatal error: sync: unlock of unlocked mutex` raised inside `sync.(*Cond).Wait`",
    },
    BugClass {
        id: "cond.signaller-blocked-on-waiter",
        family: "sync.Cond",
        title: "The goroutine that would Signal is blocked on a channel that only the Cond waiter would drain",
        decided_by: "the wait-for graph: a goroutine blocked in `sync.Cond.Wait` whose Cond a stuck goroutine still reaches, that one blocked in a channel operation whose channel, of the stuck goroutines, only the waiter reaches (a cycle of waits)",
    },
    BugClass {
        id: "mutex.lock-never-released",
        family: "sync.Mutex",
        title: "Lock of a Mutex or RWMutex that is never unlocked (fallback)",
        decided_by: "a goroutine blocked forever in `sync.Mutex.Lock` or `sync.RWMutex.*`",
    },
    BugClass {
        id: "mutex.double-lock",
        family: "sync.Mutex",
        title: "A goroutine locks a sync.Mutex it already holds (sync.Mutex is not reentrant)",
        decided_by: "a deadlock whose only scenario goroutine, in the dump and in the whole trace, is blocked in `sync.Mutex.Lock`, no timer callback ran user code and go vet reports no copied lock: nobody else could hold the lock",
    },
    BugClass {
        id: "mutex.unlock-skipped-on-return",
        family: "sync.Mutex",
        title: "A return path skips the Unlock: the goroutine leaves holding the lock, the next Lock blocks forever",
        decided_by: "a goroutine blocked forever in `sync.Mutex.Lock` at a line where, per the trace, a goroutine that has since exited acquired the lock (it was woken there and never blocked there again), no Unlock woke the waiter since, and no other goroutine that ran user code (scenario goroutine or timer callback) is alive, and go vet reports no copied lock",
    },
    BugClass {
        id: "mutex.lock-order-inversion",
        family: "sync.Mutex",
        title: "Two goroutines take the same locks in opposite orders (AB-BA): each holds what the other wants",
        decided_by: "a deadlock with two or more goroutines in `sync.Mutex.Lock` and no scenario goroutine that exited (so the holders are among the blocked)",
    },
    BugClass {
        id: "mutex.potential-lock-order-inversion",
        family: "sync.Mutex",
        title: "Locks taken in opposite orders by different goroutines in a run that did not deadlock: a latent AB-BA",
        decided_by: "a clean run whose lock order (recorded by the runtime overlay: each lock acquired while another was held) has a cycle over two or more locks, from two or more goroutines, conflicting at every lock (not two read holds) and guarded by no common gate lock",
    },
    BugClass {
        id: "rwmutex.recursive-rlock",
        family: "sync.Mutex",
        title: "A read lock taken again while a writer waits: the second RLock queues behind the writer",
        decided_by: "a deadlock with a goroutine in `sync.RWMutex.RLock` and one in `sync.RWMutex.Lock`",
    },
    BugClass {
        id: "rwmutex.rlock-upgrade",
        family: "sync.Mutex",
        title: "A goroutine holding a read lock calls Lock on the same RWMutex: it waits for its own read lock",
        decided_by: "a deadlock whose only scenario goroutine, in the dump and in the whole trace, waits in `sync.RWMutex.Lock` (the wait of a writer for active readers; a writer behind a writer waits in `sync.Mutex.Lock`), no timer callback ran user code and go vet reports no copied lock",
    },
    BugClass {
        id: "mutex.held-across-send",
        family: "sync.Mutex",
        title: "A lock held while sending on a channel whose receiver needs the same lock",
        decided_by: "a deadlock with a goroutine in `chan send` and one in `sync.Mutex.Lock`, and no scenario goroutine that exited",
    },
    BugClass {
        id: "mutex.held-across-receive",
        family: "sync.Mutex",
        title: "A lock held while receiving from a channel whose senders need the same lock before they send",
        decided_by: "the wait-for graph, whatever the outcome: a goroutine that holds a Mutex or RWMutex (write or read) in the function that took it and is blocked receiving from a channel (or in a select whose cases are all receives, none from a timer's channel), while other goroutines wait to lock that lock",
    },
    BugClass {
        id: "mutex.held-across-wait",
        family: "sync.Mutex",
        title: "A lock held across Cond.Wait (on a Cond of another lock) or WaitGroup.Wait, while the goroutine that would signal or call Done needs that lock",
        decided_by: "the wait-for graph, whatever the outcome: a goroutine that holds a Mutex or RWMutex (write or read) in the function that took it and is blocked in `sync.Cond.Wait` or `sync.WaitGroup.Wait`, while other goroutines wait to lock that lock",
    },
    BugClass {
        id: "mutex.unlock-of-unlocked",
        family: "sync.Mutex",
        title: "Unlock of a Mutex or RWMutex that is not locked (a double unlock)",
        decided_by: "`fatal error: sync: unlock of unlocked mutex` (or the RWMutex forms) outside Cond.Wait",
    },
    BugClass {
        id: "mutex.copied-lock",
        family: "sync.Mutex",
        title: "A struct holding a lock is copied: the copy's lock is a different lock (and here copied locked)",
        decided_by: "go vet's `copylocks` finding, and a goroutine blocked forever on a lock",
    },
    BugClass {
        id: "once.recursive-do",
        family: "sync.Once",
        title: "Once.Do whose function calls the same Once's Do again",
        decided_by: "a goroutine blocked in `sync.Mutex.Lock` with `sync.(*Once).doSlow` twice on its stack",
    },
    BugClass {
        id: "timer.ticker-leak",
        family: "timers",
        title: "A ticker or timer loop with no stop signal: the goroutine outlives its owner",
        decided_by: "a goroutine left behind that timers woke again and again (trace)",
    },
    BugClass {
        id: "timer.drain-after-receive",
        family: "timers",
        title: "Draining timer.C after Stop returned false when the tick was already received: the receive waits forever",
        decided_by: "the wait-for graph: a goroutine blocked only in a receive from a timer's channel that is empty and whose timer is no longer pending (instance evidence)",
    },
    BugClass {
        id: "map.concurrent-writes",
        family: "maps",
        title: "A map written by several goroutines without a lock",
        decided_by: "`fatal error: concurrent map writes` (or `concurrent map read and map write`)",
    },
    BugClass {
        id: "race.unsynchronized-access",
        family: "data races",
        title: "Goroutines access the same memory, at least one writing, with nothing ordering the accesses",
        decided_by: "the race detector's `WARNING: DATA RACE` report (a `-race` build)",
    },
    BugClass {
        id: "sched.starvation",
        family: "scheduler",
        title: "A goroutine that never yields keeps its processor: a runnable goroutine never runs",
        decided_by: "the scenario's own invariant check (no progress) and the trace: a goroutine runnable from its creation until a spinning goroutine gave up its processor, far longer than the runtime's 10 ms preemption period",
    },
    BugClass {
        id: "runtime.panic",
        family: "runtime",
        title: "An unrecovered panic the evidence does not attribute to a concurrency class (fallback)",
        decided_by: "a `panic:` line",
    },
    BugClass {
        id: "runtime.fatal",
        family: "runtime",
        title: "A fatal runtime error the evidence does not attribute to a concurrency class (fallback)",
        decided_by: "a `fatal error:` line",
    },
    BugClass {
        id: "runtime.invariant-violated",
        family: "runtime",
        title: "The scenario's own invariant check failed, and the evidence does not tie it to a known class (fallback)",
        decided_by: "a failed `support.Check`",
    },
    BugClass {
        id: "runtime.no-progress",
        family: "runtime",
        title: "No verdict before the deadline: goroutines alive but the program never finished (fallback)",
        decided_by: "the supervisor's deadline or the harness backstop",
    },
];

impl BugClass {
    /// A fallback names the stuck primitive, not the story behind it. The title carries the
    /// marker, so the generated docs and every report show it too.
    pub fn is_fallback(&self) -> bool {
        self.title.ends_with("(fallback)")
    }
}

pub fn lookup(id: &str) -> Option<&'static BugClass> {
    CLASSES.iter().find(|c| c.id == id)
}

/// `docs/taxonomy.md`, generated.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Bug-class taxonomy\n\n\
         Generated from `harness/src/vocabulary/taxonomy.rs` (a test keeps this file equal to it).\n\
         Ids are stable: never renamed or reused. A class marked *fallback* is what the\n\
         classifier reports when the evidence shows the stuck primitive but not the more\n\
         specific story.\n",
    );
    let mut family = "";
    for class in CLASSES {
        if class.family != family {
            family = class.family;
            out.push_str(&format!(
                "\n## {family}\n\n| id | class | decided by |\n|---|---|---|\n"
            ));
        }
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            class.id, class.title, class.decided_by
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        for (i, class) in CLASSES.iter().enumerate() {
            assert!(
                CLASSES[..i].iter().all(|c| c.id != class.id),
                "duplicate {}",
                class.id
            );
            let (family, name) = class.id.split_once('.').expect("family.name");
            assert!(!family.is_empty() && !name.is_empty());
            assert!(
                class
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '-')
            );
        }
    }

    #[test]
    fn docs_taxonomy_md_is_generated_from_this_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/taxonomy.md");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        if committed != render_markdown() {
            if std::env::var_os("GOREPRO_BLESS").is_some() {
                std::fs::write(path, render_markdown()).unwrap();
            } else {
                panic!(
                    "docs/taxonomy.md is out of date: rerun with GOREPRO_BLESS=1 and review the diff"
                );
            }
        }
    }
}
