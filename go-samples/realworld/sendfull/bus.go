// Package sendfull is an event bus whose PublishAll holds the bus lock while
// it sends a batch into a queue of capacity 1. The only consumer takes each
// event off the queue and then needs the bus lock to record it: once the
// queue is full the publisher waits for the consumer, which waits for the
// lock the publisher holds.
package sendfull

import "sync"

// Bus queues events for one consumer.
type Bus struct {
	mu        sync.Mutex
	published int
	handled   []string
	queue     chan string
}

// NewBus returns a bus with a queue of one event.
func NewBus() *Bus {
	return &Bus{queue: make(chan string, 1)}
}

// PublishAll queues a batch of events and counts them.
func (b *Bus) PublishAll(events []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range events {
		b.published++
		b.queue <- e // BUG: sends while holding b.mu
	}
}

// PublishAllFixed counts under the lock and sends without it.
func (b *Bus) PublishAllFixed(events []string) {
	b.mu.Lock()
	b.published += len(events)
	b.mu.Unlock()
	for _, e := range events {
		b.queue <- e
	}
}

// Consume handles n events.
func (b *Bus) Consume(n int) {
	for range n {
		e := <-b.queue
		b.mu.Lock()
		b.handled = append(b.handled, e)
		b.mu.Unlock()
	}
}

// Handled is the number of events handled so far.
func (b *Bus) Handled() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.handled)
}
