// Command cond_signal_not_broadcast starts a pool of workers that wait on a
// sync.Cond until the configuration is loaded. The loader sets the flag the
// workers check and calls Signal, which wakes one waiter only: the other
// workers go on waiting for a wakeup that never comes, and so does the caller
// that waits for the whole pool.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// configGate holds the workers back until the configuration is loaded.
type configGate struct {
	mu     sync.Mutex
	cond   *sync.Cond // signalled when loaded becomes true
	loaded bool
	config map[string]string
}

func newConfigGate() *configGate {
	g := &configGate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// await blocks until the configuration is loaded and returns it.
func (g *configGate) await() map[string]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	for !g.loaded {
		g.cond.Wait() // buggy: all but one worker wait here forever
	}
	return g.config
}

// worker waits for the configuration, then serves its shard.
func worker(i int, g *configGate, served []string, wg *sync.WaitGroup) {
	defer wg.Done()
	config := g.await()
	served[i] = fmt.Sprintf("shard %d via %s", i, config["upstream"])
}

func run() {
	g := newConfigGate()
	served := make([]string, Waiters)
	var wg sync.WaitGroup
	for i := range Waiters {
		wg.Add(1)
		go worker(i, g, served, &wg)
	}
	support.AwaitBlocked("sync.Cond.Wait", Waiters) // every worker is waiting before the config arrives
	g.publish(map[string]string{"upstream": "10.0.0.7:8080"})
	wg.Wait() // buggy: blocks forever, the workers never woken never finish
	fmt.Println("serving", len(served), "shards")
}
