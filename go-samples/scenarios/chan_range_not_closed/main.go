// Command chan_range_not_closed is a log shipper: a reader hands log lines to
// a shipper goroutine that ranges over the channel. The reader returns
// without closing the channel, the caller waits for the reader only, and the
// shipper's loop waits forever for a next line.
package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

func run() {
	shipLogs(Items)
	fmt.Println("logs shipped")
}

// ship sends every line it receives to the log store.
func ship(lines <-chan string) {
	for line := range lines { // buggy: waits forever, lines is never closed
		fmt.Println("shipped:", line)
	}
}

// readLine is the log source.
func readLine(i int) string {
	return fmt.Sprintf("request %d served", i)
}
