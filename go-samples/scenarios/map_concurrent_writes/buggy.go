//go:build !fixed

package main

// addAll indexes one chunk of records.
func (x *index) addAll(recs []record) {
	for _, r := range recs {
		x.byID[r.requestID] = r.offset // BUG: every worker writes the shared map without holding x.mu
	}
}
