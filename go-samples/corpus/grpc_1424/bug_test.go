// Package grpc1424 reproduces grpc#1424: The balancer watcher waits on an
// address-update channel that the resolver stops feeding (without closing it)
// when it fails; the watcher goroutine is left behind.
//
// Report: https://github.com/grpc/grpc-go/pull/1424
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/grpc/1424
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package grpc1424

import (
	"testing"
	"time"
)

type resolver struct {
	updates chan []string
}

func (r *resolver) run(fail bool, fixed bool) {
	if fail {
		if fixed {
			close(r.updates) // the fix: tell the watcher there is nothing more
		}
		return // BUG: returns without sending or closing
	}
	r.updates <- []string{"10.0.0.1"}
}

func watch(r *resolver, got chan<- int) {
	for addrs := range r.updates {
		got <- len(addrs)
	}
	close(got)
}

func exercise(fixed bool) {
	r := &resolver{updates: make(chan []string)}
	got := make(chan int, 1)
	go watch(r, got)
	r.run(true, fixed)
	time.Sleep(2 * time.Millisecond)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
