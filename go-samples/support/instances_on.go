//go:build gorepro_instances

package support

import _ "unsafe" // for go:linkname

// The harness builds every program with this tag and with the runtime and sync
// files of go-samples/support/_goroot laid over the toolchain by -overlay;
// these two functions live there. Without that overlay this file does not
// link, so plain builds get instances_off.go instead.

//go:linkname runtimeSnapshot runtime.goreproSnapshot
func runtimeSnapshot(waits, holds []uint64) (nw, nh int, overflow uint64)

//go:linkname runtimeWaitReason runtime.goreproWaitReason
func runtimeWaitReason(code uint8) string

// takeInstances stops the world once (twice if the first buffers were too
// small) and returns what every goroutine waits on and who holds which lock.
func takeInstances() *instanceSnapshot {
	waits := make([]uint64, 256*instWaitWords)
	holds := make([]uint64, 256*instHoldWords)
	for {
		nw, nh, overflow := runtimeSnapshot(waits, holds)
		if nw*instWaitWords <= len(waits) && nh*instHoldWords <= len(holds) {
			s := decodeInstances(waits, holds, nw, nh, overflow, runtimeWaitReason)
			return &s
		}
		waits = make([]uint64, 2*max(nw*instWaitWords, len(waits)))
		holds = make([]uint64, 2*max(nh*instHoldWords, len(holds)))
	}
}
