//go:build fixed

package main

import "fmt"

// Withdraw takes amount from the balance, or fails if the balance is too low.
func (a *account) Withdraw(amount int) error {
	a.mu.Lock()
	defer a.mu.Unlock() // FIX: the only Unlock, on every path
	if amount > a.balance {
		return fmt.Errorf("insufficient funds: balance %d, need %d", a.balance, amount)
	}
	a.balance -= amount
	return nil
}
