package support

import (
	"sync"
	"time"
)

// Hold is the delay that `gorepro diagnose` inserts at a seeded scheduling
// point: it keeps the caller where it is until no other goroutine of the
// program can run, so everything the others can still do happens before the
// caller's next step. A delay by sleeping races with the others' speed (on a
// loaded machine a 150 µs sleep may be too short for them, or not); a hold
// does not, which is what lets a seed replay the same interleaving.
//
// Several goroutines may be held at once. When every goroutine that is not
// held is blocked (or gone), the held one with the lowest priority goes on,
// ties broken by goroutine id, and the others stay held. A hold also ends
// after bound, so a program with a goroutine that never blocks (it sleeps,
// spins or waits on I/O) is slowed, never stopped.
func Hold(priority uint64, bound time.Duration) {
	self := currentGoroutineID()
	holds.change(func() { holds.held[self] = priority })
	defer holds.change(func() { delete(holds.held, self) })
	buf := make([]byte, 16<<10)
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		time.Sleep(holdPoll)
		if holds.mayGo(&buf, self, priority) {
			return
		}
	}
}

// holdPoll is how often a held goroutine looks again; a look is a
// stop-the-world stack dump, taken only by the held goroutine next in line.
const holdPoll = 20 * time.Microsecond

// holds is the registry of held goroutines. epoch counts its changes, so a
// look can tell whether the set changed while the dump was being taken.
var holds = holdRegistry{held: map[int64]uint64{}}

type holdRegistry struct {
	sync.Mutex
	epoch uint64
	held  map[int64]uint64 // goroutine id -> priority
}

func (h *holdRegistry) change(f func()) {
	h.Lock()
	f()
	h.epoch++
	h.Unlock()
}

// mayGo reports whether self is next in line and every goroutine that is
// neither held nor the harness's own is blocked.
func (h *holdRegistry) mayGo(buf *[]byte, self int64, priority uint64) bool {
	h.Lock()
	epoch := h.epoch
	first := true
	for id, p := range h.held {
		if id != self && (p < priority || p == priority && id < self) {
			first = false
		}
	}
	h.Unlock()
	if !first || !beginSnapshot() {
		return false
	}
	dump := stackDump(buf)
	endSnapshot()
	h.Lock()
	defer h.Unlock()
	if h.epoch != epoch {
		return false // someone was held or released during the dump: look again
	}
	root := rootID.Load()
	for _, g := range parseDump(dump) {
		if _, held := h.held[g.id]; held {
			continue
		}
		switch roleOf(&g, root) {
		case roleSupervisor, roleInternal:
			continue
		}
		if !g.blocked() {
			return false
		}
	}
	return true
}
