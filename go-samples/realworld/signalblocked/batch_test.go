package signalblocked

import (
	"testing"
	"time"
)

func exercise(t *testing.T, fixed bool) {
	b := NewBatch()
	collected := make(chan []int, 1)
	go func() {
		if fixed {
			collected <- b.CollectFixed()
		} else {
			collected <- b.Collect()
		}
	}()
	go b.Upload(3)
	select {
	case got := <-collected:
		if len(got) != 3 {
			t.Errorf("collected %v", got)
		}
	case <-time.After(100 * time.Millisecond):
		t.Error("the batch was not collected within 100ms")
	}
}

func TestBuggy(t *testing.T) { exercise(t, false) }

func TestFixed(t *testing.T) { exercise(t, true) }
