//go:build fixed

package main

// publish records the latest price of symbol and hands it to the subscriber.
func (f *feed) publish(symbol string, price int) {
	f.mu.Lock()
	f.last[symbol] = price
	u := update{symbol, price} // copy what the send needs while holding the lock
	f.mu.Unlock()
	f.updates <- u // FIX: send after Unlock: never block on a channel with a mutex held
}
