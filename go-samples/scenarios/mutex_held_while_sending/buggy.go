//go:build !fixed

package main

// publish records the latest price of symbol and hands it to the subscriber.
func (f *feed) publish(symbol string, price int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last[symbol] = price
	f.updates <- update{symbol, price} // BUG: sends with mu held; the subscriber needs mu before it receives
}
