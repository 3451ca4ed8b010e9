//go:build fixed

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
	})
	fmt.Println("round", <-report, "reported") // FIX: the watcher's Wait has returned,
	tasks.Add(1)                               // so round 2 may reuse tasks now
}
