//go:build fixed

package main

import "gorepro.dev/samples/support"

// transfer moves amount from one account to the other, holding both locks.
func transfer(from, to *account, amount int) error {
	first, second := from, to
	if second.id < first.id { // FIX: lock in one global order, the lower account id first
		first, second = second, first
	}
	first.mu.Lock()
	defer first.mu.Unlock()
	support.Mark(holds(first)) // a trace label only: the other transfer can wait only for this same account
	second.mu.Lock()
	defer second.mu.Unlock()
	return move(from, to, amount)
}
