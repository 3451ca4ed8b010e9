// Command chan_close_of_nil is a config watcher whose constructor forgets to
// make its quit channel. The watcher works (a nil channel in a select is
// simply never ready), until Close closes the nil channel and panics.
package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

func run() {
	w := newWatcher()
	go w.loop()
	for i := 1; i <= Events; i++ {
		w.events <- fmt.Sprintf("config v%d", i)
	}
	w.Close()
	fmt.Println("watcher closed")
}

type watcher struct {
	events chan string   // config changes to apply
	quit   chan struct{} // closed by Close: tells loop to return
	done   chan struct{} // closed by loop when it returns
}

// loop applies config changes until Close.
func (w *watcher) loop() {
	defer close(w.done)
	for {
		select {
		case e := <-w.events:
			fmt.Println("applied", e)
		case <-w.quit: // buggy: quit is nil, so this case is never ready
			return
		}
	}
}

// Close stops the watcher and waits for its loop to return.
func (w *watcher) Close() {
	close(w.quit) // buggy: panics, close of nil channel
	<-w.done
}
