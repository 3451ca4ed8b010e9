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
	requests := runtime.GOMAXPROCS(0)
	var (
		started atomic.Int32
		gaveUp  atomic.Bool
		wg      sync.WaitGroup
	)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Add(1)
			if i == 0 {
				for started.Load() < int32(requests) {
					// every P runs a request before the loader exists
				}
				startLoader(cfg)
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
