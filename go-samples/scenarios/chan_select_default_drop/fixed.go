//go:build fixed

package main

import "fmt"

// publish sends n events, then closes the channel.
func publish(events chan<- string, n int) {
	for i := range n {
		events <- fmt.Sprintf("event %d", i) // FIX: wait for the consumer (backpressure)
	}
	close(events)
}
