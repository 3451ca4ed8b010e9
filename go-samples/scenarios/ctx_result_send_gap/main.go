// Command ctx_result_send_gap is a worker pool whose workers watch ctx.Done()
// while they wait for a job, but not while they send its result: once the
// caller cancels and walks away, the busy worker is stuck on its send.
package main

import (
	"context"
	"fmt"

	"gorepro.dev/samples/support"
)

// Workers must be at least 2, so that idle workers see the cancellation.
const _ uint = Workers - 2

func main() { support.Main(run) }

func square(n int) int { return n * n }

func run() {
	ctx, cancel := context.WithCancel(context.Background())
	jobs := make(chan int)
	results := make(chan int)
	for range Workers {
		go worker(ctx, jobs, results)
	}
	jobs <- 7
	support.AwaitIdle() // the busy worker is parked on its result, the others in select
	cancel()            // the caller gives up without reading results
	fmt.Println("cancelled")
}
