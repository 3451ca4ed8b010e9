//go:build fixed

package main

import "context"

// handle serves one request.
func handle(server context.Context, id int) string {
	ctx, cancel := context.WithCancel(server)
	defer cancel() // FIX: every path releases the context
	if page, ok := cache[id]; ok {
		return page
	}
	return lookup(ctx, id)
}
