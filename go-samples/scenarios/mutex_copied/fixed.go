//go:build fixed

package main

import "maps"

// Snapshot returns a copy of the cache for a report.
func (c *cache) Snapshot() *cache {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &cache{entries: maps.Clone(c.entries)} // FIX: copy the data, give the copy its own lock
}
