// Command rwmutex_recursive_rlock routes requests with a table guarded by a
// sync.RWMutex that a background reload replaces. A request resolves its path
// under the read lock and, for an unknown path, asks a helper for the fallback
// backend; the helper takes the read lock again. Once the reload is queued for
// the write lock, new readers wait for it, the nested RLock among them, while
// the reload waits for the outer read lock to be released: neither can
// proceed.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// router maps request paths to backends; mu guards routes and fallback.
type router struct {
	mu       sync.RWMutex
	routes   map[string]string
	fallback string
}

// resolve returns the backend that serves path.
func (r *router) resolve(path string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	support.Mark("request holds the read lock")  // the reload may start now
	support.AwaitBlocked("sync.RWMutex.Lock", 1) // the reload is queued for the write lock
	if backend, ok := r.routes[path]; ok {
		return backend
	}
	return r.fallbackBackend()
}

// reload replaces the routing table and closes done.
func (r *router) reload(routes map[string]string, done chan<- struct{}) {
	support.AwaitMark("request holds the read lock") // a request is being served
	r.mu.Lock()                                      // buggy: waits for the request's read lock
	r.routes = routes
	r.mu.Unlock()
	close(done)
}

func run() {
	r := &router{
		routes:   map[string]string{"/api": "api-1:8080"},
		fallback: "static-1:8080",
	}
	done := make(chan struct{})
	go r.reload(map[string]string{"/api": "api-2:8080", "/admin": "admin-1:8080"}, done)
	fmt.Println("/docs ->", r.resolve("/docs"))
	<-done
	fmt.Println("routes reloaded:", len(r.routes))
}
