//go:build fixed

package main

import (
	"fmt"
	"sync"
)

// countShard stores the row count of shard i in counts[i].
func countShard(i int, counts []int, wg *sync.WaitGroup) {
	defer wg.Done() // FIX: Done on every path out of the function
	n, err := loadShard(i)
	if err != nil {
		fmt.Println("skipping", err)
		return
	}
	counts[i] = n
}
