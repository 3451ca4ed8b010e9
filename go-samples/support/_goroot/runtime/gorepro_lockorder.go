// Added to package runtime by gorepro's -overlay, as
// $GOROOT/src/runtime/gorepro_lockorder.go, beside gorepro_instances.go (whose
// goreproAcquired and goreproReleasing call in here). It keeps the lock order
// of a run: whenever a goroutine acquires lock B while it holds lock A, the
// edge A->B is remembered once, with both acquire stacks of its first sighting,
// so that a cycle (A->B by one goroutine, B->A by another) can be reported even
// when the run never deadlocked.
//
// Two fixed-size tables, no allocation, no lock:
//
//   - a lockset per goroutine that holds locks (goid -> up to goreproHeld held
//     locks with their acquire stacks), claimed at its first acquire and freed
//     when it holds nothing again;
//   - the edge table, keyed by a 64-bit hash of (A|mode, B|mode); an edge seen
//     again costs one probe and a few loads.
//
// What counts:
//
//   - Modes: A and B keep their mode (read or write). Whether a cycle can
//     block is decided by the reader of the edges (two read holds of one
//     RWMutex never block each other without a third, writing goroutine).
//   - TryLock and TryRLock never block, so they are never the B of an edge;
//     a lock they took is an A like any other.
//   - Gate locks: an edge keeps up to two other locks its goroutine held in
//     write mode at its first sighting, and forgets each one a later sighting
//     does not hold. Two opposite edges that share a gate never overlapped in
//     time (ThreadSanitizer's "gate lock").
//   - An edge from a lock to itself (a recursive RLock) is left to the
//     wait-for graph.
//
// GOREPRO_LOCK_ORDER=off in the program's environment turns the recording off
// (the holder registry stays): a knob for measuring what it costs
// (cargo bench --bench lock_cost).
//
// A full table drops what does not fit and counts it. Addresses identify
// locks: a lock freed and its memory reused for another one looks like the
// same lock (go-deadlock, which keeps its locks reachable, does not have this
// limit).

package runtime

import (
	"internal/runtime/atomic"
	"unsafe"
)

const (
	goreproHeld        = 8 // locks one goroutine can hold at once and be tracked
	goreproSetsLog     = 10
	goreproSets        = 1 << goreproSetsLog // goroutines holding locks at once
	goreproSetProbe    = 16
	goreproEdgesLog    = 12
	goreproEdges       = 1 << goreproEdgesLog
	goreproEdgeProbe   = 8
	goreproGates       = 2
	goreproEdgeWords   = 4 + goreproGates + 2*goreproPCs // one exported edge record
	goreproModeAddress = ^uintptr(goreproModeMask)
)

// goreproSet is the locks one goroutine holds, in no particular order. Only
// its owner adds to it; a release on another goroutine (an Unlock in a
// handoff, an RUnlock elsewhere) removes with a CAS.
type goreproSet struct {
	held [goreproHeld]uintptr // lock address | mode; 0 = empty
	pcs  [goreproHeld][goreproPCs]uintptr
}

// goreproEdge is one lock-order edge: from was held when to was acquired.
type goreproEdge struct {
	ready   uint32 // published last: the fields below are complete
	shared  uint32 // a goroutine other than goid took the same edge later
	from    uintptr
	to      uintptr
	goid    uint64                // the goroutine of the first sighting
	gate    [goreproGates]uintptr // write-held by every sighting so far; 0 = none
	fromPCs [goreproPCs]uintptr   // where from was acquired
	toPCs   [goreproPCs]uintptr   // where to was acquired
}

var (
	goreproSetGoids    [goreproSets]uint64 // owner of each set; 0 = free
	goreproSetTab      [goreproSets]goreproSet
	goreproEdgeKeys    [goreproEdges]uint64 // hash of (from, to); 0 = free
	goreproEdgeTab     [goreproEdges]goreproEdge
	goreproEdgeDropped atomic.Uint64 // edges not recorded: table full around their hash
	goreproSetDropped  atomic.Uint64 // acquires not tracked: too many holders, or too many locks held
)

// goreproOrderState: 0 = the environment not read yet, 1 = on, 2 = off.
var goreproOrderState atomic.Uint32

// goreproOrderOn reports whether the lock order is recorded. The first call
// reads the environment (sync is first used after schedinit has read it).
func goreproOrderOn() bool {
	switch goreproOrderState.Load() {
	case 1:
		return true
	case 2:
		return false
	}
	state := uint32(1)
	if gogetenv("GOREPRO_LOCK_ORDER") == "off" {
		state = 2
	}
	goreproOrderState.Store(state)
	return state == 1
}

func goreproSetHome(goid uint64) uintptr {
	return uintptr((goid * 0x9E3779B97F4A7C15) >> (64 - goreproSetsLog))
}

// goreproSetOf returns goid's set; with claim, a free one becomes its set when
// it has none. nil: none (or no room).
func goreproSetOf(goid uint64, claim bool) *goreproSet {
	home := goreproSetHome(goid)
	for p := uintptr(0); p < goreproSetProbe; p++ {
		i := (home + p) & (goreproSets - 1)
		if atomic.Load64(&goreproSetGoids[i]) == goid {
			return &goreproSetTab[i]
		}
	}
	if !claim {
		return nil
	}
	// Only goid itself claims a set for goid, so it has none still; another
	// goroutine may take a free slot first. A set is freed empty.
	for p := uintptr(0); p < goreproSetProbe; p++ {
		i := (home + p) & (goreproSets - 1)
		if atomic.Load64(&goreproSetGoids[i]) == 0 && atomic.Cas64(&goreproSetGoids[i], 0, goid) {
			return &goreproSetTab[i]
		}
	}
	return nil
}

// goreproOrderAcquired records the edges from every lock the goroutine holds
// to key (address|mode), unless try (a TryLock cannot block), then adds key to
// its set.
func goreproOrderAcquired(goid uint64, key uintptr, pcs *[goreproPCs]uintptr, try bool) {
	s := goreproSetOf(goid, true)
	if s == nil {
		goreproSetDropped.Add(1)
		return
	}
	if !try {
		for j := range s.held {
			from := atomic.Loaduintptr(&s.held[j])
			if from != 0 && from&goreproModeAddress != key&goreproModeAddress {
				goreproEdgeSeen(s, j, from, key, goid, pcs)
			}
		}
	}
	for j := range s.held {
		if atomic.Loaduintptr(&s.held[j]) == 0 {
			s.pcs[j] = *pcs
			atomic.Storeuintptr(&s.held[j], key)
			return
		}
	}
	goreproSetDropped.Add(1)
}

// goreproOrderReleasing removes key from the set of holder (the caller, or the
// goroutine the registry names as the holder when the caller does not hold
// it). The owner frees its set when it holds nothing any more.
func goreproOrderReleasing(self, holder uint64, key uintptr) {
	if s := goreproSetOf(self, false); s != nil && goreproSetRemove(s, key) {
		for j := range s.held {
			if atomic.Loaduintptr(&s.held[j]) != 0 {
				return
			}
		}
		i := (uintptr(unsafe.Pointer(s)) - uintptr(unsafe.Pointer(&goreproSetTab[0]))) / unsafe.Sizeof(*s)
		atomic.Store64(&goreproSetGoids[i], 0)
		return
	}
	if holder != 0 && holder != self {
		if s := goreproSetOf(holder, false); s != nil {
			goreproSetRemove(s, key)
		}
	}
}

func goreproSetRemove(s *goreproSet, key uintptr) bool {
	for j := range s.held {
		if atomic.Loaduintptr(&s.held[j]) == key && atomic.Casuintptr(&s.held[j], key, 0) {
			return true
		}
	}
	return false
}

func goreproSetHolds(s *goreproSet, key uintptr) bool {
	for j := range s.held {
		if atomic.Loaduintptr(&s.held[j]) == key {
			return true
		}
	}
	return false
}

func goreproEdgeHash(from, to uintptr) uint64 {
	h := uint64(from)*0x9E3779B97F4A7C15 ^ uint64(to)
	h = (h ^ h>>31) * 0xBF58476D1CE4E5B9
	return h ^ h>>29 | 1 // never 0, which marks a free slot
}

// goreproEdgeSeen records the edge from -> to (from is held in s.held[j]) or,
// when it is known, updates what later sightings tell: another goroutine,
// gates no longer held. Slots are never freed, so a free slot ends the search.
func goreproEdgeSeen(s *goreproSet, j int, from, to uintptr, goid uint64, toPCs *[goreproPCs]uintptr) {
	h := goreproEdgeHash(from, to)
	home := uintptr(h >> (64 - goreproEdgesLog))
	for p := uintptr(0); p < goreproEdgeProbe; p++ {
		i := (home + p) & (goreproEdges - 1)
		k := atomic.Load64(&goreproEdgeKeys[i])
		if k == 0 {
			if atomic.Cas64(&goreproEdgeKeys[i], 0, h) {
				e := &goreproEdgeTab[i]
				e.from, e.to, e.goid = from, to, goid
				e.fromPCs, e.toPCs = s.pcs[j], *toPCs
				n := 0
				for _, g := range s.held {
					if n < goreproGates && g != 0 && g != from && g&goreproModeMask == goreproModeWrite {
						e.gate[n] = g
						n++
					}
				}
				atomic.Store(&e.ready, 1)
				return
			}
			k = atomic.Load64(&goreproEdgeKeys[i])
		}
		if k == h {
			e := &goreproEdgeTab[i]
			if atomic.Load(&e.ready) == 0 {
				return // its first sighting is being written
			}
			if e.goid != goid && atomic.Load(&e.shared) == 0 {
				atomic.Store(&e.shared, 1)
			}
			for g := range e.gate {
				if gate := atomic.Loaduintptr(&e.gate[g]); gate != 0 && !goreproSetHolds(s, gate) {
					atomic.Casuintptr(&e.gate[g], gate, 0)
				}
			}
			return
		}
	}
	goreproEdgeDropped.Add(1)
}

// goreproLockOrder copies every complete edge into edges, goreproEdgeWords
// words each: from, to (address|mode), goid, shared, gates, from's PCs, to's
// PCs. It returns how many edges there are (more than fit
// when edges is too short: call again with a bigger slice) and the drop
// counts. It does not stop the world: an edge being written is left out.
//
//go:linkname goreproLockOrder
func goreproLockOrder(edges []uint64) (n int, edgesDropped, setDropped uint64) {
	for i := range goreproEdgeKeys {
		if atomic.Load64(&goreproEdgeKeys[i]) == 0 {
			continue
		}
		e := &goreproEdgeTab[i]
		if atomic.Load(&e.ready) == 0 {
			continue
		}
		if n*goreproEdgeWords+goreproEdgeWords <= len(edges) {
			r := edges[n*goreproEdgeWords:][:goreproEdgeWords]
			r[0], r[1], r[2], r[3] = uint64(e.from), uint64(e.to), e.goid, uint64(atomic.Load(&e.shared))
			w := 4
			for g := range e.gate {
				r[w] = uint64(atomic.Loaduintptr(&e.gate[g]))
				w++
			}
			for _, pc := range e.fromPCs {
				r[w] = uint64(pc)
				w++
			}
			for _, pc := range e.toPCs {
				r[w] = uint64(pc)
				w++
			}
		}
		n++
	}
	return n, goreproEdgeDropped.Load(), goreproSetDropped.Load()
}
