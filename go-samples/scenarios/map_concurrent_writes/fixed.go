//go:build fixed

package main

// addAll indexes one chunk of records.
func (x *index) addAll(recs []record) {
	x.mu.Lock() // FIX: one writer at a time (here: per chunk, to keep the lock traffic low)
	defer x.mu.Unlock()
	for _, r := range recs {
		x.byID[r.requestID] = r.offset
	}
}
