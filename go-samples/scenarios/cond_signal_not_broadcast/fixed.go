//go:build fixed

package main

// publish stores the configuration and wakes the waiting workers.
func (g *configGate) publish(config map[string]string) {
	g.mu.Lock()
	g.config = config
	g.loaded = true
	g.mu.Unlock()
	g.cond.Broadcast() // FIX: every waiter's condition changed, so wake every waiter
}
