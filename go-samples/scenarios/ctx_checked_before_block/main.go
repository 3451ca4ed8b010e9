// Command ctx_checked_before_block runs a consumer that checks its context at
// the top of every loop and then blocks waiting for the next job. Shutdown
// cancels the context while the consumer is blocked: the receive does not
// watch the context, so the cancel is never seen and shutdown waits forever.
package main

import (
	"context"
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// worker runs the consumer and tells shutdown when it is done.
func worker(ctx context.Context, jobs <-chan string, wg *sync.WaitGroup) {
	defer wg.Done()
	consume(ctx, jobs)
}

func run() {
	ctx, cancel := context.WithCancel(context.Background())
	jobs := make(chan string)
	var wg sync.WaitGroup
	wg.Add(1)
	go worker(ctx, jobs, &wg)
	for i := range Jobs {
		jobs <- fmt.Sprintf("job %d", i)
	}
	support.AwaitIdle()      // the consumer is waiting for the next job
	support.Step("cancel()") // a cancel nobody is waiting on leaves no trace event: label it
	cancel()                 // shutdown
	wg.Wait()                // buggy: the consumer never sees the cancel
	fmt.Println("shut down")
}
