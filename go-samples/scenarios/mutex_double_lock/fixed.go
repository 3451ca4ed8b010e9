//go:build fixed

package main

// get returns the cached value of key, filling the cache on a miss.
func (c *cache) get(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.entries[key]; ok {
		return v
	}
	return c.fillLocked(key)
}

// fillLocked loads key and stores it. FIX: the caller holds c.mu; the helper
// never locks it (the Locked suffix says so).
func (c *cache) fillLocked(key string) string {
	v := load(key)
	c.entries[key] = v
	return v
}
