//go:build fixed

package main

import (
	"time"

	"gorepro.dev/samples/support"
)

// lookupPrice asks a worker for the price and waits at most TimeoutMs.
func lookupPrice(item string) (int, error) {
	result := make(chan int, 1) // FIX: room for the one result: the send never blocks
	go func() {
		result <- fetchPrice(item) // completes even if the caller gave up
	}()
	select {
	case price := <-result:
		return price, nil
	case <-time.After(TimeoutMs * time.Millisecond):
		support.Mark("caller gave up") // now the slow lookup may answer
		return 0, errTimeout
	}
}
