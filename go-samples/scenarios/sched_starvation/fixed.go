//go:build fixed

package main

// await waits until the config is loaded; false if it gave up.
func (c *config) await() bool {
	<-c.loaded // FIX: block on a channel, which hands the P to the loader
	return true
}
