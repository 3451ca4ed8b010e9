//go:build !fixed

package main

import "context"

// handle renders the page and replies, unless the client has cancelled.
func handle(ctx context.Context, reply chan<- string) {
	if ctx.Err() != nil { // BUG: checked once, before the slow part
		return
	}
	page := render(Sections)
	reply <- page // BUG: the client cancelled meanwhile: nobody will ever receive
}
