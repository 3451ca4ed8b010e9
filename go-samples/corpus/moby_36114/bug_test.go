// Package moby36114 reproduces moby#36114: The service VM's hot-add path calls
// a method that locks the VM's mutex while the caller already holds it.
//
// Report: https://github.com/moby/moby/pull/36114
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/moby/36114
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package moby36114

import (
	"sync"
	"testing"
)

type serviceVM struct {
	sync.Mutex
	disks map[string]bool
}

func (svm *serviceVM) hotAddLocked(path string) { svm.disks[path] = true }

func (svm *serviceVM) hotAdd(path string) {
	svm.Lock()
	defer svm.Unlock()
	svm.hotAddLocked(path)
}

func (svm *serviceVM) attach(paths []string, fixed bool) {
	svm.Lock()
	defer svm.Unlock()
	for _, p := range paths {
		if fixed {
			svm.hotAddLocked(p)
		} else {
			svm.hotAdd(p) // BUG: Lock while holding the same Mutex
		}
	}
}

func exercise(fixed bool) {
	svm := &serviceVM{disks: map[string]bool{}}
	svm.attach([]string{"a", "b"}, fixed)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
