// Command once_recursive is an API client that loads its configuration
// lazily with sync.Once. The loader computes the endpoint through the
// client's own getter, which calls the same Once's Do again: the goroutine
// waits for itself forever.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

type config struct {
	Region   string
	Endpoint string
}

// client talks to a regional API; its configuration is loaded on first use.
type client struct {
	once sync.Once
	cfg  *config
}

// config returns the client's configuration, loading it on first use.
func (c *client) config() *config {
	c.once.Do(c.load) // buggy: the second, nested call blocks here
	return c.cfg
}

// endpoint is the API endpoint of the configured region.
func (c *client) endpoint() string {
	return endpointFor(c.config().Region)
}

func endpointFor(region string) string {
	return "https://api." + region + ".example.com"
}

func run() {
	c := &client{}
	fmt.Println("calling", c.endpoint())
}
