//go:build !fixed

package main

import "gorepro.dev/samples/support"

// markReady wakes a request waiting for the warm cache.
func (s *server) markReady() {
	s.mu.Lock()
	support.Step("Signal") // a Signal that wakes nobody leaves no trace event: label it
	s.cond.Signal()        // BUG: nobody may be waiting yet, and nothing records that it happened
	s.mu.Unlock()
}

// awaitReady blocks until the cache is warm.
func (s *server) awaitReady() {
	s.mu.Lock()
	s.cond.Wait() // BUG: no predicate: waits for a Signal that may already have been sent
	s.mu.Unlock()
}
