//go:build fixed

package main

// lookup returns the address of name, registering the default on a miss.
func (r *registry) lookup(name string) string {
	r.mu.RLock()
	addr, ok := r.services[name]
	r.mu.RUnlock() // FIX: release the read lock before asking for the write lock
	if ok {
		return addr
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if addr, ok := r.services[name]; ok { // FIX: re-check: another writer may have registered it meanwhile
		return addr
	}
	r.services[name] = defaultAddr(name)
	return r.services[name]
}
