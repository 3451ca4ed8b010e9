// Package cockroach1462 reproduces cockroach#1462: Stopper.Stop waits for its
// workers, but a worker is blocked sending on a channel whose reader already
// stopped reading; Wait never returns.
//
// Report: https://github.com/cockroachdb/cockroach/pull/1462
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/cockroach/1462
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package cockroach1462

import (
	"sync"
	"testing"
)

type stopper struct {
	wg      sync.WaitGroup
	stopper chan struct{}
}

func (s *stopper) runWorker(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func exercise(fixed bool) {
	s := &stopper{stopper: make(chan struct{})}
	events := make(chan int)
	s.runWorker(func() {
		for i := 0; ; i++ {
			if fixed {
				select {
				case events <- i:
				case <-s.stopper:
					return
				}
			} else {
				events <- i // BUG: ignores the stopper
			}
		}
	})
	<-events // the reader takes one event and stops reading
	close(s.stopper)
	s.wg.Wait()
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
