// Package support is the in-process supervisor that every gorepro scenario
// program links. It runs the scenario, watches its goroutines, decides a
// verdict from runtime evidence and writes that evidence for the Rust harness.
// The harness depends on exactly the contract below.
//
// # Goroutines
//
// A scenario's main is
//
//	func main() { support.Main(run) }
//
// Main keeps goroutine 1 as the supervisor and runs run on a new goroutine,
// the root, whose outermost frame is gorepro.dev/samples/support.runRoot (the
// harness recognises the root by that name). Goroutines whose outermost frame
// is in package support (other than runRoot) or in runtime/trace are internal
// and never part of the scenario. Every other goroutine except goroutine 1 is
// a scenario goroutine; the root is one while it has not returned.
//
// A scenario goroutine is blocked when its wait reason is one of chan send,
// chan receive, chan send (nil chan), chan receive (nil chan), select,
// select (no cases), sync.Mutex.Lock, sync.RWMutex.RLock, sync.RWMutex.Lock,
// sync.Cond.Wait, sync.WaitGroup.Wait or semacquire (suffixes such as
// " (leaked)", ", 1 minutes" or ", locked to thread" are ignored), and it
// does not wait in this package (a gate or a hold, which look at the others
// with runtime.Stack). Any other state is live. The run is quiescent when
// every scenario goroutine is blocked.
//
// A test binary (what `gorepro diagnose` builds from a user's package) calls
// MainTests(m) from a generated TestMain instead: the root runs m.Run, whose
// goroutines parked inside package testing (the root in T.Run) the harness
// treats as the testing package's machinery. See MainTests for the flags it
// sets. With gorepro's runtime overlay (always, under the harness) the root of
// a test binary is goroutine 1 itself, as under go test, and the supervisor and
// the trace reader run on goroutines the runtime counts as its own, which
// runtime.Stack(all), runtime.NumGoroutine and the goroutine profile leave out:
// goleak, goroutine counts and stack-shape tests see what they see under go
// test. A root that returns, or calls os.Exit (goleak.VerifyTestMain does), is
// parked where it is and becomes internal; a non-zero os.Exit status prints
// "gorepro: tests exit status N". Every top-level test calls TestStarted, whose
// cleanup attributes goroutines to tests (verdict.json's owners).
//
// Goroutines an ignore rule matches (GOREPRO_IGNORE), and the standard
// library's own background goroutines that goleak ignores too (os/signal's
// loop, signal.Notify's runtime.ensureSigM), are neither scenario nor
// internal: they are never blocked, never live, never a leak, and are listed
// as ignored_goroutines. The root is never ignored.
//
// # Supervision
//
// Tracing and the supervisor's own sleeps silence the runtime's "all
// goroutines are asleep" check, so the supervisor polls every
// GOREPRO_POLL_US with runtime.Stack(all) and decides:
//
//   - root returned, no scenario goroutine left: clean, exit 0.
//   - root not returned and quiescent: deadlock, exit 3.
//   - root returned and the rest quiescent and proven stuck: leak, exit 4.
//     Otherwise, as goleak does, whatever is left GOREPRO_LEAK_GRACE_MS after
//     the first poll that saw the root returned has leaked, in whatever
//     state (sleeping, running, blocked): leak, exit 4, decided from the
//     final dump itself, so goroutines.txt holds every one it counted (clean
//     if they finished in the meantime).
//   - nothing after GOREPRO_DEADLINE_MS: timeout, exit 5.
//   - a gate waited longer than GOREPRO_GATE_TIMEOUT_MS: gate-timeout,
//     exit 6, naming the gate.
//   - a rejected GOREPRO_* value: "gorepro: config error: ..." on stderr,
//     exit 7, no verdict.
//   - clean, but the scenario's own invariant check failed (Check):
//     invariant-violated, exit 8, one "gorepro: invariant violated (<kind>):
//     <detail>" line on stderr per failed check.
//   - the process that started the program is gone (the harness was
//     killed): exit 9 at the next poll, no verdict and no evidence.
//
// Deadlock and leak need proof or patience. When a quiescent state (the set
// of blocked goroutine ids, wait reasons and top frames) is first seen, the
// supervisor takes the goroutine-leak profile (pprof "goroutineleak", which
// is nil on go1.26 unless built with GOEXPERIMENT=goroutineleakprofile). If
// it marks every blocked scenario goroutine " (leaked)", the verdict is
// immediate and proven. Otherwise something still reaches them, a global or
// a timer (a ticker, a poll loop, a timeout) that may wake them: the
// deadlock verdict comes, unproven, only once the same state has lasted
// GOREPRO_SETTLE_UNPROVEN_MS (1 s: a short window called ticker-driven
// pools and testify's Eventually stuck). A poll that sees a goroutine live
// ends the state only if the next poll does too: a timer that wakes a
// goroutine which goes back to the same wait in between (a heartbeat beside
// a real deadlock) is no change. Any other change starts over. Once the root
// has returned, its leftovers are judged at the grace instead.
//
// A panic is not recovered: the runtime's "panic:" report with the
// GOTRACEBACK=all dump on stderr and exit status 2 are the evidence. The
// streamed trace is flushed by the runtime. Main prints nothing else except
// the verdict line; scenarios may print.
//
// # Environment
//
//	GOREPRO_EVIDENCE_DIR     evidence directory; unset: no files (and no trace)
//	GOREPRO_TRACE            stream (default) | flight | off
//	GOREPRO_TRACE_WINDOW_MB  trace kept on disk in stream mode, default 32
//	GOREPRO_POLL_US          supervisor and gate poll interval, default 1000
//	GOREPRO_SETTLE_UNPROVEN_MS  default 1000 (GOREPRO_SETTLE_MS, its 20 ms
//	                            predecessor, is refused)
//	GOREPRO_LEAK_GRACE_MS    default 100
//	GOREPRO_DEADLINE_MS      default 10000, at most a day
//	GOREPRO_GATE_TIMEOUT_MS  default 5000
//	GOREPRO_SCHEDULE         forced schedule for Turn; unset: Turn does nothing
//	GOREPRO_PERTURB_SEED     Yield's seed (gorepro diagnose); unset or 0: no holds
//	GOREPRO_IGNORE           one rule per line, top:FUNCTION (innermost frame)
//	                         or any:FUNCTION (any frame); unset: none
//
// stream starts trace.Start at once, writing segment files of whole
// generations (trace-000001.out, ...) and deleting the oldest beyond
// GOREPRO_TRACE_WINDOW_MB, so a panic still leaves the trace up to it and a
// long run keeps its most recent window; at the verdict the segments are
// joined into trace.out (after a crash the harness joins them). flight keeps
// a trace.FlightRecorder and writes trace.out at the verdict only (a
// panicking run then has no trace).
//
// # Evidence
//
// At a verdict, in this order, into GOREPRO_EVIDENCE_DIR:
//
//  1. goroutines.txt: the final dump. It is the leak profile at debug=2
//     (a full runtime.Stack dump in which leaked goroutines read
//     "[chan send (leaked)]") when available, else runtime.Stack(all). For a
//     proven verdict it is the very dump that proved it.
//  2. trace.Log(ctx, "gorepro", "verdict <name>"), then the trace is stopped
//     and trace.out flushed (stream) or written (flight).
//  3. instances.json: what each goroutine waits on and who holds which lock
//     (see Instances below), as it was right after the final dump.
//  4. verdict.json, written to a temporary file and renamed, so its presence
//     means the evidence is complete.
//
// verdict.json is one line, for example:
//
//	{"verdict":"deadlock","proven":true,"root_goroutine":18,"root_returned":false,"supervisor_goroutine":1,"internal_goroutines":[17],"scenario_goroutines":[18,19],"leak_profile":true,"quiescent_after_ns":1234567,"verdict_after_ns":1300000,"poll_interval_us":1000,"settle_unproven_ms":1000,"gate":"","note":"","violations":[],"trace_dropped_bytes":0,"hold_ns":0,"holds":0,"holds_at_bound":0,"ignored_goroutines":[],"owners":[],"running_tests":[]}
//
// Then one line goes to stderr, "gorepro: verdict=<name> proven=<bool>", and
// the process exits with the verdict's status. If verdict.json cannot be
// written, a line "gorepro: evidence error: ..." precedes it.
//
// Field meanings: times are monotonic nanoseconds since Main started.
// verdict_after_ns is when the verdict was decided (before the evidence was
// written); quiescent_after_ns is when the final quiescent state was first
// seen, 0 if the verdict did not come from a quiescent state (clean,
// timeout, gate-timeout, leak after the grace). proven is true only when the
// leak profile proved the verdict. root_returned is as decided. The goroutine
// lists come from goroutines.txt, sorted; scenario_goroutines includes the
// root while it exists. leak_profile says whether the profile was available.
// gate names the gate of a gate-timeout, e.g. AwaitMark("caller gave up").
// note explains unproven verdicts and records evidence failures.
// violations lists the failed invariant checks in the order they happened:
// kind (LostMessage, LostResults, NoProgress), detail, the checking goroutine,
// and the file and line of the Check call; they are listed whatever the
// verdict, and make a clean verdict invariant-violated. hold_ns is the time
// during which Hold kept at least one goroutine waiting, holds the holds
// that waited and holds_at_bound those that ended at their bound (all 0
// without GOREPRO_PERTURB_SEED): a timeout mostly spent in holds is the
// tool's slowdown, not the program's. ignored_goroutines lists the goroutines
// of the final dump an ignore rule matched; owners gives, for each scenario
// goroutine of the final dump whose test is known, {"goroutine": id, "test":
// name} (see TestStarted); running_tests names the tests that had started and
// not ended at the verdict (a deadlock's or a timeout's tests), sorted.
//
// # Instances
//
// The harness builds every program with the tag gorepro_instances and lays
// five files over the toolchain with -overlay (GOROOT itself is never
// written): runtime/gorepro_instances.go, runtime/gorepro_lockorder.go and
// sync/gorepro_instances.go (added; their source is in _goroot/, a directory
// the go command skips), and
// sync/mutex.go and sync/rwmutex.go with their exported locking methods
// renamed, so that every Mutex and RWMutex acquisition and release goes through
// a fixed-size, lock-free holder registry in the runtime (about 14 ns per
// Lock/Unlock pair). At the verdict, right after the final dump and in the same
// quiescent state, the supervisor stops the world once more to copy what the
// runtime knows into buffers allocated at start, and once the trace is stopped
// decodes it into instances.json:
//
//	{"goroutines": [{"goid": 11, "status": "leaked"}, ...],
//	 "waits": [{"goid": 11, "reason": "sync.Mutex.Lock", "leaked": true,
//	            "object": "0x357b14d72068", "kind": "mutex", "op": "lock"}, ...],
//	 "holds": [{"object": "0x357b14d72050", "kind": "mutex", "mode": "write",
//	            "goid": 11, "holder_alive": true, "stack": [{"function":
//	            "main.transfer", "file": "gorepro.dev/samples/.../buggy.go",
//	            "line": 9}, ...]}, ...],
//	 "registry_overflow": 0,
//	 "objects": [{"addr": "0x357b14d72068", "kind": "mutex", "locked": true,
//	              "sema_waiters": 1, "blocked": [11]}, ...]}
//
// goroutines lists every live goroutine but the runtime's own (status
// running, runnable, syscall, waiting, leaked, preempted, copystack). waits
// has one entry per parked goroutine and, for a select, one per case; object,
// kind (chan, mutex, rwmutex, waitgroup, cond, sema) and op (send, recv, lock,
// rlock, wait, acquire) are absent when it waits on no object (a nil channel,
// select {}, a sleep). holds lists the registry: a Mutex or RWMutex held for
// write or read, by goroutine goid (0: being recorded as the world stopped),
// whether that goroutine still exists, and up to five frames of where it was
// acquired, innermost first, without sync and runtime frames except
// sync.(*Once).doSlow (a Once's lock is at the Once's address + 4).
// registry_overflow counts acquisitions the full registry could not record.
// objects gives each waited-on object's state: a chan's cap, len, closed,
// timer (and for a timer's, timer_pending: whether it will still send),
// senders and receivers; a mutex's locked bit and semaphore waiters;
// an rwmutex's readers, writer_pending and reader_wait (absent when it was
// seen only through a writer queued behind another writer) and its writer
// mutex's locked and sema_waiters; a waitgroup's counter and waiters; a cond's
// wait_ticket and notify_ticket; and for all but chan the goroutines blocked
// on it. references says, for every parked goroutine, which of those objects
// it still reaches from the live slots of its stack (the collector's stack
// maps) through the heap, globals not followed: the goroutines that could
// still send, receive, signal or unlock (incomplete: the scan gave up). It is
// a second stop-the-world right after the snapshot. Addresses are hex strings,
// valid within one file only.
//
// lock_order (lockorder.go) lists every edge "goroutine goid acquired to while
// it held from" of the whole run, once, as first seen: both locks' address,
// kind and mode, shared (another goroutine took the same edge later), gates
// (locks every sighting held in write mode) and both acquire stacks. It is
// written at every verdict, a clean one included: a cycle in it is a potential
// lock-order inversion. lock_order_dropped and lock_order_holds_dropped count
// edges and acquires its fixed-size tables could not keep.
//
// A run that panics or dies of a fatal error reaches no verdict and has no
// instances.json, and neither has a build without the tag (an exported
// scenario under plain `go run`): the snapshot's runtime side exists only in
// the overlay.
//
// # Invariant checks
//
// Some bugs leave the runtime nothing to show: no goroutine blocks, nothing
// panics, a message or a result is simply lost. The scenario then checks its
// own invariant with Check(kind, ok, format, args...), whose kind says what
// went wrong; the check (also logged into the trace under the category
// "gorepro.violation", with the caller's stack) is the evidence.
//
// # Gates
//
// Gates force an interleaving deterministically without changing the bug:
// AwaitBlocked, AwaitIdle, AwaitSettled, Mark and AwaitMark, Await (a
// condition built from Marked and BlockedIn), Step (a trace label only),
// Exclusive and Turn. They poll every GOREPRO_POLL_US and wait by sleeping, so a
// goroutine in a gate is live. The gate field of a gate-timeout names the
// call: AwaitBlocked("sync.Cond.Wait", 2), AwaitIdle(), AwaitSettled(),
// AwaitMark("caller gave up"), Await("the caller reached Wait") or
// Exclusive. Mark and Step log their name with trace.Log(ctx, "gorepro",
// name); AwaitBlocked, AwaitIdle and AwaitMark log "gate <call>" (e.g.
// `gate AwaitBlocked("sync.Cond.Wait", 2)`) when they pass, which orders the
// harness's timeline. The harness reads three Step labels as the operation on
// the next line, which wakes nobody and so leaves no trace event of its own:
// "Signal" and "Broadcast" (a sync.Cond notification) and "cancel()" (a
// context cancel).
//
// Exclusive keeps every other P busy with internal spinner goroutines while
// its function runs, and holds off the supervisor's and the gates' snapshots
// (a stop-the-world reschedules running goroutines). The function must be
// short, must not block and should not allocate much (a GC started inside it
// would reschedule goroutines too).
//
// Turn(i) forces a whole schedule given as data (used by the fuzzer, whose
// model checker chooses it): GOREPRO_SCHEDULE lists, one per operation, the
// index of the goroutine that starts it ("0,1,1,0"). A goroutine calls
// Turn(i) with its own index before each operation; Turn returns when the
// next entry is i and every other scenario goroutine is waiting in Turn,
// blocked, or gone, so each operation and whatever it wakes finish or block
// before the next one starts. A malformed GOREPRO_SCHEDULE is a config error
// (exit 7); without it Turn returns at once.
//
// Yield(site, visit) is `gorepro diagnose`'s seeded scheduling point; it
// decides from GOREPRO_PERTURB_SEED, the site and the visit whether to call
// Hold(site, priority, bound), which keeps the caller until every other
// scenario goroutine that is not held itself is blocked or gone (or bound
// passes); of several held goroutines the lowest priority goes on first. A
// held goroutine is live and never part of a verdict. Holds are budgeted
// so that they cannot multiply a run's time: a site is held less often past
// its 16th visit, a hold looks before it sleeps, and holds that end at their
// bound are rationed per site and per run (see Yield and Hold).
//
// The supervisor holds no reference to scenario objects: the leak GC treats
// its stack as a root.
package support
