// Package etcd7443 reproduces etcd#7443: The gRPC proxy's watch broadcast
// goroutine selects on its event and stop channels; when the watcher is
// removed without closing stop, both partners are gone and the goroutine stays
// parked in select.
//
// Report: https://github.com/etcd-io/etcd/pull/7443
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/etcd/7443
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package etcd7443

import (
	"testing"
)

type broadcast struct {
	events chan int
	stop   chan struct{}
}

func (b *broadcast) loop(got *int) {
	for {
		select {
		case <-b.events:
			*got++
		case <-b.stop:
			return
		}
	}
}

func exercise(fixed bool) {
	b := &broadcast{events: make(chan int), stop: make(chan struct{})}
	var got int
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.loop(&got)
	}()
	b.events <- 1
	if fixed {
		close(b.stop)
		<-done
	}
	// BUG: the watcher is dropped without close(b.stop)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
