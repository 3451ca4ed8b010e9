package circularsend

import (
	"sync"
	"testing"
)

func exercise(t *testing.T, fixed bool) {
	aToB := make(chan string)
	bToA := make(chan string)
	peers := []Peer{
		{Name: "a", Out: aToB, In: bToA},
		{Name: "b", Out: bToA, In: aToB},
	}
	replies := make([]string, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if fixed {
				replies[i] = p.HandshakeFixed()
			} else {
				replies[i] = p.Handshake()
			}
		}()
	}
	wg.Wait()
	if replies[0] != "hello from b" || replies[1] != "hello from a" {
		t.Errorf("replies %q", replies)
	}
}

func TestBuggy(t *testing.T) { exercise(t, false) }

func TestFixed(t *testing.T) { exercise(t, true) }
