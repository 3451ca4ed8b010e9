// Command sched_starvation serves requests that wait for the configuration to
// be loaded, one request per processor (P). The wait is a busy loop on an
// atomic flag. Go normally preempts a goroutine that runs for more than 10 ms,
// but not with GODEBUG=asyncpreemptoff=1 (set for this scenario) and a loop
// that makes no function call: the spinning requests keep every P, and the
// loader goroutine, ready to run, never gets one. The requests give up after
// a bounded number of polls; without the bound they would spin forever.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// config is loaded once, in the background.
type config struct {
	ready  atomic.Bool
	loaded chan struct{}
	value  string
}

func (c *config) load() {
	c.value = "max_conns=64"
	c.ready.Store(true)
	close(c.loaded)
}

// startLoader loads the config in the background.
func startLoader(cfg *config) {
	go cfg.load()
}

func run() {
	cfg := &config{loaded: make(chan struct{})}
	// A request per P, so that every P spins; at least two, so that the program's shape (and
	// the report) is the same on one P and two.
	requests := max(2, runtime.GOMAXPROCS(0))
	var (
		started sync.WaitGroup // the other requests are running
		gaveUp  atomic.Bool
		wg      sync.WaitGroup
	)
	started.Add(requests - 1)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 0 {
				// Every P runs a request before the loader exists. Blocking here (not
				// spinning) keeps this wait preemptible: a stop-the-world (the
				// supervisor's stack dumps) could never stop a spin.
				started.Wait()
				startLoader(cfg)
			} else {
				started.Done()
			}
			if !cfg.await() {
				gaveUp.Store(true)
			}
		}()
	}
	wg.Wait()
	support.Check(support.NoProgress, !gaveUp.Load(),
		"a request gave up after %d million polls: the loader was ready to run and never got a processor", SpinMillions)
	fmt.Println("config:", cfg.value)
}
