//go:build fixed

package main

import (
	"sync"

	"gorepro.dev/samples/support"
)

// shipLogs reads n log lines and hands them to the shipper.
func shipLogs(n int) {
	lines := make(chan string) // unbuffered: each line is handed to the shipper
	var wg sync.WaitGroup
	wg.Go(func() { ship(lines) })           // FIX: wait for the shipper too
	support.AwaitBlocked("chan receive", 1) // the shipper waits for its first line
	wg.Go(func() {
		defer close(lines) // FIX: the sender closes when it is done: the shipper's range ends
		for i := 1; i <= n; i++ {
			lines <- readLine(i)
		}
	})
	wg.Wait()
}
