//go:build fixed

package main

func newWatcher() *watcher {
	return &watcher{
		events: make(chan string),
		quit:   make(chan struct{}), // FIX: make every channel the watcher uses
		done:   make(chan struct{}),
	}
}
