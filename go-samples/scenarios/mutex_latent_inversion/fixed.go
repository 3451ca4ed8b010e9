//go:build fixed

package main

// audit checks the stock against the ledger, holding both.
func (s *shop) audit() bool {
	s.stockMu.Lock() // FIX: the stock first, in the same order as restock
	defer s.stockMu.Unlock()
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	return s.stock == s.booked()
}
