// Command wg_missing_done counts the rows of several shards in parallel and
// waits for them with a WaitGroup. The shard whose replica is down returns on
// its error path without calling Done, so Wait never returns.
package main

import (
	"errors"
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

var errOffline = errors.New("replica offline")

// loadShard returns the row count of shard i; the last shard's replica is down.
func loadShard(i int) (int, error) {
	if i == Workers-1 {
		return 0, fmt.Errorf("shard %d: %w", i, errOffline)
	}
	return 1000 + i, nil
}

func run() {
	counts := make([]int, Workers)
	var wg sync.WaitGroup
	for i := range Workers {
		wg.Add(1)
		go countShard(i, counts, &wg)
	}
	wg.Wait() // buggy: blocks forever, one Done is missing
	total := 0
	for _, n := range counts {
		total += n
	}
	fmt.Println("rows:", total)
}
