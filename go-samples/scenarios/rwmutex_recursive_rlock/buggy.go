//go:build !fixed

package main

// fallbackBackend is the backend for paths with no route.
func (r *router) fallbackBackend() string {
	r.mu.RLock() // BUG: the caller already holds the read lock; a queued writer makes this RLock wait
	defer r.mu.RUnlock()
	return r.fallback
}
