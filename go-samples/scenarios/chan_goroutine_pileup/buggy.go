//go:build !fixed

package main

// handle accepts a request without waiting for the worker.
func (s *server) handle(r request) {
	go enqueue(s.queue, r) // BUG: one goroutine per request, however many are already waiting
}

// enqueue hands r to the worker.
func enqueue(queue chan<- request, r request) {
	queue <- r // the queue is full and the worker stuck: blocks for ever
}

// call asks the backend about r.
func (s *server) call(r request) int {
	return <-s.backend.answers + r.id // BUG: no deadline: a hung backend stalls the worker for ever
}

// shutdown leaves the server running: its goroutines cannot be stopped.
func (s *server) shutdown() {
	s.stop()
}
