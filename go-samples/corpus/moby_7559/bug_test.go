// Package moby7559 reproduces moby#7559: The port mapper's error path returns
// with the proxy lock still held; the next caller blocks in Lock forever.
//
// Report: https://github.com/moby/moby/pull/7559
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/moby/7559
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package moby7559

import (
	"errors"
	"sync"
	"testing"
)

type portMapper struct {
	mu    sync.Mutex
	ports map[int]bool
}

var errInUse = errors.New("port in use")

func (p *portMapper) mapPort(port int, fixed bool) error {
	p.mu.Lock()
	if p.ports[port] {
		if !fixed {
			return errInUse // BUG: returns holding p.mu
		}
		p.mu.Unlock()
		return errInUse
	}
	p.ports[port] = true
	p.mu.Unlock()
	return nil
}

func exercise(fixed bool) {
	p := &portMapper{ports: map[int]bool{}}
	_ = p.mapPort(80, fixed)
	_ = p.mapPort(80, fixed) // port taken: the error path
	_ = p.mapPort(81, fixed)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
