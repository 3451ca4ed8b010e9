package support

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
)

// This file decodes the lock order the runtime side of the overlay kept
// (gorepro_lockorder.go in package runtime): every edge "a goroutine acquired
// lock To while it held lock From", once, with both acquire stacks of its first
// sighting. instances.json carries them as lock_order, for clean runs too: a
// cycle in them is a lock-order inversion the run may never have hit.

// instEdge is one lock-order edge.
type instEdge struct {
	From     string `json:"from"`
	FromKind string `json:"from_kind"`
	FromMode string `json:"from_mode"`
	To       string `json:"to"`
	ToKind   string `json:"to_kind"`
	ToMode   string `json:"to_mode"`
	// The goroutine of the first sighting; Shared: another one took the
	// same edge later.
	Goid   uint64 `json:"goid"`
	Shared bool   `json:"shared"`
	// Locks held in write mode by every sighting of the edge (gate locks).
	Gates     []string    `json:"gates"`
	FromStack []instFrame `json:"from_stack"`
	ToStack   []instFrame `json:"to_stack"`
}

// Record layout of goreproLockOrder: from, to, goid, shared, gates, from's
// PCs, to's PCs.
const (
	instEdgeGates = 2
	instEdgePCs   = 5
	instEdgeWords = 4 + instEdgeGates + 2*instEdgePCs
)

// rawLockOrder is the runtime's edge table as it copied it.
type rawLockOrder struct {
	edges                      []uint64
	n                          int
	edgesDropped, holdsDropped uint64
}

// decodeLockOrder turns the edge records into edges sorted by (from, to),
// with the kind of each lock read from the lock method on its acquire stack.
func decodeLockOrder(r *rawLockOrder) []instEdge {
	out := []instEdge{}
	if r == nil {
		return out
	}
	for i := range r.n {
		w := r.edges[i*instEdgeWords:][:instEdgeWords]
		e := instEdge{
			From:     hexAddr(w[0] &^ 3),
			FromMode: modeName(w[0]),
			To:       hexAddr(w[1] &^ 3),
			ToMode:   modeName(w[1]),
			Goid:     w[2],
			Shared:   w[3] != 0,
			Gates:    []string{},
		}
		for _, g := range w[4 : 4+instEdgeGates] {
			if g != 0 {
				e.Gates = append(e.Gates, hexAddr(g&^3))
			}
		}
		pcs := w[4+instEdgeGates:]
		e.FromKind, e.FromStack = lockKind(pcs[:instEdgePCs], e.FromMode), acquireStack(pcs[:instEdgePCs])
		e.ToKind, e.ToStack = lockKind(pcs[instEdgePCs:], e.ToMode), acquireStack(pcs[instEdgePCs:])
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b instEdge) int {
		return cmp.Or(cmp.Compare(parseHex(a.From), parseHex(b.From)), cmp.Compare(parseHex(a.To), parseHex(b.To)),
			strings.Compare(a.FromMode, b.FromMode), strings.Compare(a.ToMode, b.ToMode))
	})
	return out
}

func modeName(key uint64) string {
	if key&3 == 2 {
		return "read"
	}
	return "write"
}

// lockKind tells a Mutex from an RWMutex by the lock method the acquire went
// through (an inlined one included); a read hold is an RWMutex's.
func lockKind(pcs []uint64, mode string) string {
	if mode == "read" {
		return "rwmutex"
	}
	var callers []uintptr
	for _, pc := range pcs {
		if pc == 0 {
			break
		}
		callers = append(callers, uintptr(pc))
	}
	if len(callers) > 0 {
		frames := runtime.CallersFrames(callers)
		for {
			f, more := frames.Next()
			if strings.HasPrefix(f.Function, "sync.(*RWMutex).") {
				return "rwmutex"
			}
			if !more {
				break
			}
		}
	}
	return "mutex"
}
