// Command mutex_unlock_of_unlocked is a wallet whose Withdraw unlocks its
// mutex on the insufficient-funds path and then again in the deferred
// Unlock: the second Unlock is a fatal error.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// account is a balance; mu guards it.
type account struct {
	mu      sync.Mutex
	balance int
}

func run() {
	acct := &account{balance: 100}
	for _, amount := range []int{30, 50, 40} { // the third payment overdraws
		if err := acct.Withdraw(amount); err != nil {
			fmt.Println("payment declined:", err)
			continue
		}
		fmt.Println("paid", amount)
	}
}
