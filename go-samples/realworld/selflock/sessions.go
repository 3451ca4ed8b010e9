// Package selflock is a session table whose Touch holds the table's lock and
// asks Alive, which takes the same lock again. sync.Mutex is not reentrant:
// the request goroutine waits for itself and is left behind.
package selflock

import (
	"sync"
	"time"
)

// Table maps session ids to their expiry.
type Table struct {
	mu      sync.Mutex
	ttl     time.Duration
	expires map[string]time.Time
}

// NewTable returns an empty table whose sessions live for ttl.
func NewTable(ttl time.Duration) *Table {
	return &Table{ttl: ttl, expires: map[string]time.Time{}}
}

// Open starts a session.
func (t *Table) Open(id string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expires[id] = now.Add(t.ttl)
}

// Alive reports whether a session exists and has not expired.
func (t *Table) Alive(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.aliveLocked(id, now)
}

func (t *Table) aliveLocked(id string, now time.Time) bool {
	expiry, ok := t.expires[id]
	return ok && now.Before(expiry)
}

// Touch extends a live session and reports whether it was alive.
func (t *Table) Touch(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.Alive(id, now) { // BUG: Alive locks t.mu, which Touch holds
		return false
	}
	t.expires[id] = now.Add(t.ttl)
	return true
}

// TouchFixed is Touch asking the helper that expects the lock held.
func (t *Table) TouchFixed(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.aliveLocked(id, now) {
		return false
	}
	t.expires[id] = now.Add(t.ttl)
	return true
}
