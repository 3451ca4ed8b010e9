// Command chan_empty_select starts a worker pool from a helper goroutine whose
// body was lifted from an old main(): after starting the workers it parks in
// `select {}` to "keep them running". The pool shuts down, the caller
// returns, and the helper stays parked forever.
package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

func run() {
	jobs := make(chan int)
	results := make(chan int)
	stop := make(chan struct{})
	go startPool(jobs, results, stop)
	for i := 1; i <= Jobs; i++ {
		jobs <- i
		fmt.Println("result:", <-results)
	}
	close(jobs) // the workers return
	close(stop) // the pool is shut down
}

// worker squares jobs until jobs is closed.
func worker(jobs <-chan int, results chan<- int) {
	for j := range jobs {
		results <- j * j
	}
}
