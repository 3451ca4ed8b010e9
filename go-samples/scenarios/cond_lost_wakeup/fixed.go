//go:build fixed

package main

import "gorepro.dev/samples/support"

// markReady wakes the requests waiting for the warm cache.
func (s *server) markReady() {
	s.mu.Lock()
	s.ready = true // FIX: record the state, so a late waiter sees it
	s.mu.Unlock()
	support.Step("Broadcast") // a Broadcast that wakes nobody leaves no trace event: label it
	s.cond.Broadcast()
}

// awaitReady blocks until the cache is warm.
func (s *server) awaitReady() {
	s.mu.Lock()
	for !s.ready { // FIX: wait only while the predicate is false
		s.cond.Wait()
	}
	s.mu.Unlock()
}
