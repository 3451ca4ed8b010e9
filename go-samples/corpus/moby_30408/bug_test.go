// Package moby30408 reproduces moby#30408: The plugin manager's Get waits on a
// Cond for a plugin to be enabled; an enable that errors out returns without
// signalling.
//
// Report: https://github.com/moby/moby/pull/30408
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/moby/30408
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package moby30408

import (
	"sync"
	"testing"
	"time"
)

type manager struct {
	mu      sync.Mutex
	cond    *sync.Cond
	enabled map[string]bool
	failed  map[string]bool
}

func (m *manager) enable(name string, fixed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if name == "bad" {
		m.failed[name] = true
		if fixed {
			m.cond.Broadcast()
		}
		return // BUG: no Broadcast on failure
	}
	m.enabled[name] = true
	m.cond.Broadcast()
}

func (m *manager) get(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for !m.enabled[name] && !m.failed[name] {
		m.cond.Wait()
	}
	return m.enabled[name]
}

func exercise(fixed bool) {
	m := &manager{enabled: map[string]bool{}, failed: map[string]bool{}}
	m.cond = sync.NewCond(&m.mu)
	go func() {
		time.Sleep(10 * time.Millisecond) // get is waiting by then
		m.enable("bad", fixed)
	}()
	_ = m.get("bad")
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
