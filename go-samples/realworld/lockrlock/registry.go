// Package lockrlock is a settings registry whose Set holds the write lock and
// reads the old value through Get, which takes the read lock of the same
// RWMutex: a read lock is never granted while a writer holds the lock, even
// to the writer itself.
package lockrlock

import "sync"

// Registry holds settings and the history of their changes.
type Registry struct {
	mu      sync.RWMutex
	values  map[string]string
	history []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{values: map[string]string{}}
}

// Get returns a setting.
func (r *Registry) Get(key string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.values[key]
}

// Set changes a setting and records the value it replaces.
func (r *Registry) Set(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.Get(key) // BUG: RLock while this goroutine holds the write lock
	r.history = append(r.history, key+": "+old+" -> "+value)
	r.values[key] = value
}

// SetFixed reads the old value directly, under the write lock it holds.
func (r *Registry) SetFixed(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.values[key]
	r.history = append(r.history, key+": "+old+" -> "+value)
	r.values[key] = value
}
