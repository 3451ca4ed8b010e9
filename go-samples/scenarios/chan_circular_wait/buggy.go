//go:build !fixed

package main

// sync sends this replica's value, then keeps the larger of both.
func (r *replica) sync() {
	r.out <- r.value // BUG: both replicas send first; neither reaches its receive
	r.value = max(r.value, <-r.in)
}
