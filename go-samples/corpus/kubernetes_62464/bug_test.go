// Package kubernetes62464 reproduces kubernetes#62464: The CPU manager's state
// reads call other read-locked getters while holding the read lock; a
// concurrent SetCPUSet writer deadlocks them.
//
// Report: https://github.com/kubernetes/kubernetes/pull/62464
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/kubernetes/62464
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package kubernetes62464

import (
	"sync"
	"testing"
	"time"
)

type cpuState struct {
	mu   sync.RWMutex
	data map[string]int
}

func (s *cpuState) getCPUSet(k string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.data[k]
}

func (s *cpuState) getCPUSetLocked(k string) int { return s.data[k] }

func (s *cpuState) getDefaultCPUSet(k string, fixed bool, writerQueued chan<- struct{}, proceed <-chan struct{}) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	close(writerQueued)
	<-proceed
	if fixed {
		return s.getCPUSetLocked(k) + 1
	}
	return s.getCPUSet(k) + 1 // BUG: a second RLock while a writer waits
}

func (s *cpuState) set(k string, v int) {
	s.mu.Lock()
	s.data[k] = v
	s.mu.Unlock()
}

func exercise(fixed bool) {
	s := &cpuState{data: map[string]int{}}
	writerQueued := make(chan struct{})
	proceed := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.getDefaultCPUSet("k", fixed, writerQueued, proceed)
	}()
	<-writerQueued
	go s.set("k", 1)
	time.Sleep(10 * time.Millisecond) // let the writer queue behind the read lock
	close(proceed)
	<-done
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
