//go:build fixed

package main

import (
	"errors"
	"sync"
)

// upload sends one file, retrying once if the server is busy.
func upload(name string, pending *sync.WaitGroup, stats *batchStats) {
	defer pending.Done() // FIX: the only Done: one per Add, on every path
	err := send(name)
	if errors.Is(err, errBusy) {
		err = send(name) // one retry
	}
	if err != nil {
		stats.failed.Add(1)
		return
	}
	stats.uploaded.Add(1)
}
