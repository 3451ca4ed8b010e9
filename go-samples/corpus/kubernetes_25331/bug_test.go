// Package kubernetes25331 reproduces kubernetes#25331: The etcd watcher sends
// events on its result channel without watching its context; once the consumer
// cancels and stops reading, the sender is left behind.
//
// Report: https://github.com/kubernetes/kubernetes/pull/25331
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/kubernetes/25331
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package kubernetes25331

import (
	"context"
	"testing"
	"time"
)

type watchChan struct {
	ctx     context.Context
	results chan int
}

func (wc *watchChan) run(fixed bool) {
	for i := 0; ; i++ {
		if fixed {
			select {
			case wc.results <- i:
			case <-wc.ctx.Done():
				return
			}
			continue
		}
		wc.results <- i // BUG: ignores wc.ctx
	}
}

func exercise(fixed bool) {
	ctx, cancel := context.WithCancel(context.Background())
	wc := &watchChan{ctx: ctx, results: make(chan int)}
	go wc.run(fixed)
	<-wc.results
	cancel() // the consumer stops watching
	time.Sleep(2 * time.Millisecond)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
