// Command mutex_held_while_sending is a price feed: the publisher records each
// price under the feed's mutex and hands it to the subscriber on an unbuffered
// channel, still holding the mutex. The subscriber takes the same mutex to
// record that it is polling before each receive, so it waits for the
// publisher's lock while the publisher waits for its receive.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

type update struct {
	symbol string
	price  int
}

// feed delivers price updates to one subscriber; mu guards last and polls.
type feed struct {
	mu      sync.Mutex
	last    map[string]int // latest price per symbol
	polls   int            // receives the subscriber has started, for the health check
	updates chan update    // unbuffered: a send completes only when the subscriber receives
}

// subscribe receives updates until the feed is closed, then reports how many
// it received on done.
func (f *feed) subscribe(done chan<- int) {
	support.AwaitBlocked("chan send", 1) // the publisher is parked in its first send
	n := 0
	for {
		f.mu.Lock() // buggy: the publisher holds mu while it waits for this goroutine
		f.polls++
		f.mu.Unlock()
		u, ok := <-f.updates
		if !ok {
			break
		}
		fmt.Println(u.symbol, u.price)
		n++
	}
	done <- n
}

func run() {
	f := &feed{last: map[string]int{}, updates: make(chan update)}
	done := make(chan int)
	go f.subscribe(done)
	for i := range Updates {
		f.publish("ACME", 100+i)
	}
	close(f.updates)
	fmt.Println("delivered:", <-done)
}
