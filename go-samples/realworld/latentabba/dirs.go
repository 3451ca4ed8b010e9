// Package latentabba moves entries between directories. Move locks the
// source directory, then the destination; a move in the other direction takes
// the same two locks in the opposite order. The two moves here rarely overlap
// in time, so the inversion seldom deadlocks, but it can: a lock-order check
// would see it on every run.
package latentabba

import "sync"

// Dir is a set of names with its own lock.
type Dir struct {
	Name  string
	mu    sync.Mutex
	names map[string]bool
}

// NewDir returns a directory holding names.
func NewDir(name string, names ...string) *Dir {
	d := &Dir{Name: name, names: map[string]bool{}}
	for _, n := range names {
		d.names[n] = true
	}
	return d
}

// Move moves name from one directory to another.
func Move(from, to *Dir, name string) bool {
	from.mu.Lock()
	defer from.mu.Unlock()
	if !from.names[name] {
		return false
	}
	to.mu.Lock() // BUG: the lock order follows the direction of the move
	defer to.mu.Unlock()
	delete(from.names, name)
	to.names[name] = true
	return true
}

// MoveFixed takes both locks in one order, by directory name.
func MoveFixed(from, to *Dir, name string) bool {
	first, second := from, to
	if second.Name < first.Name {
		first, second = second, first
	}
	first.mu.Lock()
	defer first.mu.Unlock()
	second.mu.Lock()
	defer second.mu.Unlock()
	if !from.names[name] {
		return false
	}
	delete(from.names, name)
	to.names[name] = true
	return true
}

// Len is the number of names in a directory.
func (d *Dir) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.names)
}
