// Command tracegen writes an execution trace of a busy program, for gorepro's
// trace-reading benchmark: goroutines that come and go, pass values over
// channels, contend on a mutex and sleep on timers, until the trace reaches
// the size asked for.
//
//	tracegen -out trace.out -mb 40
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	out := flag.String("out", "trace.out", "the trace file to write")
	mb := flag.Int64("mb", 40, "stop once the trace is this many MiB")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := trace.Start(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	shared := 0
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ping, pong := make(chan int), make(chan int)
			go echo(ping, pong)
			defer close(ping)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ping <- i
				<-pong
				mu.Lock()
				shared++
				mu.Unlock()
				if i%64 == 0 {
					var short sync.WaitGroup
					short.Add(1)
					go func() { defer short.Done(); time.Sleep(10 * time.Microsecond) }()
					short.Wait()
				}
			}
		}()
	}
	for {
		time.Sleep(20 * time.Millisecond)
		if info, err := f.Stat(); err == nil && info.Size() >= *mb<<20 {
			break
		}
	}
	close(stop)
	wg.Wait()
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// echo answers every value it receives.
func echo(in <-chan int, out chan<- int) {
	for v := range in {
		out <- v
	}
}
