package sendfull

import (
	"strings"
	"sync"
	"testing"
)

func exercise(t *testing.T, fixed bool) {
	b := NewBus()
	batch := []string{"created", "updated", "deleted"}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if fixed {
			b.PublishAllFixed(batch)
		} else {
			b.PublishAll(batch)
		}
	}()
	go func() {
		defer wg.Done()
		b.Consume(len(batch))
	}()
	// An unrelated goroutine formats the batch for the audit log and exits.
	audit := make(chan string, 1)
	go func() {
		audit <- strings.Join(batch, ",")
	}()
	wg.Wait()
	if got := b.Handled(); got != len(batch) {
		t.Errorf("handled %d events, want %d", got, len(batch))
	}
	if <-audit == "" {
		t.Error("empty audit line")
	}
}

func TestBuggy(t *testing.T) { exercise(t, false) }

func TestFixed(t *testing.T) { exercise(t, true) }
