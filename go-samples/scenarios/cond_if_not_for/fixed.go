//go:build fixed

package main

// Get removes the oldest item, waiting while the queue is empty. ok is false
// once the queue is closed and drained.
func (q *queue) Get() (item string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed { // FIX: re-check the condition after every wake-up
		q.cond.Wait()
	}
	if q.closed && len(q.items) == 0 {
		return "", false
	}
	item = q.items[0]
	q.items = q.items[1:]
	return item, true
}
