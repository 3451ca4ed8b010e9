//go:build fixed

package main

import (
	"context"
	"fmt"
)

// consume handles jobs until the context is cancelled.
func consume(ctx context.Context, jobs <-chan string) {
	for {
		select {
		case job := <-jobs:
			fmt.Println("handled", job)
		case <-ctx.Done(): // FIX: the wait itself watches ctx
			return
		}
	}
}
