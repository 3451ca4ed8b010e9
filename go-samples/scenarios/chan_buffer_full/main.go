// Command chan_buffer_full publishes configuration updates to a watcher over
// a buffered channel. The watcher wants only the first update and returns;
// the updates published after it left fill the buffer, and every publisher
// beyond its capacity blocks forever in its send.
package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// update is one version of the configuration.
type update struct{ version int }

// bus carries updates from publishers to the watcher.
type bus struct {
	updates chan update
	done    chan struct{} // closed by the watcher when it leaves (fixed variant)
}

func run() {
	b := &bus{updates: make(chan update, Capacity), done: make(chan struct{})}
	go b.watch()
	support.AwaitBlocked("chan receive", 1) // the watcher is listening before the first update
	b.publish(update{version: 0})
	for i := 1; i <= Items; i++ {
		go b.publish(update{version: i}) // one publisher per later change
	}
}

// apply is the watcher's reaction to an update.
func apply(u update) {
	fmt.Println("watcher: configured at version", u.version)
}
