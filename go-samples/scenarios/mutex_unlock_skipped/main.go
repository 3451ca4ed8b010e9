// Command mutex_unlock_skipped is a key-value store whose put returns early on
// an empty value without unlocking. The client that hit the error path has
// gone, still holding the store's mutex, and the next put waits for ever.
package main

import (
	"errors"
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

var errEmpty = errors.New("empty value")

// store is a map guarded by mu.
type store struct {
	mu   sync.Mutex
	data map[string]string
}

func run() {
	s := &store{data: map[string]string{}}
	errs := make(chan error)
	go func() { // a client with a bad request
		support.AwaitMark("compacting") // arrives while the store is busy
		errs <- s.put("alice", "")
	}()
	s.compact()
	fmt.Println("put alice:", <-errs)
	fmt.Println("put bob:", s.put("bob", "42"))
}

// compact tidies the store under its lock. It holds the lock until the client
// queues behind it, so the client's Lock is contended and its hand-over shows
// in the trace; production gets there by timing.
func (s *store) compact() {
	s.mu.Lock()
	defer s.mu.Unlock()
	support.Mark("compacting")
	support.AwaitBlocked("sync.Mutex.Lock", 1)
	for k, v := range s.data {
		if v == "" {
			delete(s.data, k)
		}
	}
}
