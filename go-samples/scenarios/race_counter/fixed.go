//go:build fixed

package main

import "sync/atomic"

// hitCounter counts hits.
type hitCounter struct {
	n atomic.Int64
}

func (c *hitCounter) record() {
	c.n.Add(1) // FIX: one atomic read-modify-write
}

func (c *hitCounter) total() int { return int(c.n.Load()) }
