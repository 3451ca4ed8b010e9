// Command wg_add_concurrent_with_wait drains a job queue counted by a
// WaitGroup while a feeder can still register a late job. The feeder's Add
// starts the counter from zero again at the moment the last Done is releasing
// the waiter: the runtime panics, and the waiter was never released.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// process handles one job.
func process(job string, jobs *sync.WaitGroup) {
	fmt.Println("processed", job)
	jobs.Done()
}

func run() {
	var jobs sync.WaitGroup
	startFeeder(&jobs)
	jobs.Add(1)
	go func() {
		support.AwaitBlocked("sync.WaitGroup.Wait", 1) // run is parked in Wait
		process("job-1", &jobs)
	}()
	jobs.Wait()
	fmt.Println("all jobs processed")
}
