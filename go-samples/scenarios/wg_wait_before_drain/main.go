// Command wg_wait_before_drain asks several vendors for a price quote in
// parallel. Each fetcher sends its quote on an unbuffered channel and then
// calls Done; the caller waits for the WaitGroup before it reads any quote, so
// every fetcher blocks on its send and Wait never returns.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// quote is one vendor's price, in cents.
type quote struct {
	vendor int
	cents  int
}

// askVendor returns vendor i's price for the order.
func askVendor(i int) quote {
	return quote{vendor: i, cents: 1000 + 37*((i+1)%Workers)}
}

// fetch sends vendor i's quote to the collector and reports done.
func fetch(i int, quotes chan<- quote, wg *sync.WaitGroup) {
	defer wg.Done()
	quotes <- askVendor(i) // buggy: blocks forever, nobody receives until Wait returns
}

func run() {
	quotes := make(chan quote) // unbuffered: a send waits for the collector
	var wg sync.WaitGroup
	for i := range Workers {
		wg.Add(1)
		go fetch(i, quotes, &wg)
	}
	best := cheapest(quotes, &wg)
	fmt.Printf("best quote: vendor %d, %d cents\n", best.vendor, best.cents)
}
