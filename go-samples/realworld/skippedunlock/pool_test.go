package skippedunlock

import (
	"hash/crc32"
	"testing"
)

// flakyDial fails its first dial, as a server that is still starting does.
func flakyDial(n int) (*Conn, error) {
	if n == 1 {
		return nil, ErrDial
	}
	return &Conn{ID: n}, nil
}

func exercise(t *testing.T, get func(*Pool) (*Conn, error)) {
	p := NewPool(flakyDial)
	// The first request meets the failing dial and reports its error.
	first := make(chan error)
	go func() {
		_, err := get(p)
		first <- err
	}()
	if err := <-first; err == nil {
		t.Fatal("want the dial error")
	}
	// A retrying request and the metrics scraper run in the background.
	go func() {
		if c, err := get(p); err == nil {
			p.Put(c)
		}
	}()
	go func() {
		_ = p.Idle()
	}()
	// A bystander that checksums a payload and never touches the pool.
	sums := make(chan uint32, 1)
	go func() {
		sums <- crc32.ChecksumIEEE([]byte("payload"))
	}()
	if <-sums == 0 {
		t.Error("zero checksum")
	}
}

func TestBuggy(t *testing.T) {
	exercise(t, (*Pool).Get)
}

func TestFixed(t *testing.T) {
	exercise(t, (*Pool).GetFixed)
}
