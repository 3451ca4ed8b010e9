//go:build fixed

package main

// collect waits for the next result, or a failure, and adds it to the sum.
func (c *collector) collect() error {
	var r int
	select { // FIX: wait without the lock; take it only to use what arrived
	case r = <-c.results:
	case err := <-c.failed:
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sum += r
	return nil
}
