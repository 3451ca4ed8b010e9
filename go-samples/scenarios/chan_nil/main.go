// Command chan_nil is a small batch job: a producer sends squares to a
// collector through a channel held in a struct field. The constructor never
// makes that channel, and on a nil channel both the send and the receive block
// forever; the caller times out and returns, leaving both goroutines behind.
package main

import (
	"fmt"
	"time"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// batch sums the squares of 1..Items, produced and collected concurrently.
type batch struct {
	results chan int      // producer -> collector
	done    chan struct{} // closed by the collector once it has the total
	total   int
}

func run() {
	b := newBatch()
	go b.produce(Items)
	go b.collect()
	select {
	case <-b.done:
		fmt.Println("total:", b.total)
	case <-time.After(TimeoutMs * time.Millisecond):
		fmt.Println("batch timed out") // the caller gives up and moves on
	}
}

// produce sends the squares of 1..n and closes results.
func (b *batch) produce(n int) {
	for i := 1; i <= n; i++ {
		b.results <- i * i // buggy: blocks forever, results is nil
	}
	close(b.results)
}

// collect adds up the results until results is closed.
func (b *batch) collect() {
	sum := 0
	for r := range b.results { // buggy: blocks forever, results is nil
		sum += r
	}
	b.total = sum
	close(b.done)
}
