// Package abba moves money between accounts. Transfer locks the source
// account, then the destination: two transfers in opposite directions at the
// same time each hold the lock the other one wants next.
package abba

import (
	"errors"
	"sync"
)

// Account is a balance with its own lock.
type Account struct {
	ID      int
	mu      sync.Mutex
	balance int
}

// ErrInsufficient is returned when the source cannot cover the amount.
var ErrInsufficient = errors.New("insufficient funds")

// Transfer moves amount from one account to another.
func Transfer(from, to *Account, amount int) error {
	from.mu.Lock()
	defer from.mu.Unlock()
	if from.balance < amount {
		return ErrInsufficient
	}
	to.mu.Lock() // BUG: the lock order depends on the direction of the transfer
	defer to.mu.Unlock()
	from.balance -= amount
	to.balance += amount
	return nil
}

// TransferFixed takes both locks in one global order, by account id.
func TransferFixed(from, to *Account, amount int) error {
	first, second := from, to
	if second.ID < first.ID {
		first, second = second, first
	}
	first.mu.Lock()
	defer first.mu.Unlock()
	second.mu.Lock()
	defer second.mu.Unlock()
	if from.balance < amount {
		return ErrInsufficient
	}
	from.balance -= amount
	to.balance += amount
	return nil
}

// Balance reads an account's balance.
func (a *Account) Balance() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}
