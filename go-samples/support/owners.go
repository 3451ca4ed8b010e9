package support

import (
	"slices"
	"strings"
)

// Which test started which goroutine, for the leak report of a test binary.
// `gorepro diagnose` calls TestStarted first thing in every test and subtest
// (a top-level TestX, a function literal taking a *testing.T); its cleanup,
// which runs on the test's goroutine once the test, its subtests and its own
// cleanups are done, lists every goroutine (as goleak's VerifyNone does) and
// claims for the test those no earlier test claimed. Goroutine ids are never
// reused, so a goroutine still there at the end of the run was there at the
// end of the first test that ended after it started: with tests that run one
// after the other, the test that started it. Between parallel tests the
// creator decides while it lives: a goroutine whose creator runs another test,
// or was claimed by one, belongs to that test. A subtest ends before the
// goroutine that ran it exits, so what a parallel subtest started is its own
// whichever test ends first. One the root started (in TestMain or an init
// function) belongs to no test.

// TestingT is what TestStarted needs of a *testing.T.
type TestingT interface {
	Name() string
	Cleanup(func())
}

// owners maps goroutine ids to the test that started them, "" for none;
// testGoroutines maps the goroutines of the tests running now to their names
// (TestCart/empty). ownersLock is a channel so that a test waiting for it reads
// as live, not blocked.
var (
	owners         = map[int64]string{}
	testGoroutines = map[int64]string{}
	ownersLock     = make(chan struct{}, 1)
	ownersBuf      []byte
)

// TestStarted makes the end of the test t claim the goroutines it leaves.
// Outside a supervised test binary it does nothing.
func TestStarted(t TestingT) {
	if cfgPtr.Load() == nil {
		return
	}
	name := t.Name()
	testRunsHere(name)
	t.Cleanup(func() { testEnded(name) })
}

// testRunsHere records that the calling goroutine runs the test name.
func testRunsHere(name string) {
	ownersLock <- struct{}{}
	testGoroutines[currentGoroutineID()] = name
	<-ownersLock
}

func testEnded(name string) {
	ownersLock <- struct{}{}
	defer func() { <-ownersLock }()
	if ownersBuf == nil {
		ownersBuf = make([]byte, 64<<10)
	}
	gs := parseDump(stackDump(&ownersBuf))
	self := gs[0].id // runtime.Stack lists the caller first
	if testGoroutines[self] == name {
		delete(testGoroutines, self) // its parent test runs on another goroutine
	}
	running := map[int64]string{}
	for i := range gs {
		g := &gs[i]
		if g.id == self {
			continue
		}
		if test, ok := testGoroutines[g.id]; ok {
			running[g.id] = test
		} else if test := testOfFunc(g.testFunc); test != "" {
			running[g.id] = test
		}
	}
	root := rootID.Load()
	for i := range gs {
		g := &gs[i]
		if _, ok := owners[g.id]; ok || g.id == self || g.id == root {
			continue
		}
		if _, ok := running[g.id]; ok {
			continue // a test still running: its goroutine ends with it
		}
		if test, ok := running[g.parent]; ok {
			owners[g.id] = test
		} else if test, ok := owners[g.parent]; ok && g.parent != self {
			owners[g.id] = test
		} else if g.parent == root {
			owners[g.id] = ""
		} else {
			owners[g.id] = name
		}
	}
}

// runningTests names the tests that have started and not ended, sorted: at a
// deadlock or a timeout, the tests the run was in (go test's "running tests").
func runningTests() []string {
	ownersLock <- struct{}{}
	defer func() { <-ownersLock }()
	names := []string{}
	for _, name := range testGoroutines {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// testOfFunc is the top-level test a test goroutine's function belongs to:
// "shop.TestCart" and "shop.TestCart.func1" (a subtest) are TestCart's.
func testOfFunc(fn string) string {
	if fn == "" {
		return ""
	}
	name := fn[strings.LastIndexByte(fn, '/')+1:]
	_, name, _ = strings.Cut(name, ".") // drop the package
	name, _, _ = strings.Cut(name, ".") // drop closures
	if !strings.HasPrefix(name, "Test") {
		return ""
	}
	return name
}

// ownerRecord is one entry of verdict.json's owners.
type ownerRecord struct {
	Goroutine int64  `json:"goroutine"`
	Test      string `json:"test"`
}

// ownersOf gives the test of each goroutine of gs that has one, in gs's
// order; a goroutine no test end saw belongs to its creator's test.
func ownersOf(gs []goroutine, ids []int64) []ownerRecord {
	ownersLock <- struct{}{}
	defer func() { <-ownersLock }()
	parent := map[int64]int64{}
	for i := range gs {
		parent[gs[i].id] = gs[i].parent
	}
	out := []ownerRecord{}
	for _, id := range ids {
		for g, n := id, 0; g != 0 && n <= len(gs); g, n = parent[g], n+1 {
			if test, ok := owners[g]; ok {
				if test != "" {
					out = append(out, ownerRecord{id, test})
				}
				break
			}
		}
	}
	return out
}
