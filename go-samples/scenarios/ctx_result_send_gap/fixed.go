//go:build fixed

package main

import "context"

// worker squares jobs until ctx is cancelled.
func worker(ctx context.Context, jobs <-chan int, results chan<- int) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-jobs:
			select {
			case results <- square(j):
			case <-ctx.Done(): // FIX: the send gives up when the caller cancels
				return
			}
		}
	}
}
