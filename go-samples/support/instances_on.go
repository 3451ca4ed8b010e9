//go:build gorepro_instances

package support

import _ "unsafe" // for go:linkname

// The harness builds every program with this tag and with the runtime and sync
// files of go-samples/support/_goroot laid over the toolchain by -overlay;
// these two functions live there. Without that overlay this file does not
// link, so plain builds get instances_off.go instead.

//go:linkname runtimeSnapshot runtime.goreproSnapshot
func runtimeSnapshot(waits, holds []uint64) (nw, nh int, overflow uint64)

//go:linkname runtimeReferences runtime.goreproReferences
func runtimeReferences(targets, bases []uintptr, refs []uint64) int

//go:linkname runtimeWaitReason runtime.goreproWaitReason
func runtimeWaitReason(code uint8) string

//go:linkname runtimeLockOrder runtime.goreproLockOrder
func runtimeLockOrder(edges []uint64) (n int, edgesDropped, holdsDropped uint64)

// The snapshot's buffers, allocated before the trace starts: taking it at the
// verdict adds only its stop-the-world to the trace.
var (
	snapshotWaits = make([]uint64, 256*instWaitWords)
	snapshotHolds = make([]uint64, 256*instHoldWords)
	snapshotRefs  = make([]uint64, 2*1024)
	snapshotEdges = make([]uint64, 256*instEdgeWords)
)

// takeInstances stops the world once (again with bigger buffers if they were
// too small) and keeps the runtime's records for decodeInstances.
func takeInstances() *rawInstances {
	for {
		nw, nh, overflow := runtimeSnapshot(snapshotWaits, snapshotHolds)
		if nw*instWaitWords <= len(snapshotWaits) && nh*instHoldWords <= len(snapshotHolds) {
			raw := &rawInstances{waits: snapshotWaits, holds: snapshotHolds, nw: nw, nh: nh,
				overflow: overflow, reason: runtimeWaitReason, order: lockOrder()}
			raw.references()
			return raw
		}
		snapshotWaits = make([]uint64, 2*max(nw*instWaitWords, len(snapshotWaits)))
		snapshotHolds = make([]uint64, 2*max(nh*instHoldWords, len(snapshotHolds)))
	}
}

//go:linkname runtimeSystemGo runtime.goreproSystemGo
func runtimeSystemGo(fn func())

//go:linkname runtimeSetExitHook runtime.goreproSetExitHook
func runtimeSetExitHook(f func(code int))

// systemGoroutines: the supervisor of a test binary can run where the program
// does not see it, and keep a root goroutine that calls os.Exit.
const systemGoroutines = true

func goSystem(fn func()) { runtimeSystemGo(fn) }

func setExitHook(f func(code int)) { runtimeSetExitHook(f) }

// references runs the runtime's reference scan over the objects the snapshot's
// goroutines wait on (again with a bigger buffer if it was too small).
func (r *rawInstances) references() {
	r.targets = waitTargets(r.waits, r.nw)
	r.bases = make([]uintptr, len(r.targets))
	for {
		n := runtimeReferences(r.targets, r.bases, snapshotRefs)
		if 2*n <= len(snapshotRefs) {
			r.refs, r.nr = snapshotRefs, n
			return
		}
		snapshotRefs = make([]uint64, 4*n)
	}
}

// lockOrder copies the runtime's lock-order edges (again with a bigger buffer
// if it was too small). The edge table needs no stopped world.
func lockOrder() *rawLockOrder {
	for {
		n, edges, holds := runtimeLockOrder(snapshotEdges)
		if n*instEdgeWords <= len(snapshotEdges) {
			return &rawLockOrder{edges: snapshotEdges, n: n, edgesDropped: edges, holdsDropped: holds}
		}
		snapshotEdges = make([]uint64, 2*n*instEdgeWords)
	}
}
