// Package etcd10492 reproduces etcd#10492: The lessor's checkpoint path takes
// the lessor lock and then calls a helper that takes the same lock again (a
// double lock).
//
// Report: https://github.com/etcd-io/etcd/pull/10492
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/etcd/10492
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package etcd10492

import (
	"sync"
	"testing"
)

type lessor struct {
	mu          sync.Mutex
	checkpoints map[int]int
}

func (le *lessor) renewLocked(id int) { le.checkpoints[id]++ }

func (le *lessor) renew(id int) {
	le.mu.Lock()
	defer le.mu.Unlock()
	le.renewLocked(id)
}

func (le *lessor) checkpoint(id int, fixed bool) {
	le.mu.Lock()
	defer le.mu.Unlock()
	if fixed {
		le.renewLocked(id)
		return
	}
	le.renew(id) // BUG: renew locks le.mu again
}

func exercise(fixed bool) {
	le := &lessor{checkpoints: map[int]int{}}
	le.checkpoint(1, fixed)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
