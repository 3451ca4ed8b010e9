//go:build fixed

package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

// tail streams log lines on events until done is closed.
func tail(events chan<- string, done <-chan struct{}) {
	defer close(events) // FIX: only the sender closes, once it has stopped sending
	for i := 1; ; i++ {
		select {
		case events <- nextLine(i):
		case <-done: // FIX: the reader asks the tailer to stop through done
			return
		}
	}
}

// head prints the first n lines and stops the tailer.
func head(n int) {
	events := make(chan string)
	done := make(chan struct{})
	go tail(events, done)
	for range n {
		fmt.Println(<-events)
	}
	close(done) // FIX: stop the tailer instead of closing its channel
	support.Mark("reader stopped")
	for range events { // drain until the tailer has stopped and closed events
	}
}
