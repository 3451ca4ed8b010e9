// Package signalblocked is an uploader that hands items to a collector over an
// unbuffered channel and then signals "batch complete" on a sync.Cond. The
// collector waits for that signal before it starts reading the items: the
// signaller is stuck in its first send, which only the waiter could receive.
package signalblocked

import "sync"

// Batch is one upload: items, then a completion signal.
type Batch struct {
	items chan int

	mu       sync.Mutex
	complete bool
	cond     *sync.Cond
}

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	b := &Batch{items: make(chan int)}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// Upload sends n items, closes the item channel and signals completion.
func (b *Batch) Upload(n int) {
	for i := range n {
		b.items <- i
	}
	close(b.items)
	b.mu.Lock()
	b.complete = true
	b.mu.Unlock()
	b.cond.Signal()
}

// Collect waits for the batch to complete, then reads its items.
func (b *Batch) Collect() []int {
	b.mu.Lock()
	for !b.complete {
		b.cond.Wait() // BUG: the uploader signals only after every item was read
	}
	b.mu.Unlock()
	var got []int
	for v := range b.items {
		got = append(got, v)
	}
	return got
}

// CollectFixed reads the items first and then waits for the completion.
func (b *Batch) CollectFixed() []int {
	var got []int
	for v := range b.items {
		got = append(got, v)
	}
	b.mu.Lock()
	for !b.complete {
		b.cond.Wait()
	}
	b.mu.Unlock()
	return got
}
