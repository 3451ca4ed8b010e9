// Command chan_send_on_closed is `tail -f | head`: a tailer streams log lines
// on a channel and a reader prints the first few. The reader stops the tailer
// by closing the channel, and the tailer's next send panics.
package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

func run() {
	head(Lines)
	fmt.Println("done reading")
}

// nextLine waits for the next log line. Line n+1 arrives only after the
// reader has stopped, the interleaving the bug needs.
func nextLine(i int) string {
	if i > Lines {
		support.AwaitMark("reader stopped")
	}
	return fmt.Sprintf("GET /api/items/%d 200", i)
}
