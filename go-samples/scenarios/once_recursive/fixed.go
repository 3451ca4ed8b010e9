//go:build fixed

package main

// load builds the configuration; it runs once, inside c.once.Do.
func (c *client) load() {
	c.cfg = &config{Region: "eu-west-1"}
	c.cfg.Endpoint = endpointFor(c.cfg.Region) // FIX: use the value being built, not the getter
}
