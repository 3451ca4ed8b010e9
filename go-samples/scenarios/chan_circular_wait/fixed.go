//go:build fixed

package main

// sync sends this replica's value from a goroutine of its own, so that the
// receive runs while the send waits for the other replica, then keeps the
// larger of both.
func (r *replica) sync() {
	mine := r.value
	sent := make(chan struct{})
	go func() {
		r.out <- mine // FIX: the send no longer stands before the receive
		close(sent)
	}()
	other := <-r.in
	<-sent
	r.value = max(mine, other)
}
