//go:build fixed

package main

// Next removes the oldest job, waiting while the queue is empty.
func (q *queue) Next() string {
	q.mu.Lock() // FIX: hold the lock around the check and the Wait
	defer q.mu.Unlock()
	for len(q.jobs) == 0 {
		q.cond.Wait()
	}
	job := q.jobs[0]
	q.jobs = q.jobs[1:]
	return job
}
