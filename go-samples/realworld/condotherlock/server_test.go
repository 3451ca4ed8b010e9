package condotherlock

import (
	"testing"
	"time"
)

func exercise(t *testing.T, fixed bool) {
	s := NewServer()
	got := make(chan string, 1)
	// A client request arrives while the server is still starting.
	go func() {
		if fixed {
			got <- s.LookupFixed("/health")
		} else {
			got <- s.Lookup("/health")
		}
	}()
	go s.Start()
	select {
	case h := <-got:
		if h != "ok" {
			t.Errorf("handler %q, want ok", h)
		}
	case <-time.After(100 * time.Millisecond):
		t.Error("lookup did not return within 100ms")
	}
}

func TestBuggy(t *testing.T) { exercise(t, false) }

func TestFixed(t *testing.T) { exercise(t, true) }
