// Command chan_circular_wait keeps a counter on two replicas. On a sync round
// each replica sends its value to the other and then reads the other's, over
// unbuffered channels: both wait in their send for a receive that the other
// makes only after its own send.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// replica holds one copy of the counter and its links to the other replica.
type replica struct {
	value int
	out   chan<- int
	in    <-chan int
}

func run() {
	aToB, bToA := make(chan int), make(chan int)
	replicas := []*replica{
		{value: 3, out: aToB, in: bToA},
		{value: 5, out: bToA, in: aToB},
	}
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.sync()
		}()
	}
	wg.Wait()
	fmt.Println("after sync:", replicas[0].value, replicas[1].value)
}
