package support

import (
	"sync"
	"time"
)

// Yield is a seeded scheduling point of `gorepro diagnose`: the rewriter
// puts a call before every channel operation, select, close, go statement
// and Lock, RLock, Wait, Signal or Broadcast of the user's code, with the
// point's number (site) and how many times the point has been reached
// (visit, from 1). Whether it holds the caller, and with which priority,
// depends only on GOREPRO_PERTURB_SEED, site and visit: the same seed gives
// the same decisions. Without a seed it does nothing.
//
// 3 of 8 points are held. Past a site's holdKnee-th visit only holdKnee/visit
// of those are, so a point in a loop of n iterations is held about
// 3/8·holdKnee·(1+ln(n/holdKnee)) times instead of 3n/8: a loop's first
// iterations are explored as before and its later ones still sometimes,
// while a `go` statement in a loop of 100,000 costs some sixty holds.
func Yield(site int, visit uint64) {
	seed := currentConfig().seed
	if seed == 0 {
		return
	}
	if priority, ok := holdAt(seed, site, visit); ok {
		Hold(site, priority, holdBound)
	}
}

const (
	// holdKnee is the number of visits of a site held at the full share.
	holdKnee = 16
	// holdBound is how long a hold waits at most for the others to block.
	holdBound = 3 * time.Millisecond
)

// holdAt is Yield's decision: whether to hold at this visit of site, and the
// priority among held goroutines.
func holdAt(seed uint64, site int, visit uint64) (priority uint64, hold bool) {
	h := mix(seed*0x9e3779b97f4a7c15 ^ uint64(site)<<40 ^ visit)
	if h%8 < 5 {
		return 0, false
	}
	if visit > holdKnee && mix(h)%visit >= holdKnee {
		return 0, false
	}
	return h >> 3, true
}

// mix is splitmix64's finalizer.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// Hold keeps the caller where it is until no other goroutine of the program
// can run, so everything the others can still do happens before the
// caller's next step. A delay by sleeping races with the others' speed (on a
// loaded machine a 150 µs sleep may be too short for them, or not); a hold
// does not, which is what lets a seed replay the same interleaving.
//
// Several goroutines may be held at once. When every goroutine that is not
// held is blocked (or gone), the held one with the lowest priority goes on,
// ties broken by goroutine id, and the others stay held. A hold also ends
// after bound, so a program with a goroutine that never blocks (it sleeps,
// spins or waits on I/O) is slowed, never stopped.
//
// Holds that end at their bound fix no order and cost the bound each time,
// so they are rationed: a site (the rewriter's point number) whose last
// siteAtBoundMax holds all ended at their bound is not held again, and once
// runAtBoundMax holds of the run have ended at their bound no hold waits any
// more. Whether a hold ends at its bound depends on the program's goroutines
// that do not block, and on time when one takes about the bound to block:
// only then can these budgets make a replay differ.
func Hold(site int, priority uint64, bound time.Duration) { holds.hold(site, priority, bound) }

const (
	// siteAtBoundMax is how many holds in a row may end at their bound at a site.
	siteAtBoundMax = 3
	// runAtBoundMax is how many holds of a run may end at their bound.
	runAtBoundMax = 100
)

// holdPoll is how often a held goroutine looks again; a look is a
// stop-the-world stack dump, taken only by the held goroutine next in line.
// The runtime sleeps at least about a millisecond when every P is idle.
const holdPoll = 20 * time.Microsecond

// holds is the registry of held goroutines.
var holds = newHoldRegistry()

// holdRegistry is the held goroutines and the run's hold budget. epoch
// counts changes of held, so a look can tell whether the set changed while
// the dump was being taken.
type holdRegistry struct {
	sync.Mutex
	epoch     uint64
	held      map[int64]uint64 // goroutine id -> priority
	heldSince time.Time        // when held last became non-empty
	stats     holdStats
	streak    map[int]int // site -> holds in a row that ended at their bound
}

// holdStats is what the holds cost, for verdict.json.
type holdStats struct {
	heldFor time.Duration // time during which at least one goroutine was held
	count   int           // holds that looked at least once
	atBound int           // holds that ended at their bound
}

func newHoldRegistry() *holdRegistry {
	return &holdRegistry{held: map[int64]uint64{}, streak: map[int]int{}}
}

func (h *holdRegistry) hold(site int, priority uint64, bound time.Duration) {
	if !h.affordable(site) {
		return
	}
	self := currentGoroutineID()
	h.change(func() {
		if len(h.held) == 0 {
			h.heldSince = time.Now()
		}
		h.held[self] = priority
		h.stats.count++
	})
	buf := make([]byte, 16<<10)
	deadline := time.Now().Add(bound)
	// Look before sleeping: most holds find the others blocked at once, and
	// a sleep costs a millisecond when the machine is idle.
	went := h.mayGo(&buf, self, priority)
	for !went && time.Now().Before(deadline) {
		time.Sleep(holdPoll)
		went = h.mayGo(&buf, self, priority)
	}
	h.change(func() {
		delete(h.held, self)
		if len(h.held) == 0 {
			h.stats.heldFor += time.Since(h.heldSince)
		}
		if went {
			h.streak[site] = 0
		} else {
			h.streak[site]++
			h.stats.atBound++
		}
	})
}

// affordable reports whether the budget still allows a hold at site.
func (h *holdRegistry) affordable(site int) bool {
	h.Lock()
	defer h.Unlock()
	return h.streak[site] < siteAtBoundMax && h.stats.atBound < runAtBoundMax
}

func (h *holdRegistry) change(f func()) {
	h.Lock()
	f()
	h.epoch++
	h.Unlock()
}

// costs returns the holds' statistics so far, counting a hold in progress.
func (h *holdRegistry) costs() holdStats {
	h.Lock()
	defer h.Unlock()
	s := h.stats
	if len(h.held) > 0 {
		s.heldFor += time.Since(h.heldSince)
	}
	return s
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
