// Package moby29733 reproduces moby#29733: A plugin waits on a Cond until it
// is activated; when activation fails the error path never broadcasts, so the
// waiter sleeps forever.
//
// Report: https://github.com/moby/moby/pull/29733
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/moby/29733
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package moby29733

import (
	"errors"
	"sync"
	"testing"
)

type plugin struct {
	mu        sync.Mutex
	cond      *sync.Cond
	activated bool
	err       error
}

func (p *plugin) activate(fail bool, fixed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fail {
		p.err = errors.New("activation failed")
		if fixed {
			p.cond.Broadcast()
		}
		return // BUG: waiters are never woken
	}
	p.activated = true
	p.cond.Broadcast()
}

func (p *plugin) waitActive() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.activated && p.err == nil {
		p.cond.Wait()
	}
	return p.err
}

func exercise(fixed bool) {
	p := &plugin{}
	p.cond = sync.NewCond(&p.mu)
	go p.activate(true, fixed)
	_ = p.waitActive()
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
