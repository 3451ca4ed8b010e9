//go:build !fixed

package main

import "time"

// newClient returns a client whose token is refreshed every TickMs milliseconds.
func newClient() *client {
	c := &client{}
	c.refreshToken()
	go c.refresher(time.NewTicker(TickMs * time.Millisecond))
	return c
}

// refresher refreshes the token on every tick.
func (c *client) refresher(t *time.Ticker) {
	for range t.C { // BUG: no way out: nothing stops the ticker or ends the loop
		c.refreshToken()
	}
}

// Close marks the client closed.
func (c *client) Close() {
	c.mu.Lock()
	c.closed = true // BUG: forgets the refresher, which keeps running after Close
	c.mu.Unlock()
}
