// Package recursiverlock is a metrics store whose Report holds the read lock
// and calls Count, which read-locks again. A writer that queues between the
// two read locks makes the second one wait for the writer, and the writer
// waits for the first: nobody proceeds.
package recursiverlock

import (
	"fmt"
	"sort"
	"sync"
)

// Stats counts events by name.
type Stats struct {
	mu     sync.RWMutex
	counts map[string]int
}

// NewStats returns empty stats.
func NewStats() *Stats {
	return &Stats{counts: map[string]int{}}
}

// Add counts one event.
func (s *Stats) Add(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[name]++
}

// Count returns the count of one event.
func (s *Stats) Count(name string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.counts[name]
}

// Report formats every count, sorted by name.
func (s *Stats) Report() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.counts))
	for name := range s.counts {
		names = append(names, name)
	}
	sort.Strings(names)
	lines := make([]string, 0, len(names))
	for _, name := range names {
		lines = append(lines, fmt.Sprintf("%s=%d", name, s.Count(name))) // BUG: a second RLock
	}
	return lines
}

// ReportFixed reads the counts under the one read lock it holds.
func (s *Stats) ReportFixed() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.counts))
	for name := range s.counts {
		names = append(names, name)
	}
	sort.Strings(names)
	lines := make([]string, 0, len(names))
	for _, name := range names {
		lines = append(lines, fmt.Sprintf("%s=%d", name, s.counts[name]))
	}
	return lines
}
