// Command race_counter counts page hits from several goroutines into one
// counter with a plain increment. counter++ is a read, an add and a write:
// two goroutines can read the same value and one increment is lost. Whether
// an update is lost on a given run depends on timing; the race detector
// (built with -race) reports the unordered accesses on every run.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

func run() {
	var (
		hits hitCounter
		wg   sync.WaitGroup
	)
	for range Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range Hits {
				hits.record()
			}
		}()
	}
	wg.Wait()
	fmt.Println("hits:", hits.total())
}
