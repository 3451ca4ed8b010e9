package timerdrain

import (
	"testing"
	"time"
)

func exercise(t *testing.T, start func(time.Duration, func([]string)) *Debouncer) {
	flushed := make(chan []string, 4)
	d := start(time.Millisecond, func(batch []string) { flushed <- batch })
	d.Add("a")
	if batch := <-flushed; len(batch) != 1 {
		t.Fatalf("first batch %q", batch)
	}
	// The quiet period passed and the timer fired: the next event comes in
	// after a tick the loop has already received.
	d.Add("b")
	d.Close()
}

func TestBuggy(t *testing.T) { exercise(t, New) }

func TestFixed(t *testing.T) { exercise(t, NewFixed) }
