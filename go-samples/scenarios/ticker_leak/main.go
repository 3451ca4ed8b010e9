// Command ticker_leak makes an API client whose access token a background
// goroutine refreshes on every tick of a time.Ticker. The caller uses the
// client and closes it, but Close does not stop the refresher, which has no
// other way out of its loop: it outlives the client and keeps waking up on
// every tick, for ever.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// client calls an API with a token that is refreshed in the background.
type client struct {
	mu      sync.Mutex
	token   string
	gen     int
	closed  bool
	done    chan struct{} // closed by Close to stop the refresher
	stopped chan struct{} // closed by the refresher when it returns
}

// refreshToken replaces the access token with a fresh one.
func (c *client) refreshToken() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.token = fmt.Sprintf("tok-%04d", c.gen)
}

// get calls the API with the current token.
func (c *client) get(path string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return "GET " + path + ": client closed"
	}
	return fmt.Sprintf("GET %s (Authorization: Bearer %s)", path, c.token)
}

func run() {
	c := newClient()
	for _, path := range []string{"/users", "/orders", "/invoices"} {
		fmt.Println(c.get(path))
	}
	c.Close() // buggy: returns with the refresher still running
}
