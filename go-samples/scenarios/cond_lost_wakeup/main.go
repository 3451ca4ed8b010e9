// Command cond_lost_wakeup starts a server that warms its cache in the
// background and signals a sync.Cond when it is ready. The request path waits
// on the Cond without checking any state: when the warm-up finishes first, its
// Signal reaches nobody and the request waits forever.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// server serves requests once its cache is warm.
type server struct {
	mu    sync.Mutex
	cond  *sync.Cond // signalled when the cache is warm
	ready bool
	cache map[string]string
}

func newServer() *server {
	s := &server{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// warmUp fills the cache and tells the waiting requests.
func (s *server) warmUp() {
	cache := map[string]string{"/": "index.html", "/about": "about.html"}
	s.mu.Lock()
	s.cache = cache
	s.mu.Unlock()
	s.markReady()
	support.Mark("ready signalled")
}

func run() {
	s := newServer()
	go s.warmUp()
	support.AwaitMark("ready signalled") // the warm-up wins the race: it signals before anybody waits
	s.awaitReady()
	fmt.Println("serving", len(s.cache), "pages")
}
