//go:build !fixed

package main

// get returns the cached value of key, filling the cache on a miss.
func (c *cache) get(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.entries[key]; ok {
		return v
	}
	return c.fill(key) // BUG: fill locks c.mu, which this goroutine already holds
}

// fill loads key and stores it.
func (c *cache) fill(key string) string {
	c.mu.Lock() // blocks forever: the holder is this same goroutine, in get
	defer c.mu.Unlock()
	v := load(key)
	c.entries[key] = v
	return v
}
