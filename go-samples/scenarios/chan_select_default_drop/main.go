// Command chan_select_default_drop publishes events with a non-blocking send,
// so that a slow consumer can never stall the producer. The consumer is slow
// to start: every event the channel cannot hold at that moment is dropped, and
// nothing in the runtime says so: no goroutine blocks, nothing panics.
package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

func run() {
	events := make(chan string, Buffer)
	go publish(events, Events)
	support.AwaitSettled() // the consumer starts late: the producer runs first
	received := 0
	for range events {
		received++
	}
	support.Check(support.LostMessage, received == Events, "received %d of %d events", received, Events)
	fmt.Println("received", received, "events")
}
