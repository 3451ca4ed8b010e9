// Command wg_negative_counter uploads a batch of files, one goroutine each,
// and counts the pending uploads with a WaitGroup. The upload that gives up
// calls Done twice (an explicit Done left next to the deferred one), and the
// counter goes negative: the runtime panics.
package main

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

var errBusy = errors.New("server busy")

// send uploads one file; the server is always busy for the last one.
func send(name string) error {
	if name == fileName(Uploads-1) {
		return fmt.Errorf("%s: %w", name, errBusy)
	}
	return nil
}

// batchStats counts the outcomes of a batch.
type batchStats struct {
	uploaded, failed atomic.Int32
}

func fileName(i int) string { return fmt.Sprintf("report-%d.csv", i) }

func run() {
	var pending sync.WaitGroup
	var stats batchStats
	for i := range Uploads {
		pending.Add(1)
		if i == Uploads-1 {
			support.AwaitSettled() // the failing upload starts last: its two Dones are the last two
		}
		go upload(fileName(i), &pending, &stats)
	}
	// Held until every upload has ended: the counter reaches zero with no Wait
	// parked, so no released waiter can race the counter's own panic.
	support.AwaitSettled()
	pending.Wait()
	fmt.Println("uploaded", stats.uploaded.Load(), "failed", stats.failed.Load())
}
