// Package kubernetes5316 reproduces kubernetes#5316: finishRequest runs the
// handler on a goroutine and waits for its result or a timeout; on timeout
// nobody receives, and the handler's send on the unbuffered channel blocks
// forever.
//
// Report: https://github.com/kubernetes/kubernetes/pull/5316
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/kubernetes/5316
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package kubernetes5316

import (
	"errors"
	"testing"
	"time"
)

var errTimeout = errors.New("request timed out")

func finishRequest(timeout time.Duration, fn func() int, fixed bool) (int, error) {
	ch := make(chan int) // BUG: unbuffered, so the late send has no receiver
	if fixed {
		ch = make(chan int, 1)
	}
	go func() {
		ch <- fn()
	}()
	select {
	case r := <-ch:
		return r, nil
	case <-time.After(timeout):
		return 0, errTimeout
	}
}

func exercise(fixed bool) {
	_, _ = finishRequest(time.Millisecond, func() int {
		time.Sleep(20 * time.Millisecond) // a slow handler
		return 1
	}, fixed)
	time.Sleep(30 * time.Millisecond) // the handler finishes after the caller gave up
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
