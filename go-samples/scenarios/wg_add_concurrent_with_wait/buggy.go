//go:build !fixed

package main

import (
	"sync"

	"gorepro.dev/samples/support"
	"gorepro.dev/samples/support/synchook"
)

// releasing is marked when the last Done has set the counter to zero and is
// about to release run's Wait; synchook holds it there.
const releasing = "last Done releasing Wait"

// startFeeder starts the goroutine that registers a job that arrives late.
func startFeeder(jobs *sync.WaitGroup) {
	synchook.HoldRelease(jobs, releasing)
	go func() {
		support.AwaitMark(releasing) // the late job arrives just as the batch drains
		jobs.Add(1)                  // BUG: an Add from zero while run's Wait is being released
		go process("job-late", jobs)
	}()
}
