//go:build !fixed

package main

import "context"

// handle serves one request.
func handle(server context.Context, id int) string {
	ctx, cancel := context.WithCancel(server)
	if page, ok := cache[id]; ok {
		return page // BUG: returns without cancel: ctx, and the goroutine watching it, live on
	}
	defer cancel()
	return lookup(ctx, id)
}
