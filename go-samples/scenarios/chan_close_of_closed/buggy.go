//go:build !fixed

package main

type server struct {
	requests chan int
	quit     chan struct{} // closed by Stop: tells serve to return
	stopped  chan struct{} // closed by serve when it returns
}

func newServer() *server {
	return &server{
		requests: make(chan int),
		quit:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
}

// Stop tells serve to return.
func (s *server) Stop() {
	close(s.quit) // BUG: every Stop closes quit: the second one panics, close of closed channel
}
