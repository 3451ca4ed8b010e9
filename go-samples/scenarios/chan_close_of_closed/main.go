// Command chan_close_of_closed is a server with two shutdown paths: a health
// check stops it when its backend fails, and the caller stops it again at
// the end of its normal shutdown. Both close the same quit channel, and the
// second close panics.
package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

func run() {
	s := newServer()
	go s.serve()
	for i := 1; i <= Requests; i++ {
		s.requests <- i
	}
	go s.healthCheck() // finds the backend down and stops the server
	<-s.stopped
	s.Stop() // the normal shutdown path: the caller is done with the server
	fmt.Println("shut down")
}

// serve handles requests until Stop.
func (s *server) serve() {
	defer close(s.stopped)
	for {
		select {
		case r := <-s.requests:
			fmt.Println("handled request", r)
		case <-s.quit:
			return
		}
	}
}

// healthCheck stops the server when its backend is down (it always is here).
func (s *server) healthCheck() {
	fmt.Println("health check failed: backend unreachable")
	s.Stop()
}
