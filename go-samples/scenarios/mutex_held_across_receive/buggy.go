//go:build !fixed

package main

// collect waits for the next result, or a failure, and adds it to the sum.
func (c *collector) collect() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	select { // BUG: waits with mu held; a worker needs mu before it sends
	case r := <-c.results:
		c.sum += r
		return nil
	case err := <-c.failed:
		return err
	}
}
