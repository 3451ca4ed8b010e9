//go:build !fixed

package main

// Snapshot returns a copy of the cache for a report.
func (c *cache) Snapshot() cache {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c // BUG: copies the mutex too, in its locked state; vet: copylocks
}
