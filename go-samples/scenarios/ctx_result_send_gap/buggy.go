//go:build !fixed

package main

import "context"

// worker squares jobs until ctx is cancelled.
func worker(ctx context.Context, jobs <-chan int, results chan<- int) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-jobs:
			results <- square(j) // BUG: unguarded send: blocks forever once nobody reads results
		}
	}
}
