// Package synchook holds a goroutine inside package sync, where no gate in
// user code can reach. A scenario that imports it is built with a copy of the
// toolchain's sync/waitgroup.go that calls the hook (spec: [build] sync_hook =
// true); any other build of this package fails to link, on purpose.
package synchook

import (
	"fmt"
	"sync"
	_ "unsafe" // for go:linkname

	"gorepro.dev/samples/support"
)

// release is called by the WaitGroup.Add (or Done) that has just brought the
// counter to zero while waiters are parked, before it releases them.
//
//go:linkname release sync.goreproRelease
var release func(wg *sync.WaitGroup)

// HoldRelease makes the Done that drains wg while a Wait is parked stop right
// there: the counter is zero, the waiters are not released yet. It calls
// support.Mark(mark) and stays until the gate timeout ends the run. Call it
// before any goroutine uses wg.
func HoldRelease(wg *sync.WaitGroup, mark string) {
	release = func(w *sync.WaitGroup) {
		if w != wg {
			return
		}
		support.Mark(mark)
		support.Await(fmt.Sprintf("HoldRelease(%q) is never let go", mark), func() bool { return false })
	}
}
