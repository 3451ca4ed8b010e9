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
		support.Hold(1, 1, 5*time.Second)
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
			support.Hold(2, priority, 5*time.Second)
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

// live starts a goroutine that never blocks on a primitive (it sleeps), so a
// hold can only end at its bound; stop ends it.
func live() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
				time.Sleep(time.Millisecond)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func TestAHoldEndsAtItsBound(t *testing.T) {
	defer live()()
	holds := support.NewHoldRegistry()
	start := time.Now()
	holds.Hold(3, 1, 30*time.Millisecond)
	if waited := time.Since(start); waited < 30*time.Millisecond || waited > 2*time.Second {
		t.Errorf("held %v with a bound of 30ms", waited)
	}
}

func TestAHoldLooksBeforeItWaits(t *testing.T) {
	// Nothing else can run: with no time to wait at all, the hold still goes
	// on by its first look rather than at its bound.
	holds := support.NewHoldRegistry()
	holds.Hold(1, 1, 0)
	if _, count, atBound := holds.Costs(); count != 1 || atBound != 0 {
		t.Errorf("%d holds, %d at their bound; want 1 that went on at its first look", count, atBound)
	}
}

func TestASiteHeldToItsBoundTooOftenInARowIsNoLongerHeld(t *testing.T) {
	holds := support.NewHoldRegistry()
	const bound = 5 * time.Millisecond
	timed := func(site int) time.Duration {
		start := time.Now()
		holds.Hold(site, 1, bound)
		return time.Since(start)
	}
	stop := live()
	// A success in between starts the count again.
	for range support.SiteAtBoundMax - 1 {
		timed(1)
	}
	stop()
	if d := timed(1); d >= bound {
		t.Fatalf("with nothing else live the hold took %v", d)
	}
	defer live()()
	for i := range support.SiteAtBoundMax {
		if d := timed(1); d < bound {
			t.Fatalf("hold %d after the success ended after %v, before its bound", i+1, d)
		}
	}
	if d := timed(1); d >= bound {
		t.Errorf("site 1 hit its bound %d times in a row and was still held (%v)", support.SiteAtBoundMax, d)
	}
	if d := timed(2); d < bound {
		t.Errorf("site 2 was not held (%v): the budget of site 1 is not site 2's", d)
	}
	_, count, atBound := holds.Costs()
	if want := 2*support.SiteAtBoundMax + 1; count != want || atBound != want-1 {
		t.Errorf("%d holds, %d at their bound; want %d, %d", count, atBound, want, want-1)
	}
}

func TestARunStopsHoldingOnceItsBoundBudgetIsSpent(t *testing.T) {
	defer live()()
	holds := support.NewHoldRegistry()
	for site := range support.RunAtBoundMax {
		holds.Hold(site, 1, time.Millisecond)
	}
	start := time.Now()
	holds.Hold(support.RunAtBoundMax, 1, time.Second)
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("a fresh site was held %v after %d holds had ended at their bound", d, support.RunAtBoundMax)
	}
	heldFor, count, atBound := holds.Costs()
	if count != support.RunAtBoundMax || atBound != support.RunAtBoundMax {
		t.Errorf("%d holds, %d at their bound; want %d of each", count, atBound, support.RunAtBoundMax)
	}
	if heldFor < support.RunAtBoundMax*time.Millisecond {
		t.Errorf("held for %v in all, less than %d bounds of 1ms", heldFor, support.RunAtBoundMax)
	}
}

func TestAHotSiteIsHeldLogarithmicallyOften(t *testing.T) {
	const visits = 100_000
	early, total := 0, 0
	lateSeeds := 0
	for seed := uint64(1); seed <= 200; seed++ {
		late := false
		for visit := uint64(1); visit <= visits; visit++ {
			if _, hold := support.HoldAt(seed, 7, visit); hold {
				total++
				early += btoi(visit <= support.HoldKnee)
				late = late || visit > visits/10
			}
		}
		lateSeeds += btoi(late)
	}
	// 3 of 8 of the first visits, as for any point; about 3/8·16·(1+ln(100000/16)) ≈ 58 in all.
	if share := float64(early) / (200 * support.HoldKnee); share < 0.3 || share > 0.45 {
		t.Errorf("%.2f of the first %d visits held, want about 3/8", share, support.HoldKnee)
	}
	if mean := float64(total) / 200; mean < 40 || mean > 80 {
		t.Errorf("%.1f holds per 100,000 visits, want about 58", mean)
	}
	// The last 90% of the loop is still explored, by most seeds.
	if lateSeeds < 100 {
		t.Errorf("only %d of 200 seeds hold a visit past 10,000", lateSeeds)
	}
	// The decision is a function of seed, site and visit alone.
	for visit := uint64(1); visit <= 1000; visit++ {
		p1, h1 := support.HoldAt(3, 5, visit)
		p2, h2 := support.HoldAt(3, 5, visit)
		if p1 != p2 || h1 != h2 {
			t.Fatalf("visit %d decided twice differently", visit)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
