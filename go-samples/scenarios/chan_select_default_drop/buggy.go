//go:build !fixed

package main

import "fmt"

// publish sends n events, then closes the channel.
func publish(events chan<- string, n int) {
	for i := range n {
		select {
		case events <- fmt.Sprintf("event %d", i):
		default: // BUG: nobody can take the event right now: it is silently dropped
		}
	}
	close(events)
}
