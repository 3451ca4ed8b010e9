//go:build !fixed

package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

// tail streams log lines on events, forever.
func tail(events chan<- string) {
	for i := 1; ; i++ {
		events <- nextLine(i) // panics once the reader has closed events
	}
}

// head prints the first n lines and stops the tailer.
func head(n int) {
	events := make(chan string)
	go tail(events)
	for range n {
		fmt.Println(<-events)
	}
	close(events) // BUG: the receiver closes the channel to stop the sender: its next send panics
	support.Mark("reader stopped")
}
