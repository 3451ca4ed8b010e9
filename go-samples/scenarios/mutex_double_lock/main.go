// Command mutex_double_lock is a cache whose get holds the cache's mutex and,
// on a miss, calls a helper that locks the same mutex again. sync.Mutex is not
// reentrant: the goroutine waits for a lock it holds itself.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// cache memoizes slow lookups; mu guards entries.
type cache struct {
	mu      sync.Mutex
	entries map[string]string
}

func run() {
	c := &cache{entries: map[string]string{}}
	fmt.Println("config:", c.get("config"))
}

// load is the slow lookup behind the cache.
func load(key string) string { return "value of " + key }
