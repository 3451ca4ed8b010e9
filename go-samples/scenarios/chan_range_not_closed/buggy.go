//go:build !fixed

package main

import (
	"sync"

	"gorepro.dev/samples/support"
)

// shipLogs reads n log lines and hands them to the shipper.
func shipLogs(n int) {
	lines := make(chan string) // unbuffered: each line is handed to the shipper
	go ship(lines)
	support.AwaitBlocked("chan receive", 1) // the shipper waits for its first line
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; i <= n; i++ {
			lines <- readLine(i)
		}
		// BUG: returns without close(lines): the shipper's range never ends
	})
	wg.Wait() // BUG: waits for the reader only, so nobody notices the shipper is left behind
}
