//go:build fixed

package main

import "sync"

// refresh fetches every url again and returns the number of pages indexed.
func (ix *index) refresh(urls []string) int {
	ix.mu.Lock()
	clear(ix.pages)
	ix.mu.Unlock()
	var wg sync.WaitGroup
	for _, url := range urls {
		wg.Add(1)
		go ix.fetch(url, &wg)
	}
	wg.Wait() // FIX: wait without the lock; lock again once the fetchers are done
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.pages)
}
