// Command chan_select_no_partner hedges a price quote: it asks a primary and a
// mirror backend at once and shows whichever answers first. Both backends are
// down, and a fetch that fails returns without sending, so the goroutine that
// selects on the two answers waits forever.
package main

import (
	"errors"
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

var errUnavailable = errors.New("service unavailable")

type quote struct {
	source string
	price  int
	err    error
}

func run() {
	primary, mirror := newAnswerChannels()
	var fetches sync.WaitGroup
	fetches.Add(2)
	go fetch("primary", primary, &fetches)
	go fetch("mirror", mirror, &fetches)
	go display(primary, mirror)
	fetches.Wait() // the request is done once both backends have been asked
	fmt.Println("request done")
}

// display shows the first quote to arrive.
func display(primary, mirror <-chan quote) {
	var q quote
	select { // buggy: neither case can ever proceed, both senders have returned
	case q = <-primary:
	case q = <-mirror:
	}
	if q.err != nil {
		fmt.Println("no quote:", q.err)
		return
	}
	fmt.Printf("%s quote: %d\n", q.source, q.price)
}

// lookup is the backend call; today every backend is down.
func lookup(source string) (int, error) {
	return 0, fmt.Errorf("%s: %w", source, errUnavailable)
}
