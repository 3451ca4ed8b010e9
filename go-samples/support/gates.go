package support

import (
	"context"
	"fmt"
	"runtime"
	"runtime/trace"
	"sync/atomic"
	"time"
)

// Gates force an interleaving without changing the bug. They wait by polling
// with short sleeps, so a goroutine waiting in a gate is "sleep" (live) and
// never mistaken for a stuck one. A gate that waits longer than
// GOREPRO_GATE_TIMEOUT_MS ends the run with the gate-timeout verdict.

// AwaitBlocked waits until at least n scenario goroutines other than the
// caller are blocked with exactly this wait reason, e.g. "sync.Cond.Wait".
func AwaitBlocked(reason string, n int) {
	awaitView(fmt.Sprintf("AwaitBlocked(%q, %d)", reason, n), func(v *view) bool {
		return v.blockedBy[reason] >= n
	})
}

// AwaitIdle waits until every scenario goroutine other than the caller is
// blocked, and there is at least one.
func AwaitIdle() {
	awaitView("AwaitIdle()", (*view).quiescent)
}

// AwaitSettled waits until no scenario goroutine other than the caller can
// run: each one is blocked or has exited (there may be none left).
func AwaitSettled() {
	awaitView("AwaitSettled()", func(v *view) bool { return v.live == 0 })
}

// awaitView waits until ready holds for a fresh view of the goroutines, the
// caller excluded.
func awaitView(gate string, ready func(*view) bool) {
	self := currentGoroutineID()
	buf := make([]byte, 64<<10)
	await(gate, func() bool {
		v, ok := snapshotView(&buf, self)
		return ok && ready(&v)
	})
}

// snapshotView classifies a fresh dump with self left out; false while
// Exclusive holds snapshots off.
func snapshotView(buf *[]byte, self int64) (view, bool) {
	if !beginSnapshot() {
		return view{}, false
	}
	v := classify(stackDump(buf), rootID.Load(), self)
	endSnapshot()
	return v, true
}

// Await waits until ready returns true; name says what it waits for and
// names the gate in a gate-timeout. ready is polled like the other gates and
// may use Marked and BlockedIn to combine conditions.
func Await(name string, ready func() bool) {
	await(fmt.Sprintf("Await(%q)", name), ready)
}

// Marked reports whether Mark(name) has been called.
func Marked(name string) bool {
	m := marks.Load()
	return m != nil && (*m)[name]
}

// BlockedIn counts the scenario goroutines other than the caller that are
// blocked with exactly this wait reason, e.g. "sync.WaitGroup.Wait".
func BlockedIn(reason string) int {
	self := currentGoroutineID()
	buf := make([]byte, 64<<10)
	for {
		if v, ok := snapshotView(&buf, self); ok {
			return v.blockedBy[reason]
		}
		time.Sleep(currentConfig().poll)
	}
}

// marks is the set of names passed to Mark, copied on write.
var marks atomic.Pointer[map[string]bool]

// Mark records a happens-before point that AwaitMark waits for, and logs the
// name into the execution trace.
func Mark(name string) {
	for {
		old := marks.Load()
		m := map[string]bool{name: true}
		if old != nil {
			for k := range *old {
				m[k] = true
			}
		}
		if marks.CompareAndSwap(old, &m) {
			break
		}
	}
	trace.Log(context.Background(), "gorepro", name)
}

// AwaitMark waits until Mark(name) has been called.
func AwaitMark(name string) {
	await(fmt.Sprintf("AwaitMark(%q)", name), func() bool { return Marked(name) })
}

// Step logs a label into the execution trace and does nothing else.
func Step(name string) {
	trace.Log(context.Background(), "gorepro", name)
}

// Exclusive runs f while every other P is kept busy by internal spinner
// goroutines, started and confirmed running before f and stopped after it.
// A goroutine readied inside f goes to this P's runnext, so it cannot run
// until f has returned: "Done then Add" becomes atomic for a woken waiter.
// Snapshots (which stop the world and would reschedule everything) are held
// off meanwhile. With GOMAXPROCS=1, f is simply called. f must not block.
//
// It cannot stop a preemption of f's own goroutine: if the OS holds that
// thread for 10 ms while f runs (only a loaded machine does), sysmon preempts
// the goroutine and its P runs runnext, the goroutine f readied, first. Keep
// f to a few operations; a scenario that can do without Exclusive should.
func Exclusive(f func()) {
	const gate = "Exclusive"
	c := currentConfig()
	start := time.Now()
	exclusiveSince.Store(int64(elapsed()))
	exclusiveActive.Add(1)
	for snapshotting.Load() != 0 {
		if time.Since(start) > c.gateTimeout {
			exclusiveActive.Add(-1)
			gateTimeout(gate)
		}
		runtime.Gosched()
	}
	var running atomic.Int32
	var stop atomic.Bool
	n := int32(runtime.GOMAXPROCS(0) - 1)
	for range n {
		go spin(&running, &stop)
	}
	// Wait without yielding: newproc woke an idle P, which steals the
	// spinners from this P's run queue. A Gosched per look would be an
	// execution-trace event with a stack each, tens of thousands when the
	// other P is slow to come (a loaded machine).
	for running.Load() < n {
		if time.Since(start) > c.gateTimeout {
			stop.Store(true)
			exclusiveActive.Add(-1)
			gateTimeout(gate)
		}
	}
	f()
	stop.Store(true)
	exclusiveActive.Add(-1)
}

// spin occupies a P until stop is set. It has no scheduling point: only a
// preemption (sysmon, after 10 ms) could take its P away.
func spin(running *atomic.Int32, stop *atomic.Bool) {
	running.Add(1)
	for !stop.Load() {
	}
}

// await polls ready until it holds or the gate times out. Passing is logged
// into the trace ("gate <name>"): the harness orders its timeline by it, since
// whatever the gate waited for happened before the caller's next step.
func await(gate string, ready func() bool) {
	c := currentConfig()
	start := time.Now()
	for !ready() {
		if time.Since(start) > c.gateTimeout {
			gateTimeout(gate)
		}
		time.Sleep(c.poll)
	}
	trace.Log(context.Background(), "gorepro", "gate "+gate)
}

// gateTimeout hands the verdict to the supervisor and stays live (asleep)
// until it exits the process. Without Main it panics instead.
func gateTimeout(gate string) {
	if cfgPtr.Load() == nil {
		panic("gorepro: gate timed out: " + gate)
	}
	gateTimedOut.CompareAndSwap(nil, &gate)
	for {
		time.Sleep(time.Millisecond)
	}
}
