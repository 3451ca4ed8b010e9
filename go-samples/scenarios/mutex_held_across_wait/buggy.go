//go:build !fixed

package main

import "sync"

// refresh fetches every url again and returns the number of pages indexed.
func (ix *index) refresh(urls []string) int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	clear(ix.pages)
	var wg sync.WaitGroup
	for _, url := range urls {
		wg.Add(1)
		go ix.fetch(url, &wg)
	}
	wg.Wait() // BUG: waits with mu held; every fetcher needs mu before its Done
	return len(ix.pages)
}
