//go:build fixed

package main

import "fmt"

// handle accepts a request if the queue has room, and rejects it otherwise.
func (s *server) handle(r request) {
	select {
	case s.queue <- r:
	default: // FIX: admission control: no goroutine waits behind a full queue
		fmt.Println("request", r.id, "rejected: server busy")
	}
}

// call asks the backend about r, giving up when the server stops.
func (s *server) call(r request) int {
	select {
	case a := <-s.backend.answers:
		return a + r.id
	case <-s.ctx.Done(): // FIX: the call is bounded: a hung backend cannot hold the worker for ever
		return -1
	}
}

// shutdown stops the server and waits for its worker.
func (s *server) shutdown() {
	s.stop()
	close(s.queue) // nothing sends any more: every handle has returned
	s.worker.Wait()
}
