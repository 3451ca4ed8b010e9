// Package kubernetes10182 reproduces kubernetes#10182: The kubelet status
// manager sends a status update on an unbuffered channel while holding the
// status lock; the goroutine that drains the channel first needs that lock.
//
// Report: https://github.com/kubernetes/kubernetes/pull/10182
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/kubernetes/10182
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package kubernetes10182

import (
	"sync"
	"testing"
	"time"
)

type statusManager struct {
	mu       sync.Mutex
	statuses map[string]string
	updates  chan string
}

func (m *statusManager) setStatus(pod, status string, fixed bool) {
	m.mu.Lock()
	m.statuses[pod] = status
	if fixed {
		m.mu.Unlock()
		m.updates <- pod
		return
	}
	m.updates <- pod // BUG: sends while holding m.mu
	m.mu.Unlock()
}

func (m *statusManager) syncBatch(done chan<- struct{}) {
	defer close(done)
	m.mu.Lock() // the syncer reads the map before it drains the channel
	n := len(m.statuses)
	m.mu.Unlock()
	for i := 0; i < n; i++ {
		<-m.updates
	}
}

func exercise(fixed bool) {
	m := &statusManager{statuses: map[string]string{}, updates: make(chan string)}
	started := make(chan struct{})
	go func() {
		close(started)
		m.setStatus("a", "running", fixed)
	}()
	<-started
	time.Sleep(10 * time.Millisecond) // the update is on its way
	done := make(chan struct{})
	go m.syncBatch(done)
	<-done
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
