//go:build !fixed

package main

import "gorepro.dev/samples/support"

// transfer moves amount from one account to the other, holding both locks.
func transfer(from, to *account, amount int) error {
	from.mu.Lock() // BUG: locks in argument order, so transfer(b, a) takes them the other way round
	defer from.mu.Unlock()
	support.Mark(holds(from))    // this transfer holds its first account
	support.AwaitMark(holds(to)) // so does the other one, on the account we need next
	to.mu.Lock()                 // BUG: waits for the other transfer, which waits for us
	defer to.mu.Unlock()
	return move(from, to, amount)
}
