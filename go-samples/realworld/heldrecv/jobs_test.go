package heldrecv

import (
	"testing"
	"time"
)

func exercise(t *testing.T, fixed bool) {
	r := NewRunner()
	r.Start(7)
	got := make(chan int, 1)
	go func() {
		if fixed {
			got <- r.WaitFixed()
		} else {
			got <- r.Wait()
		}
	}()
	select {
	case v := <-got:
		if v != 49 {
			t.Errorf("result %d, want 49", v)
		}
	case <-time.After(100 * time.Millisecond):
		t.Error("no result within 100ms")
	}
}

func TestBuggy(t *testing.T) { exercise(t, false) }

func TestFixed(t *testing.T) { exercise(t, true) }
