// Package hugo3251 reproduces hugo#3251: A template lookup takes the read lock
// and calls another lookup that takes it again; a writer queued in between
// blocks the second RLock, and the writer waits for the first.
//
// Report: https://github.com/gohugoio/hugo/pull/3251
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/hugo/3251
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package hugo3251

import (
	"sync"
	"testing"
	"time"
)

type templateCache struct {
	mu   sync.RWMutex
	data map[string]int
}

func (tc *templateCache) lookup(k string) int {
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	return tc.data[k]
}

func (tc *templateCache) lookupLocked(k string) int { return tc.data[k] }

func (tc *templateCache) lookupWithFallback(k string, fixed bool, writerQueued chan<- struct{}, proceed <-chan struct{}) int {
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	close(writerQueued)
	<-proceed
	if fixed {
		return tc.lookupLocked(k) + 1
	}
	return tc.lookup(k) + 1 // BUG: a second RLock while a writer waits
}

func (tc *templateCache) set(k string, v int) {
	tc.mu.Lock()
	tc.data[k] = v
	tc.mu.Unlock()
}

func exercise(fixed bool) {
	tc := &templateCache{data: map[string]int{}}
	writerQueued := make(chan struct{})
	proceed := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tc.lookupWithFallback("k", fixed, writerQueued, proceed)
	}()
	<-writerQueued
	go tc.set("k", 1)
	time.Sleep(10 * time.Millisecond) // let the writer queue behind the read lock
	close(proceed)
	<-done
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
