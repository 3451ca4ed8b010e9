//go:build !fixed

package main

import (
	"fmt"
	"sync"
)

// newAnswerChannels makes one channel per backend for display to select on.
func newAnswerChannels() (chan quote, chan quote) {
	return make(chan quote), make(chan quote)
}

// fetch asks one backend and hands its quote to display.
func fetch(source string, answer chan<- quote, done *sync.WaitGroup) {
	defer done.Done()
	price, err := lookup(source)
	if err != nil {
		fmt.Println("fetch failed:", err)
		return // BUG: gives up without sending: when every fetch fails, display waits forever
	}
	answer <- quote{source: source, price: price}
}
