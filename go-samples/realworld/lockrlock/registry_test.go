package lockrlock

import (
	"testing"
	"time"
)

func exercise(t *testing.T, fixed bool) {
	r := NewRegistry()
	set := r.Set
	if fixed {
		set = r.SetFixed
	}
	// The settings arrive from a watcher goroutine; the test waits a while for
	// them to be applied.
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		set("region", "eu-west")
	}()
	select {
	case <-applied:
		if got := r.Get("region"); got != "eu-west" {
			t.Errorf("region = %q", got)
		}
	case <-time.After(100 * time.Millisecond):
		t.Error("the setting was not applied within 100ms")
	}
}

func TestBuggy(t *testing.T) { exercise(t, false) }

func TestFixed(t *testing.T) { exercise(t, true) }
