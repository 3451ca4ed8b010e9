//go:build fixed

package main

// fallbackBackend is the backend for paths with no route. The caller must
// hold r.mu (for reading or writing).
func (r *router) fallbackBackend() string {
	return r.fallback // FIX: no nested RLock: the helper relies on the caller's lock
}
