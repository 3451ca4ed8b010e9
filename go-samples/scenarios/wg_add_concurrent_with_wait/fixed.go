//go:build fixed

package main

import (
	"sync"

	"gorepro.dev/samples/support"
)

// startFeeder starts the goroutine that registers a job that arrives late.
func startFeeder(jobs *sync.WaitGroup) {
	jobs.Add(1) // FIX: the feeder counts as work until it has registered its jobs
	go func() {
		defer jobs.Done()
		support.AwaitSettled() // the late job arrives once job-1 is done
		jobs.Add(1)
		go process("job-late", jobs)
		support.AwaitSettled() // and the feeder ends last: its Done releases run
	}()
}
