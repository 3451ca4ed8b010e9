// Command mutex_ab_ba moves money between two accounts from two goroutines at
// once: one pays a to b, the other b to a. transfer locks the source account
// and then the destination, in argument order, so the two transfers take the
// same two locks in opposite orders. Each holds its first lock and waits for
// the other's: neither can ever proceed.
package main

import (
	"errors"
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

var errInsufficient = errors.New("insufficient funds")

// account is a bank account; mu guards balance.
type account struct {
	id      int
	mu      sync.Mutex
	balance int
}

// move moves amount from one account to the other; the caller holds both locks.
func move(from, to *account, amount int) error {
	if from.balance < amount {
		return fmt.Errorf("account %d: %w", from.id, errInsufficient)
	}
	from.balance -= amount
	to.balance += amount
	return nil
}

// holds names the gate mark of a transfer that holds the lock of acct.
func holds(acct *account) string {
	return fmt.Sprintf("a transfer holds account %d", acct.id)
}

func run() {
	a := &account{id: 1, balance: Balance}
	b := &account{id: 2, balance: Balance}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := transfer(a, b, Amount); err != nil {
			fmt.Println("a->b:", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := transfer(b, a, Amount); err != nil {
			fmt.Println("b->a:", err)
		}
	}()
	wg.Wait() // buggy: the two transfers never finish
	fmt.Println("balances:", a.balance, b.balance)
}
