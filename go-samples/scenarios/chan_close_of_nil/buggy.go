//go:build !fixed

package main

func newWatcher() *watcher {
	return &watcher{
		events: make(chan string),
		done:   make(chan struct{}),
		// BUG: quit is never made: Close closes a nil channel and panics
	}
}
