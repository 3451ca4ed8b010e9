//go:build !fixed

package main

import (
	"time"

	"gorepro.dev/samples/support"
)

// lookupPrice asks a worker for the price and waits at most TimeoutMs.
func lookupPrice(item string) (int, error) {
	result := make(chan int) // BUG: unbuffered: the send needs a receiver, and the caller may be gone
	go func() {
		result <- fetchPrice(item) // blocks forever once the caller gave up
	}()
	select {
	case price := <-result:
		return price, nil
	case <-time.After(TimeoutMs * time.Millisecond):
		support.Mark("caller gave up") // now the slow lookup may answer
		return 0, errTimeout
	}
}
