//go:build !fixed

package main

import "fmt"

// Withdraw takes amount from the balance, or fails if the balance is too low.
func (a *account) Withdraw(amount int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if amount > a.balance {
		err := fmt.Errorf("insufficient funds: balance %d, need %d", a.balance, amount)
		a.mu.Unlock() // BUG: the deferred Unlock runs as well: the second Unlock is fatal
		return err
	}
	a.balance -= amount
	return nil
}
