// Command map_concurrent_writes indexes an access log in parallel: each worker
// adds its chunk of records to one shared map, without a lock. Go maps are not
// safe for concurrent writes; the runtime notices two writes overlapping and
// stops the program with a fatal error.
package main

import (
	"fmt"
	"strconv"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// record is one parsed line of the access log.
type record struct {
	requestID string
	offset    int // where the line starts in the log
}

// index finds a request's log line by its id.
type index struct {
	mu   sync.Mutex // guards byID
	byID map[string]int
}

// parseChunk stands in for parsing worker w's share of the log: Records
// records with distinct request ids.
func parseChunk(w int) []record {
	recs := make([]record, Records)
	for i := range recs {
		n := w*Records + i
		recs[i] = record{requestID: "req-" + strconv.Itoa(n), offset: 120 * n}
	}
	return recs
}

func run() {
	chunks := make([][]record, Workers)
	for w := range chunks {
		chunks[w] = parseChunk(w)
	}
	idx := &index{byID: make(map[string]int)}
	var wg sync.WaitGroup
	for _, recs := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idx.addAll(recs)
		}()
	}
	wg.Wait()
	fmt.Println("indexed", len(idx.byID), "requests")
}
