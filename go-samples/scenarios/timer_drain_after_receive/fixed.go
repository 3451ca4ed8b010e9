//go:build fixed

package main

import "time"

// rearm restarts the idle period. Since Go 1.23 Reset discards a tick that was
// not received, so there is nothing to drain.
func (c *conn) rearm(idle *time.Timer) {
	idle.Reset(c.idle) // FIX: no drain
}
