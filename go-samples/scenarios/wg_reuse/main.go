// Command wg_reuse reuses a WaitGroup for the next round of work while the
// watcher of the previous round has not returned from Wait yet: the runtime
// notices and panics in the watcher.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// watch reports the round once all of its tasks are done.
func watch(round int, tasks *sync.WaitGroup, report chan<- int) {
	tasks.Wait() // buggy: panics "WaitGroup is reused before previous Wait has returned"
	report <- round
}

func run() {
	var tasks sync.WaitGroup
	report := make(chan int)

	tasks.Add(1) // round 1: one task, run by this goroutine
	go watch(1, &tasks, report)
	support.AwaitBlocked("sync.WaitGroup.Wait", 1) // the watcher is parked in Wait
	startRound2(&tasks, report)

	go watch(2, &tasks, report)
	tasks.Done() // round 2's task
	fmt.Println("round", <-report, "reported")
}
