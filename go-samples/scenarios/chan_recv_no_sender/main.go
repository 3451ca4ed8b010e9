// Command chan_recv_no_sender is a lookup server: every request carries its
// own reply channel and the client waits on it. On a malformed request the
// server returns early without replying, so that client waits forever.
package main

import (
	"errors"
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

var errEmptyKey = errors.New("empty key")

type result struct {
	value int
	err   error
}

type request struct {
	key   string
	reply chan<- result
}

func run() {
	requests := make(chan request)
	stopped := make(chan struct{})
	go func() {
		serve(requests)
		close(stopped)
	}()
	var sent sync.WaitGroup
	for i := range Clients {
		key := fmt.Sprintf("user-%d", i)
		if i == Clients-1 {
			key = "" // the last client sends a malformed request
		}
		sent.Add(1)
		go client(requests, key, &sent)
	}
	sent.Wait()     // every request has reached the server
	close(requests) // shut the server down
	<-stopped
	fmt.Println("server stopped")
}

// client sends one lookup and waits for its answer.
func client(requests chan<- request, key string, sent *sync.WaitGroup) {
	reply := make(chan result)
	requests <- request{key: key, reply: reply}
	sent.Done()
	r := <-reply // buggy: the malformed request's client waits here forever
	if r.err != nil {
		fmt.Printf("lookup %q: %v\n", key, r.err)
		return
	}
	fmt.Printf("lookup %q: %d\n", key, r.value)
}

// serve answers requests, one at a time, until requests is closed.
func serve(requests <-chan request) {
	for req := range requests {
		handle(req)
	}
}

// lookup is the backend: it rejects empty keys.
func lookup(key string) (int, error) {
	if key == "" {
		return 0, errEmptyKey
	}
	return 10 * len(key), nil
}
