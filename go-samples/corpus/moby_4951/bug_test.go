// Package moby4951 reproduces moby#4951: The devicemapper driver takes the
// device-set lock then a device's lock on one path, and the device's lock then
// the set's lock on another.
//
// Report: https://github.com/moby/moby/pull/4951
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/moby/4951
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package moby4951

import (
	"sync"
	"testing"
	"time"
)

type devInfo struct {
	mu   sync.Mutex
	name string
}

type deviceSet struct {
	mu      sync.Mutex
	devices map[string]*devInfo
}

func (d *deviceSet) removeDevice(info *devInfo) {
	d.mu.Lock()
	time.Sleep(time.Millisecond) // the real code does I/O here
	info.mu.Lock()
	delete(d.devices, info.name)
	info.mu.Unlock()
	d.mu.Unlock()
}

func (d *deviceSet) activate(info *devInfo, fixed bool) {
	if fixed { // the fix: the set's lock first, as everywhere else
		d.mu.Lock()
		info.mu.Lock()
	} else {
		info.mu.Lock()
		time.Sleep(time.Millisecond)
		d.mu.Lock() // BUG: opposite order
	}
	d.devices[info.name] = info
	d.mu.Unlock()
	info.mu.Unlock()
}

func exercise(fixed bool) {
	info := &devInfo{name: "a"}
	d := &deviceSet{devices: map[string]*devInfo{}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); d.removeDevice(info) }()
	go func() { defer wg.Done(); d.activate(info, fixed) }()
	wg.Wait()
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
