// Command mutex_held_across_wait refreshes a page index: refresh holds the
// index's mutex while it waits, on a WaitGroup, for the goroutines that fetch
// the pages again, and each fetcher stores its page under that mutex before
// it calls Done. The fetchers wait for refresh's lock while refresh waits for
// their Done.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// index maps a page's url to its size; mu guards pages.
type index struct {
	mu    sync.Mutex
	pages map[string]int
}

// fetch loads url and stores its size in the index.
func (ix *index) fetch(url string, wg *sync.WaitGroup) {
	defer wg.Done()
	support.AwaitBlocked("sync.WaitGroup.Wait", 1) // refresh is parked in Wait
	size := 100 * len(url)
	ix.mu.Lock() // buggy: refresh holds mu while it waits for this Done
	ix.pages[url] = size
	ix.mu.Unlock()
}

func run() {
	ix := &index{pages: map[string]int{}}
	urls := make([]string, Pages)
	for i := range urls {
		urls[i] = fmt.Sprintf("/page/%d", i)
	}
	fmt.Println("pages:", ix.refresh(urls))
}
