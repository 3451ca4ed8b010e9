// Command chan_send_abandoned_ctx is a lookup bounded by a context deadline:
// the caller stops waiting when ctx.Done() fires and returns, and the
// worker's result send then blocks forever because nobody will ever receive
// it.
package main

import (
	"context"
	"fmt"
	"time"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

func run() {
	ctx, cancel := context.WithTimeout(context.Background(), TimeoutMs*time.Millisecond)
	defer cancel()
	price, err := lookupPrice(ctx, "widget")
	if err != nil {
		fmt.Println("lookup:", err)
		return
	}
	fmt.Println("price:", price)
}

// fetchPrice is the slow backend call: it answers only after the caller has
// given up, the interleaving the bug needs.
func fetchPrice(item string) int {
	support.AwaitMark("caller gave up")
	return 100 * len(item)
}
