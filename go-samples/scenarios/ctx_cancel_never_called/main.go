// Command ctx_cancel_never_called serves requests under a server-wide
// context. Each request derives its own cancellable context, but the
// cache-hit path returns without calling cancel (vet's lostcancel). The
// server's context is its own type, as in many frameworks, so the context
// package watches it for every derived context with a goroutine that exits
// only when the derived context is cancelled or the server shuts down: every
// forgotten cancel leaks one goroutine for the life of the server.
package main

import (
	"context"
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// serverCtx is done when the server shuts down.
type serverCtx struct {
	context.Context
	shutdown chan struct{}
}

func (c *serverCtx) Done() <-chan struct{} { return c.shutdown }

func (c *serverCtx) Err() error {
	select {
	case <-c.shutdown:
		return context.Canceled
	default:
		return nil
	}
}

// cache holds the pages of the first Cached requests.
var cache = map[int]string{}

// lookup renders a page, giving up when ctx is done.
func lookup(ctx context.Context, id int) string {
	if ctx.Err() != nil {
		return ""
	}
	return fmt.Sprintf("page %d", id)
}

func run() {
	server := &serverCtx{Context: context.Background(), shutdown: make(chan struct{})}
	for id := range Cached {
		cache[id] = fmt.Sprintf("page %d", id)
	}
	for id := range Requests {
		handle(server, id)
	}
	fmt.Println("served", Requests, "requests")
}
