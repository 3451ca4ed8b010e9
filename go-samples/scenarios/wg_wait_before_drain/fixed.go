//go:build fixed

package main

import (
	"math"
	"sync"
)

// cheapest receives every fetcher's quote and picks the cheapest.
func cheapest(quotes chan quote, wg *sync.WaitGroup) quote {
	go func() {
		wg.Wait() // FIX: wait in a goroutine of its own while the caller receives
		close(quotes)
	}()
	best := quote{vendor: -1, cents: math.MaxInt}
	for q := range quotes { // FIX: drain the channel; the range ends at the close after Wait
		if q.cents < best.cents {
			best = q
		}
	}
	return best
}
