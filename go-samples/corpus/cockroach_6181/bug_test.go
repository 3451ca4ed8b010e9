// Package cockroach6181 reproduces cockroach#6181: The range descriptor cache
// re-enters its read lock from inside a read-locked lookup; a pending writer
// makes the inner RLock wait forever.
//
// Report: https://github.com/cockroachdb/cockroach/pull/6181
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/cockroach/6181
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package cockroach6181

import (
	"sync"
	"testing"
	"time"
)

type rangeCache struct {
	mu   sync.RWMutex
	data map[string]int
}

func (rc *rangeCache) getDescriptor(k string) int {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	return rc.data[k]
}

func (rc *rangeCache) getDescriptorLocked(k string) int { return rc.data[k] }

func (rc *rangeCache) lookupRange(k string, fixed bool, writerQueued chan<- struct{}, proceed <-chan struct{}) int {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	close(writerQueued)
	<-proceed
	if fixed {
		return rc.getDescriptorLocked(k) + 1
	}
	return rc.getDescriptor(k) + 1 // BUG: a second RLock while a writer waits
}

func (rc *rangeCache) set(k string, v int) {
	rc.mu.Lock()
	rc.data[k] = v
	rc.mu.Unlock()
}

func exercise(fixed bool) {
	rc := &rangeCache{data: map[string]int{}}
	writerQueued := make(chan struct{})
	proceed := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		rc.lookupRange("k", fixed, writerQueued, proceed)
	}()
	<-writerQueued
	go rc.set("k", 1)
	time.Sleep(10 * time.Millisecond) // let the writer queue behind the read lock
	close(proceed)
	<-done
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
