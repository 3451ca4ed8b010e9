// Command cond_wait_without_lock is a job queue whose worker calls
// sync.Cond.Wait without holding the Cond's lock. Wait begins by unlocking
// that lock, and unlocking an unlocked mutex is a fatal error.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// queue is a FIFO of jobs; cond is signalled when a job arrives.
type queue struct {
	mu   sync.Mutex
	cond *sync.Cond
	jobs []string
}

func newQueue() *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Put appends a job and wakes a waiting worker.
func (q *queue) Put(job string) {
	q.mu.Lock()
	q.jobs = append(q.jobs, job)
	q.mu.Unlock()
	q.cond.Signal()
}

func worker(q *queue, done chan<- struct{}) {
	job := q.Next()
	fmt.Println("processing", job)
	close(done)
}

func run() {
	q := newQueue()
	done := make(chan struct{})
	go worker(q, done)
	support.AwaitBlocked("sync.Cond.Wait", 1) // the worker waits for its first job (buggy: it never gets there)
	q.Put("resize img-1.png")
	<-done
}
