// Command mutex_latent_inversion keeps a shop's stock count and its ledger,
// each under its own lock. restock locks the stock and then the ledger; the
// buggy audit locks the ledger and then the stock: the same two locks in
// opposite orders. run audits only after the restock is done, so the two never
// overlap and every run ends clean. The inversion is latent: let the two run
// at the same time (a timer, a second request) and they can deadlock AB-BA. The
// lock order of a clean run already shows it.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// shop guards its stock with stockMu and its ledger with ledgerMu.
type shop struct {
	stockMu  sync.Mutex
	stock    int
	ledgerMu sync.Mutex
	ledger   []int
}

// restock adds amount to the stock and writes it in the ledger: stock first.
func (s *shop) restock(amount int) {
	s.stockMu.Lock()
	defer s.stockMu.Unlock()
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	s.stock += amount
	s.ledger = append(s.ledger, amount)
}

// booked is what the ledger says the stock should be; the caller holds ledgerMu.
func (s *shop) booked() int {
	total := Opening
	for _, amount := range s.ledger {
		total += amount
	}
	return total
}

func run() {
	s := &shop{stock: Opening}
	restocked := make(chan struct{})
	go func() {
		defer close(restocked)
		s.restock(Amount)
	}()
	<-restocked // the audit starts only once the restock is over: they never overlap
	audited := make(chan bool)
	go func() { audited <- s.audit() }()
	fmt.Println("stock matches the ledger:", <-audited)
}
