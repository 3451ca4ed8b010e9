package support

import (
	"maps"
	"testing"
)

// freshOwners gives a test an empty owners table of its own.
func freshOwners(t *testing.T) {
	saved, savedTests := maps.Clone(owners), maps.Clone(testGoroutines)
	clear(owners)
	clear(testGoroutines)
	t.Cleanup(func() {
		clear(owners)
		maps.Copy(owners, saved)
		clear(testGoroutines)
		maps.Copy(testGoroutines, savedTests)
	})
}

// endedElsewhere ends the test name on a goroutine of its own, as a parallel
// test ends meanwhile.
func endedElsewhere(name string) {
	done := make(chan struct{})
	go func() {
		testEnded(name)
		close(done)
	}()
	<-done
}

// parked starts a goroutine that waits on block and returns its id.
func parked(block chan struct{}) int64 {
	ids := make(chan int64)
	go func() {
		ids <- currentGoroutineID()
		<-block
	}()
	return <-ids
}

func TestEachTestEndClaimsWhatNoEarlierOneDid(t *testing.T) {
	freshOwners(t)
	block := make(chan struct{})
	defer close(block)
	first := parked(block)
	testEnded("TestFirst")
	second := parked(block)
	testEnded("TestSecond")
	buf := make([]byte, 4096)
	gs := parseDump(stackDump(&buf))
	got := ownersOf(gs, []int64{first, second})
	want := []ownerRecord{{first, "TestFirst"}, {second, "TestSecond"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("owners %v, want %v", got, want)
	}
}

func TestACreatorRunningAnotherTestDecides(t *testing.T) {
	freshOwners(t)
	block := make(chan struct{})
	defer close(block)
	var child int64
	t.Run("sub", func(t *testing.T) {
		child = parked(block)
		endedElsewhere("TestOther")
	})
	if got := owners[child]; got != "TestACreatorRunningAnotherTestDecides" {
		t.Fatalf("owner %q", got)
	}
}

func TestTestOfFunc(t *testing.T) {
	for fn, want := range map[string]string{
		"shop/cart.TestCart":          "TestCart",
		"shop/cart.TestCart.func1":    "TestCart",
		"shop/cart.TestCart.func1.2":  "TestCart",
		"example.com/x/v2.TestX":      "TestX",
		"shop/cart.helper":            "",
		"testing.runTests.func1":      "",
		"":                            "",
		"shop/cart_test.TestCartSize": "TestCartSize",
	} {
		if got := testOfFunc(fn); got != want {
			t.Errorf("testOfFunc(%q) = %q, want %q", fn, got, want)
		}
	}
}

// What a test's end costs with a few goroutines around.
func BenchmarkTestEnded(b *testing.B) {
	block := make(chan struct{})
	defer close(block)
	for range 10 {
		parked(block)
	}
	for b.Loop() {
		testEnded("BenchmarkTestEnded")
	}
}

// A parallel subtest's goroutine is its own, by its full name, even when another
// test ends first; once the subtest has ended, its entry is gone.
func TestARunningSubtestIsNamedInFull(t *testing.T) {
	freshOwners(t)
	block := make(chan struct{})
	defer close(block)
	var child int64
	t.Run("sub", func(t *testing.T) {
		testRunsHere(t.Name())
		child = parked(block)
		endedElsewhere("TestOther")
		testEnded(t.Name())
	})
	if got, want := owners[child], t.Name()+"/sub"; got != want {
		t.Fatalf("owner %q, want %q", got, want)
	}
	if len(testGoroutines) != 0 {
		t.Fatalf("tests still running: %v", testGoroutines)
	}
}

// The goroutine of a test that is still running is no goroutine that test's
// siblings leave: what it starts is its own, even after a sibling has ended.
func TestARunningTestsGoroutineIsNotClaimed(t *testing.T) {
	freshOwners(t)
	block := make(chan struct{})
	defer close(block)
	var child int64
	t.Run("parent", func(t *testing.T) {
		testRunsHere(t.Name())
		t.Run("first", func(t *testing.T) {
			testRunsHere(t.Name())
			endedElsewhere("TestSibling")
			child = parked(block)
			testEnded(t.Name())
		})
		testEnded(t.Name())
	})
	if got, want := owners[child], t.Name()+"/parent/first"; got != want {
		t.Fatalf("owner %q, want %q", got, want)
	}
}
