// Package moby17176 reproduces moby#17176: deleteDevice in the devicemapper
// driver forgets to unlock on an early error return, so the next device
// operation deadlocks.
//
// Report: https://github.com/moby/moby/pull/17176
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/moby/17176
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package moby17176

import (
	"fmt"
	"sync"
	"testing"
)

type deviceSet struct {
	mu      sync.Mutex
	devices map[string]int
}

func (d *deviceSet) deleteDevice(name string, fixed bool) error {
	d.mu.Lock()
	if fixed {
		defer d.mu.Unlock()
	}
	if _, ok := d.devices[name]; !ok {
		return fmt.Errorf("unknown device %s", name) // BUG: no unlock on this path
	}
	delete(d.devices, name)
	if !fixed {
		d.mu.Unlock()
	}
	return nil
}

func exercise(fixed bool) {
	d := &deviceSet{devices: map[string]int{"a": 1}}
	_ = d.deleteDevice("missing", fixed)
	_ = d.deleteDevice("a", fixed)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
