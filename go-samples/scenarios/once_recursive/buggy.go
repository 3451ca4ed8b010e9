//go:build !fixed

package main

// load builds the configuration; it runs once, inside c.once.Do.
func (c *client) load() {
	c.cfg = &config{Region: "eu-west-1"}
	c.cfg.Endpoint = c.endpoint() // BUG: endpoint calls c.config(), which re-enters c.once.Do
}
