// Package kubernetes30872 reproduces kubernetes#30872: The federation DNS
// controller's cache lock and the service lock are taken in opposite orders by
// two goroutines; without an unlucky interleaving it passes, so it needs
// schedule exploration.
//
// Report: https://github.com/kubernetes/kubernetes/pull/30872
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/kubernetes/30872
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package kubernetes30872

import (
	"sync"
	"testing"
)

type serviceCache struct {
	mu       sync.Mutex
	services map[string]int
}

type controller struct {
	mu    sync.Mutex
	cache *serviceCache
	syncs int
}

func (c *controller) syncService(name string) {
	c.mu.Lock()
	c.syncs++
	c.cache.mu.Lock()
	c.cache.services[name]++
	c.cache.mu.Unlock()
	c.mu.Unlock()
}

func (c *controller) updateCache(name string, fixed bool) {
	if fixed {
		c.mu.Lock()
	}
	c.cache.mu.Lock()
	c.cache.services[name]--
	if !fixed {
		c.mu.Lock() // BUG: cache lock, then controller lock
	}
	c.syncs++
	c.mu.Unlock()
	c.cache.mu.Unlock()
}

func exercise(fixed bool) {
	c := &controller{cache: &serviceCache{services: map[string]int{}}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			c.syncService("a")
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			c.updateCache("a", fixed)
		}
	}()
	wg.Wait()
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
