package rlockcond

import (
	"sync"
	"testing"
	"time"
)

func exercise(t *testing.T, fixed bool) {
	c := NewCache()
	get := c.Get
	if fixed {
		get = c.GetFixed
	}
	// Two requests arrive before the cache is loaded; the loader starts in
	// the background.
	var requests sync.WaitGroup
	values := make([]string, 2)
	for i, key := range []string{"a", "b"} {
		requests.Add(1)
		go func() {
			defer requests.Done()
			values[i] = get(key)
		}()
	}
	go c.Load(map[string]string{"a": "1", "b": "2"})
	done := make(chan struct{})
	go func() {
		requests.Wait()
		close(done)
	}()
	select {
	case <-done:
		if values[0] != "1" || values[1] != "2" {
			t.Errorf("values %q", values)
		}
	case <-time.After(100 * time.Millisecond):
		t.Error("requests did not finish within 100ms")
	}
}

func TestBuggy(t *testing.T) { exercise(t, false) }

func TestFixed(t *testing.T) { exercise(t, true) }
