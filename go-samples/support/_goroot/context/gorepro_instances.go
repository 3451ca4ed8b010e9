// Added to package context by gorepro's -overlay, as
// $GOROOT/src/context/gorepro_instances.go (the go command never builds this directory
// as part of go-samples; the harness embeds it). The harness lays context.go over too,
// with cancelCtx's cancel method renamed goreproCancel (harness/src/codegen/instances.rs):
// the method below takes its place and tells the execution trace when a context is
// cancelled, so that a cancel nobody waits on (no goroutine selects on its Done channel
// yet) still leaves evidence of who cancelled, where and when.

package context

import _ "unsafe" // for go:linkname

// Implemented in package runtime (gorepro_instances.go there), which pushes it here: a
// user log event, category "gorepro.context", message "cancel", with the caller's stack,
// when the trace is on. (context may not declare a function without a body otherwise.)
//
//go:linkname goreproCancelled context.goreproCancelled
func goreproCancelled()

// cancel closes c.done, cancels each of c's children, and, if
// removeFromParent is true, removes c from its parent's children.
// cancel sets c.cause to cause if this is the first time c is canceled.
func (c *cancelCtx) cancel(removeFromParent bool, err, cause error) {
	if c.err.Load() == nil {
		goreproCancelled() // the first cancel only (a racing second one may log too)
	}
	c.goreproCancel(removeFromParent, err, cause)
}
