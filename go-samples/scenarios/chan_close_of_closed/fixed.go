//go:build fixed

package main

import "sync"

type server struct {
	requests chan int
	quit     chan struct{} // closed by Stop: tells serve to return
	quitOnce sync.Once     // FIX: guards the close of quit
	stopped  chan struct{} // closed by serve when it returns
}

func newServer() *server {
	return &server{
		requests: make(chan int),
		quit:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
}

// Stop tells serve to return. It may be called any number of times.
func (s *server) Stop() {
	s.quitOnce.Do(func() { close(s.quit) }) // FIX: only the first Stop closes quit
}
