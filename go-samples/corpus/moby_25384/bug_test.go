// Package moby25384 reproduces moby#25384: Plugin activation adds one to a
// WaitGroup per plugin, but a plugin that fails to load returns without Done,
// so Wait never returns.
//
// Report: https://github.com/moby/moby/pull/25384
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/moby/25384
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package moby25384

import (
	"sync"
	"testing"
)

func loadPlugins(names []string, fixed bool) []string {
	var (
		mu     sync.Mutex
		loaded []string
		wg     sync.WaitGroup
	)
	wg.Add(len(names))
	for _, name := range names {
		go func() {
			if fixed {
				defer wg.Done()
			}
			if name == "broken" {
				return // BUG: no Done on the error path
			}
			mu.Lock()
			loaded = append(loaded, name)
			mu.Unlock()
			if !fixed {
				wg.Done()
			}
		}()
	}
	wg.Wait()
	return loaded
}

func exercise(fixed bool) {
	_ = loadPlugins([]string{"a", "broken", "b"}, fixed)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
