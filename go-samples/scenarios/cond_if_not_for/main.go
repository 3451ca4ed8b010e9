// Command cond_if_not_for is a work queue whose consumers wait on a sync.Cond
// with `if` instead of `for`: after a Broadcast, a consumer that lost the race
// for the only item indexes the empty queue and panics.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// queue is a FIFO of work items shared by several consumers.
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond // signalled when an item arrives or the queue closes
	items  []string
	closed bool
}

func newQueue() *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Put appends an item and wakes the waiting consumers.
func (q *queue) Put(item string) {
	q.mu.Lock()
	q.items = append(q.items, item)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// Close tells the consumers that no more items will come.
func (q *queue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

func consume(q *queue, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		item, ok := q.Get()
		if !ok {
			return
		}
		fmt.Println("handled", item)
	}
}

func run() {
	q := newQueue()
	var wg sync.WaitGroup
	for range Consumers {
		wg.Add(1)
		go consume(q, &wg)
	}
	support.AwaitBlocked("sync.Cond.Wait", Consumers) // every consumer waits for work
	q.Put("job-1")
	support.AwaitBlocked("sync.Cond.Wait", Consumers) // ... and waits again
	q.Close()
	wg.Wait()
}
