// Command chan_goroutine_pileup is a server that starts a goroutine per
// request to hand the request to its single worker through a small queue.
// The worker is stuck in a call to a backend that never answers; the queue
// fills up, and the goroutine of every later request blocks in its send: the
// number of goroutines grows with the number of requests, without bound.
package main

import (
	"context"
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// queueCapacity is how many requests wait for the worker.
const queueCapacity = 4

type request struct{ id int }

// backend is the worker's dependency; it hangs: it never answers.
type backend struct{ answers chan int }

// server hands requests to one worker through queue.
type server struct {
	queue   chan request
	backend *backend
	ctx     context.Context // the server's lifetime
	stop    context.CancelFunc
	worker  sync.WaitGroup
}

func run() {
	ctx, stop := context.WithCancel(context.Background())
	s := &server{
		queue:   make(chan request, queueCapacity),
		backend: &backend{answers: make(chan int)},
		ctx:     ctx,
		stop:    stop,
	}
	s.worker.Add(1)
	go s.work()
	support.AwaitBlocked("chan receive", 1) // the worker is idle when the traffic starts
	for i := 1; i <= Requests; i++ {
		s.handle(request{id: i})
	}
	s.shutdown()
}

// work serves the queue one request at a time.
func (s *server) work() {
	defer s.worker.Done()
	for r := range s.queue {
		fmt.Println("request", r.id, "answered:", s.call(r))
	}
}
