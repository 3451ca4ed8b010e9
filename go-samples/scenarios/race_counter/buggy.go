//go:build !fixed

package main

// hitCounter counts hits.
type hitCounter struct {
	n int
}

func (c *hitCounter) record() {
	c.n++ // BUG: read-modify-write with no synchronization: a data race
}

func (c *hitCounter) total() int { return c.n }
