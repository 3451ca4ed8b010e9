// Command mutex_held_across_receive collects the results of jobs: collect
// takes the collector's mutex to add each result to the sum, and holds it
// while it waits, in a select, for the next result or a failure. A worker
// marks its job finished under the same mutex before it sends its result, so
// it waits for the collector's lock while the collector waits for its send.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// collector gathers the workers' results; mu guards pending and sum.
type collector struct {
	mu      sync.Mutex
	pending map[int]bool // jobs started and not finished yet
	sum     int
	results chan int   // unbuffered: a send completes only when collect receives
	failed  chan error // a worker that cannot finish its job
}

// work runs job id and hands its result to the collector.
func (c *collector) work(id int) {
	// One worker at a time: until the previous workers have sent their results or wait for
	// the lock, and then until the collector is parked in its select again. (Counted, not
	// marked: the workers' steps stay alike, so they share a lane whichever is G2.)
	support.Await(fmt.Sprintf("worker %d may go", id), func() bool {
		return sent.Load() >= int32(id) || support.BlockedIn("sync.Mutex.Lock") >= id
	})
	support.AwaitBlocked("select", 1)
	c.mu.Lock() // buggy: the collector holds mu while it waits for this send
	delete(c.pending, id)
	c.mu.Unlock()
	c.results <- id * id
	sent.Add(1)
}

// sent counts the results the workers have sent, for their gate.
var sent atomic.Int32

func run() {
	c := &collector{
		pending: map[int]bool{},
		results: make(chan int),
		failed:  make(chan error),
	}
	for id := range Jobs {
		c.pending[id] = true
		go c.work(id)
	}
	for range Jobs {
		if err := c.collect(); err != nil {
			fmt.Println("failed:", err)
			return
		}
	}
	fmt.Println("sum:", c.sum)
}
