//go:build fixed

package main

// put stores value under key; an empty value is an error.
func (s *store) put(key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock() // FIX: every return path releases the lock
	if value == "" {
		return errEmpty
	}
	s.data[key] = value
	return nil
}
