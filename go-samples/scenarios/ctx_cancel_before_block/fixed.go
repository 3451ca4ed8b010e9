//go:build fixed

package main

import "context"

// handle renders the page and replies, unless the client has cancelled.
func handle(ctx context.Context, reply chan<- string) {
	if ctx.Err() != nil {
		return
	}
	page := render(Sections)
	select {
	case reply <- page:
	case <-ctx.Done(): // FIX: the send watches ctx, so a cancel at any moment is seen
	}
}
