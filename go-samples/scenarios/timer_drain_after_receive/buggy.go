//go:build !fixed

package main

import "time"

// rearm restarts the idle period.
func (c *conn) rearm(idle *time.Timer) {
	if !idle.Stop() {
		<-idle.C // BUG: the loop already received this tick; nothing will send again
	}
	idle.Reset(c.idle)
}
