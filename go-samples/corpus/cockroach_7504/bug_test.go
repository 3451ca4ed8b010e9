// Package cockroach7504 reproduces cockroach#7504: The lease manager takes the
// table-state lock then the lease-state lock when acquiring, and the reverse
// when releasing a lease.
//
// Report: https://github.com/cockroachdb/cockroach/pull/7504
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/cockroach/7504
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package cockroach7504

import (
	"sync"
	"testing"
	"time"
)

type leaseState struct {
	mu   sync.Mutex
	refs int
}

type tableState struct {
	mu     sync.Mutex
	leases []*leaseState
}

func (t *tableState) acquire(l *leaseState) {
	t.mu.Lock()
	time.Sleep(time.Millisecond)
	l.mu.Lock()
	l.refs++
	l.mu.Unlock()
	t.mu.Unlock()
}

func (t *tableState) release(l *leaseState, fixed bool) {
	if fixed {
		t.mu.Lock()
		l.mu.Lock()
	} else {
		l.mu.Lock()
		time.Sleep(time.Millisecond)
		t.mu.Lock() // BUG: lease lock, then table lock
	}
	l.refs--
	t.mu.Unlock()
	l.mu.Unlock()
}

func exercise(fixed bool) {
	l := &leaseState{}
	t := &tableState{leases: []*leaseState{l}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); t.acquire(l) }()
	go func() { defer wg.Done(); t.release(l, fixed) }()
	wg.Wait()
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
