//go:build !fixed

package main

import (
	"context"

	"gorepro.dev/samples/support"
)

// lookupPrice asks a worker for the price and waits until ctx is done.
func lookupPrice(ctx context.Context, item string) (int, error) {
	result := make(chan int) // BUG: unbuffered: the send needs a receiver, and the caller may be gone
	go func() {
		result <- fetchPrice(item) // blocks forever once the caller gave up
	}()
	select {
	case price := <-result:
		return price, nil
	case <-ctx.Done():
		support.Mark("caller gave up") // now the slow lookup may answer
		return 0, ctx.Err()
	}
}
