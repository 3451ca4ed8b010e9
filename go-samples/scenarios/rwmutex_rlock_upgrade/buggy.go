//go:build !fixed

package main

// lookup returns the address of name, registering the default on a miss.
func (r *registry) lookup(name string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if addr, ok := r.services[name]; ok {
		return addr
	}
	r.mu.Lock() // BUG: an upgrade: Lock waits for every reader to leave, this goroutine included
	defer r.mu.Unlock()
	r.services[name] = defaultAddr(name)
	return r.services[name]
}
