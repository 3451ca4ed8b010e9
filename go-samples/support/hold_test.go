// An external test package: goroutines started in package support itself
// count as the harness's own, and a hold does not wait for those.
package support_test

import (
	"sync"
	"testing"
	"time"

	"gorepro.dev/samples/support"
)

func TestHoldWaitsUntilTheOthersBlock(t *testing.T) {
	order := make(chan string, 2)
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		support.Hold(1, 5*time.Second)
		order <- "held"
	}()
	go func() {
		defer wg.Done()
		time.Sleep(20 * time.Millisecond) // live, not blocked: the hold must wait
		order <- "worker"
		<-release
	}()
	first, second := <-order, <-order
	close(release)
	wg.Wait()
	if first != "worker" || second != "held" {
		t.Errorf("order %s, %s: the held goroutine went on before the worker blocked", first, second)
	}
}

func TestHeldGoroutinesGoOnInPriorityOrder(t *testing.T) {
	order := make(chan uint64, 3)
	var wg sync.WaitGroup
	for _, priority := range []uint64{3, 1, 2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			support.Hold(priority, 5*time.Second)
			order <- priority
		}()
	}
	wg.Wait()
	close(order)
	var got []uint64
	for p := range order {
		got = append(got, p)
	}
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("released in order %v, want [1 2 3]", got)
	}
}

func TestAHoldEndsAtItsBound(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	go func() { // never blocks on a primitive
		for {
			select {
			case <-stop:
				return
			default:
				time.Sleep(time.Millisecond)
			}
		}
	}()
	start := time.Now()
	support.Hold(1, 30*time.Millisecond)
	if waited := time.Since(start); waited < 30*time.Millisecond || waited > 2*time.Second {
		t.Errorf("held %v with a bound of 30ms", waited)
	}
}
