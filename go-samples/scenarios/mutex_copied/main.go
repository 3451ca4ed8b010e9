// Command mutex_copied keeps a cache behind a sync.Mutex and takes snapshots
// of it for a report. The snapshot is a copy of the whole struct, taken while
// the lock is held: the copy's mutex is copied in its locked state, and
// nothing will ever unlock it. The first use of the snapshot blocks forever.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// cache maps paths to pages; mu guards entries.
type cache struct {
	mu      sync.Mutex
	entries map[string]string
}

// Get returns the page cached for path.
func (c *cache) Get(path string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[path]
}

func run() {
	live := &cache{entries: map[string]string{"/": "index.html", "/about": "about.html"}}
	snap := live.Snapshot()
	fmt.Println("report:", snap.Get("/"))
}
