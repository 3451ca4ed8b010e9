// Package cockroach1055 reproduces cockroach#1055: Stopper.Stop holds the
// stopper's mutex while it waits for running tasks; a task's StartTask needs
// the same mutex before it can finish, so Wait never returns.
//
// Report: https://github.com/cockroachdb/cockroach/pull/1055
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/cockroach/1055
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package cockroach1055

import (
	"sync"
	"testing"
	"time"
)

type stopper struct {
	mu       sync.Mutex
	draining bool
	tasks    sync.WaitGroup
}

func (s *stopper) startTask() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.tasks.Add(1)
	return true
}

func (s *stopper) stop(fixed bool) {
	s.mu.Lock()
	s.draining = true
	if fixed {
		s.mu.Unlock()
		s.tasks.Wait()
		return
	}
	s.tasks.Wait() // BUG: waits holding s.mu
	s.mu.Unlock()
}

func exercise(fixed bool) {
	s := &stopper{}
	s.startTask()
	go func() {
		defer s.tasks.Done()
		time.Sleep(2 * time.Millisecond)
		if s.startTask() { // a sub-task, refused once draining
			s.tasks.Done()
		}
	}()
	s.stop(fixed)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
