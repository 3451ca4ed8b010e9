// Package heldrecv is a job runner whose Wait holds the runner's lock while it
// receives the next result. A worker marks its job finished under that lock
// before it sends the result: the waiter holds the lock the sender needs.
package heldrecv

import "sync"

// Runner runs jobs on worker goroutines and hands back their results.
type Runner struct {
	mu      sync.Mutex
	running map[int]bool
	results chan int
}

// NewRunner returns an idle runner.
func NewRunner() *Runner {
	return &Runner{running: map[int]bool{}, results: make(chan int)}
}

// Start runs job id on a worker goroutine.
func (r *Runner) Start(id int) {
	r.mu.Lock()
	r.running[id] = true
	r.mu.Unlock()
	go r.work(id)
}

func (r *Runner) work(id int) {
	result := id * id
	r.mu.Lock()
	delete(r.running, id)
	r.mu.Unlock()
	r.results <- result
}

// Wait returns the next result.
func (r *Runner) Wait() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return <-r.results // BUG: receives while holding r.mu, which the sender needs first
}

// WaitFixed receives without the lock.
func (r *Runner) WaitFixed() int {
	return <-r.results
}

// Running is the number of jobs not finished yet.
func (r *Runner) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running)
}
