//go:build !fixed

package main

// Next removes the oldest job, waiting while the queue is empty.
func (q *queue) Next() string {
	for len(q.jobs) == 0 {
		q.cond.Wait() // BUG: Wait without holding q.mu: it unlocks q.mu first, which is fatal
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	job := q.jobs[0]
	q.jobs = q.jobs[1:]
	return job
}
