//go:build !fixed

package main

// put stores value under key; an empty value is an error.
func (s *store) put(key, value string) error {
	s.mu.Lock() // the second put waits here for ever
	if value == "" {
		return errEmpty // BUG: returns holding s.mu: this path skips the Unlock below
	}
	s.data[key] = value
	s.mu.Unlock()
	return nil
}
