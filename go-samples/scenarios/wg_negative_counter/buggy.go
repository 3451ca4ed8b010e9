//go:build !fixed

package main

import (
	"errors"
	"sync"
)

// upload sends one file, retrying once if the server is busy.
func upload(name string, pending *sync.WaitGroup, stats *batchStats) {
	defer pending.Done()
	err := send(name)
	if errors.Is(err, errBusy) {
		err = send(name) // one retry
	}
	if err != nil {
		stats.failed.Add(1)
		pending.Done() // BUG: left over from before the defer: this path calls Done twice
		return
	}
	stats.uploaded.Add(1)
}
