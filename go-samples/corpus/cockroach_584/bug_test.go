// Package cockroach584 reproduces cockroach#584: The gossip bootstrap loop
// leaves the loop early with the mutex held; the next iteration's Lock blocks
// forever.
//
// Report: https://github.com/cockroachdb/cockroach/pull/584
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/cockroach/584
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package cockroach584

import (
	"sync"
	"testing"
)

type gossip struct {
	mu        sync.Mutex
	connected bool
	attempts  int
}

func (g *gossip) bootstrap(fixed bool) {
	for i := 0; i < 3; i++ {
		g.mu.Lock()
		g.attempts++
		if g.connected && i == 1 {
			if fixed {
				g.mu.Unlock()
			}
			continue // BUG: skips the Unlock below
		}
		g.connected = true
		g.mu.Unlock()
	}
}

func exercise(fixed bool) {
	g := &gossip{}
	g.bootstrap(fixed)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
