//go:build !fixed

package main

// await waits until the config is loaded; false if it gave up.
func (c *config) await() bool {
	for range SpinMillions * 1_000_000 {
		if c.ready.Load() { // BUG: busy-waits without a scheduling point: keeps the P
			return true
		}
	}
	return false
}
