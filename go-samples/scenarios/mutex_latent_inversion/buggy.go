//go:build !fixed

package main

// audit checks the stock against the ledger, holding both.
func (s *shop) audit() bool {
	s.ledgerMu.Lock() // BUG: the ledger first, while restock takes the stock first
	defer s.ledgerMu.Unlock()
	s.stockMu.Lock()
	defer s.stockMu.Unlock()
	return s.stock == s.booked()
}
