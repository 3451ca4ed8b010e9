// Command chan_send_abandoned is a lookup with a timeout: the caller gives up
// on a slow worker and returns, and the worker's result send then blocks
// forever because nobody will ever receive it.
package main

import (
	"errors"
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

var errTimeout = errors.New("price lookup timed out")

func run() {
	price, err := lookupPrice("widget")
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
