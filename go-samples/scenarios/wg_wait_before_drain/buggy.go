//go:build !fixed

package main

import (
	"math"
	"sync"
)

// cheapest waits for every fetcher, then picks the cheapest quote.
func cheapest(quotes chan quote, wg *sync.WaitGroup) quote {
	wg.Wait() // BUG: waits for senders that cannot finish until somebody receives
	close(quotes)
	best := quote{vendor: -1, cents: math.MaxInt}
	for q := range quotes {
		if q.cents < best.cents {
			best = q
		}
	}
	return best
}
