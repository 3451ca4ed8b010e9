package abba

import (
	"testing"
	"time"
)

func exercise(t *testing.T, transfer func(from, to *Account, amount int) error) {
	alice := &Account{ID: 1, balance: 100}
	bob := &Account{ID: 2, balance: 100}
	errs := make(chan error, 2)
	go func() { errs <- transfer(alice, bob, 30) }()
	go func() { errs <- transfer(bob, alice, 20) }()
	timeout := time.After(200 * time.Millisecond)
	for range 2 {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-timeout:
			t.Fatal("transfers did not finish within 200ms")
		}
	}
	if total := alice.Balance() + bob.Balance(); total != 200 {
		t.Fatalf("total %d, want 200", total)
	}
}

func TestBuggy(t *testing.T) { exercise(t, Transfer) }

func TestFixed(t *testing.T) { exercise(t, TransferFixed) }
