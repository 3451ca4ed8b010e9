//go:build !fixed

package main

// Get removes the oldest item, waiting while the queue is empty. ok is false
// once the queue is closed and drained.
func (q *queue) Get() (item string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 && !q.closed { // BUG: `if`, not `for`: the condition may be false again on wake-up
		q.cond.Wait()
	}
	if q.closed && len(q.items) == 0 {
		return "", false
	}
	item = q.items[0] // panics when another consumer took the item first
	q.items = q.items[1:]
	return item, true
}
