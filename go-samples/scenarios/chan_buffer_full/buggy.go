//go:build !fixed

package main

// watch configures from the first update and returns.
func (b *bus) watch() {
	apply(<-b.updates) // BUG: takes one update and leaves; nobody tells the publishers
}

// publish hands an update to the watcher.
func (b *bus) publish(u update) {
	b.updates <- u // blocks forever once the buffer is full and the watcher has gone
}
