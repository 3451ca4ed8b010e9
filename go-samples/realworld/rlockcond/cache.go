// Package rlockcond is a cache whose Get holds the read lock of the entries
// while it waits, on a sync.Cond of another mutex, for the first load. Load
// needs the write lock to fill the entries before it announces the load, and a
// writer waits for every reader: the readers wait for the loader, the loader
// waits for the readers.
package rlockcond

import "sync"

// Cache holds entries once they are loaded.
type Cache struct {
	rw      sync.RWMutex // guards entries
	entries map[string]string

	mu     sync.Mutex // guards loaded
	loaded bool
	cond   *sync.Cond
}

// NewCache returns an empty cache that is not loaded yet.
func NewCache() *Cache {
	c := &Cache{entries: map[string]string{}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Load fills the cache and wakes the readers waiting for it.
func (c *Cache) Load(src map[string]string) {
	c.rw.Lock()
	for k, v := range src {
		c.entries[k] = v
	}
	c.rw.Unlock()

	c.mu.Lock()
	c.loaded = true
	c.mu.Unlock()
	c.cond.Broadcast()
}

func (c *Cache) waitLoaded() {
	c.mu.Lock()
	for !c.loaded {
		c.cond.Wait()
	}
	c.mu.Unlock()
}

// Get returns an entry, waiting for the first load.
func (c *Cache) Get(key string) string {
	c.rw.RLock()
	defer c.rw.RUnlock()
	c.waitLoaded() // BUG: waits holding the read lock the loader's Lock waits for
	return c.entries[key]
}

// GetFixed waits for the load before it takes the read lock.
func (c *Cache) GetFixed(key string) string {
	c.waitLoaded()
	c.rw.RLock()
	defer c.rw.RUnlock()
	return c.entries[key]
}
