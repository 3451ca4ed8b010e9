// Package moby28462 reproduces moby#28462: The health-check monitor sends a
// probe result while holding the container lock; the receiver must take the
// container lock before it reads results.
//
// Report: https://github.com/moby/moby/pull/28462
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/moby/28462
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package moby28462

import (
	"sync"
	"testing"
	"time"
)

type container struct {
	mu     sync.Mutex
	health string
}

type monitor struct {
	c       *container
	results chan string
}

func (m *monitor) probe(fixed bool) {
	m.c.mu.Lock()
	m.c.health = "starting"
	if fixed {
		m.c.mu.Unlock()
		m.results <- "healthy"
		return
	}
	m.results <- "healthy" // BUG: holds the container lock while sending
	m.c.mu.Unlock()
}

func (m *monitor) handle() {
	m.c.mu.Lock()
	h := m.c.health
	m.c.mu.Unlock()
	_ = h
	<-m.results
}

func exercise(fixed bool) {
	m := &monitor{c: &container{}, results: make(chan string)}
	go m.probe(fixed)
	time.Sleep(10 * time.Millisecond) // the probe holds the lock and is sending
	m.handle()
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
