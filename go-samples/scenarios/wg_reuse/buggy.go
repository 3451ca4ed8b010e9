//go:build !fixed

package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

// startRound2 finishes round 1's task and opens round 2 on the same WaitGroup.
func startRound2(tasks *sync.WaitGroup, report <-chan int) {
	support.Exclusive(func() { // the woken watcher cannot run before this returns
		tasks.Done() // round 1's task is finished: wakes the watcher
		tasks.Add(1) // BUG: round 2 reuses tasks before the watcher's Wait has returned
	})
	fmt.Println("round", <-report, "reported")
}
