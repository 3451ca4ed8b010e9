//go:build !fixed

package main

import (
	"context"
	"fmt"
)

// consume handles jobs until the context is cancelled.
func consume(ctx context.Context, jobs <-chan string) {
	for ctx.Err() == nil { // BUG: the context is checked only between jobs
		job := <-jobs // BUG: blocks without watching ctx: a cancel from now on is never seen
		fmt.Println("handled", job)
	}
}
