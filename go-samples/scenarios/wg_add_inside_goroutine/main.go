// Command wg_add_inside_goroutine fans jobs out to goroutines and waits for
// them with a sync.WaitGroup, but each goroutine calls wg.Add itself. When the
// caller reaches wg.Wait before the goroutines have run, the counter is still
// zero: Wait returns at once and the results are collected before any job has
// finished. Nothing blocks and nothing panics; the results are just missing.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// slowStart holds the dispatcher back until its caller has reached wg.Wait
// (blocked in it, or already past it): goroutines may be scheduled late.
func slowStart() {
	support.Await("the caller reached wg.Wait", func() bool {
		return support.Marked("results collected") || support.BlockedIn("sync.WaitGroup.Wait") > 0
	})
}

func run() {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		results []int
	)
	jobs := make([]func(), Jobs)
	for i := range jobs {
		jobs[i] = func() {
			mu.Lock()
			results = append(results, i*i)
			mu.Unlock()
		}
	}
	startJobs(&wg, jobs)
	wg.Wait()
	mu.Lock()
	collected := len(results)
	mu.Unlock()
	support.Mark("results collected")
	support.Check(support.LostResults, collected == Jobs, "collected %d of %d results", collected, Jobs)
	fmt.Println("collected", collected, "results")
}
