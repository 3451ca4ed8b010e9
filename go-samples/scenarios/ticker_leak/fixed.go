//go:build fixed

package main

import "time"

// newClient returns a client whose token is refreshed every TickMs milliseconds.
func newClient() *client {
	c := &client{done: make(chan struct{}), stopped: make(chan struct{})}
	c.refreshToken()
	go c.refresher(time.NewTicker(TickMs * time.Millisecond))
	return c
}

// refresher refreshes the token on every tick until the client is closed.
func (c *client) refresher(t *time.Ticker) {
	defer close(c.stopped)
	defer t.Stop() // FIX: release the ticker when the loop ends
	for {
		select {
		case <-t.C:
			c.refreshToken()
		case <-c.done: // FIX: a way out, taken when the client is closed
			return
		}
	}
}

// Close marks the client closed and stops its refresher.
func (c *client) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	close(c.done) // FIX: tell the refresher to return...
	<-c.stopped   // FIX: ...and wait until it has
}
