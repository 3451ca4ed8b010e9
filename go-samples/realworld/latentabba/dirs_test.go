package latentabba

import (
	"sync"
	"testing"
	"time"
)

func exercise(t *testing.T, move func(from, to *Dir, name string) bool) {
	inbox := NewDir("inbox", "report.pdf")
	archive := NewDir("archive", "old.txt")
	var wg sync.WaitGroup
	wg.Add(2)
	// The archiver files new mail right away.
	go func() {
		defer wg.Done()
		move(inbox, archive, "report.pdf")
	}()
	// The restorer runs on its next tick, long after the archiver is done
	// on a normal run.
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		<-tick.C
		move(archive, inbox, "old.txt")
	}()
	wg.Wait()
	if inbox.Len()+archive.Len() != 2 {
		t.Error("an entry was lost")
	}
}

func TestBuggy(t *testing.T) { exercise(t, Move) }

func TestFixed(t *testing.T) { exercise(t, MoveFixed) }
