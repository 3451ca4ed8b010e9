//go:build !fixed

package main

// newBatch returns a batch ready to run.
func newBatch() *batch {
	return &batch{
		done: make(chan struct{}), // BUG: results is never made: a nil channel blocks forever
	}
}
