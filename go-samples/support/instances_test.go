package support

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// waitRecord builds a wait record as goreproSnapshot writes it.
func waitRecord(goid, state, reason, kind, base uint64, x ...uint64) []uint64 {
	r := make([]uint64, instWaitWords)
	r[0], r[1], r[2], r[3] = goid, state<<32|reason<<8|kind, base, base
	copy(r[4:], x)
	return r
}

// holdRecord builds a hold record: address|mode, goid, kind<<2|mode, PCs.
func holdRecord(addr, mode, kind, goid uint64, pcs []uintptr) []uint64 {
	r := make([]uint64, instHoldWords)
	r[0], r[1], r[2] = addr|mode, goid, kind<<2|mode
	for i, pc := range pcs[:min(len(pcs), instHoldWords-3)] {
		r[3+i] = uint64(pc)
	}
	return r
}

// acquiredHere returns the return PCs of its caller's stack, as the registry
// keeps them for an acquire.
//
//go:noinline
func acquiredHere() []uintptr {
	pcs := make([]uintptr, 5)
	return pcs[:runtime.Callers(2, pcs)]
}

func reasonName(code uint8) string {
	return map[uint8]string{1: "sync.Mutex.Lock", 2: "select", 3: "sync.RWMutex.RLock",
		4: "sync.WaitGroup.Wait", 5: "sync.Cond.Wait", 6: "sleep"}[code]
}

func TestInstanceRecordsDecodeToTheirObjects(t *testing.T) {
	const waiting, leaked, running = 4, 5, 2
	readerCount := int32(2 - rwmutexMaxReaders) // 2 readers, a writer announced
	writerPending := uint64(uint32(readerCount))
	records := [][]uint64{
		waitRecord(1, running, 0, instKindNone, 0),
		waitRecord(7, waiting, 1, instKindMutex, 0x1000, 1|1<<3),
		waitRecord(8, leaked, 2, instKindChan, 0x2000, 1, 1, 1, 0),
		waitRecord(8, leaked, 2, instKindChan, 0x3000, 2, 1, 0, 1|4), // a pending timer's
		waitRecord(9, waiting, 1, instKindMutex, 0x4000, 1|1<<3),
		waitRecord(11, waiting, 3, instKindRWMutexR, 0x5000, writerPending, 1, 1),
		waitRecord(12, waiting, 4, instKindWaitGroup, 0x6000, 2<<32|1),
		waitRecord(13, waiting, 5, instKindCond, 0x7000, 1, 0),
		waitRecord(14, waiting, 6, instKindNone, 0),
	}
	pcs := acquiredHere()
	holds := [][]uint64{
		holdRecord(0x4000, 1, 2, 10, pcs),
		holdRecord(0x1000, 1, 1, 99, pcs),
	}
	s := decodeInstances(flatten(records), flatten(holds), len(records), len(holds), 3, reasonName)

	wantGoroutines := []instGoroutine{{1, "running"}, {7, "waiting"}, {8, "leaked"}, {9, "waiting"},
		{11, "waiting"}, {12, "waiting"}, {13, "waiting"}, {14, "waiting"}}
	if !reflect.DeepEqual(s.Goroutines, wantGoroutines) {
		t.Errorf("goroutines %+v", s.Goroutines)
	}
	wantWaits := []instWait{
		{Goid: 7, Reason: "sync.Mutex.Lock", Object: "0x1000", Kind: "mutex", Op: "lock"},
		{Goid: 8, Reason: "select", Leaked: true, Object: "0x2000", Kind: "chan", Op: "send"},
		{Goid: 8, Reason: "select", Leaked: true, Object: "0x3000", Kind: "chan", Op: "recv"},
		// Queued behind another writer on the RWMutex's inner mutex: the hold tells the kind.
		{Goid: 9, Reason: "sync.Mutex.Lock", Object: "0x4000", Kind: "rwmutex", Op: "lock"},
		{Goid: 11, Reason: "sync.RWMutex.RLock", Object: "0x5000", Kind: "rwmutex", Op: "rlock"},
		{Goid: 12, Reason: "sync.WaitGroup.Wait", Object: "0x6000", Kind: "waitgroup", Op: "wait"},
		{Goid: 13, Reason: "sync.Cond.Wait", Object: "0x7000", Kind: "cond", Op: "wait"},
		{Goid: 14, Reason: "sleep"},
	}
	if !reflect.DeepEqual(s.Waits, wantWaits) {
		t.Errorf("waits\n got %+v\nwant %+v", s.Waits, wantWaits)
	}
	if s.RegistryOverflow != 3 {
		t.Errorf("overflow %d", s.RegistryOverflow)
	}

	if len(s.Holds) != 2 {
		t.Fatalf("holds %+v", s.Holds)
	}
	dead, rw := s.Holds[0], s.Holds[1]
	if dead.Object != "0x1000" || dead.Kind != "mutex" || dead.Mode != "write" || dead.Goid != 99 || dead.Alive {
		t.Errorf("hold of a goroutine that is gone: %+v", dead)
	}
	if rw.Object != "0x4000" || rw.Kind != "rwmutex" || rw.Goid != 10 || rw.Alive {
		t.Errorf("rwmutex hold %+v", rw)
	}
	if len(rw.Stack) == 0 || rw.Stack[0].Function != "gorepro.dev/samples/support.TestInstanceRecordsDecodeToTheirObjects" ||
		!strings.HasSuffix(rw.Stack[0].File, "instances_test.go") || rw.Stack[0].Line == 0 {
		t.Errorf("acquire stack %+v", rw.Stack)
	}

	objects, _ := json.Marshal(s.Objects)
	want := `[{"addr":"0x1000","kind":"mutex","locked":true,"sema_waiters":1,"blocked":[7]},` +
		`{"addr":"0x2000","kind":"chan","cap":1,"len":1,"closed":false,"timer":false,"senders":[8]},` +
		`{"addr":"0x3000","kind":"chan","cap":1,"len":0,"closed":false,"timer":true,"timer_pending":true,"receivers":[8]},` +
		`{"addr":"0x4000","kind":"rwmutex","locked":true,"sema_waiters":1,"blocked":[9]},` +
		`{"addr":"0x5000","kind":"rwmutex","locked":true,"sema_waiters":0,"readers":2,"writer_pending":true,"reader_wait":1,"blocked":[11]},` +
		`{"addr":"0x6000","kind":"waitgroup","counter":2,"waiters":1,"blocked":[12]},` +
		`{"addr":"0x7000","kind":"cond","wait_ticket":1,"notify_ticket":0,"blocked":[13]}]`
	if string(objects) != want {
		t.Errorf("objects\n got %s\nwant %s", objects, want)
	}
}

func flatten(records [][]uint64) []uint64 {
	var out []uint64
	for _, r := range records {
		out = append(out, r...)
	}
	return out
}

// A lock taken by sync.Once keeps doSlow as its marker; the other sync and
// runtime frames go.
func TestAcquireStacksKeepOnlyTheCallersAndOnce(t *testing.T) {
	var once sync.Once
	var pcs []uintptr
	once.Do(func() { pcs = acquiredHere() })
	raw := make([]uint64, len(pcs))
	for i, pc := range pcs {
		raw[i] = uint64(pc)
	}
	var names []string
	for _, f := range acquireStack(raw) {
		names = append(names, f.Function)
	}
	want := []string{
		"gorepro.dev/samples/support.TestAcquireStacksKeepOnlyTheCallersAndOnce.func1",
		"sync.(*Once).doSlow",
		"gorepro.dev/samples/support.TestAcquireStacksKeepOnlyTheCallersAndOnce",
		"testing.tRunner",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("stack %q, want %q", names, want)
	}
	if got := acquireStack(nil); got == nil || len(got) != 0 {
		t.Errorf("no PCs: %#v, want an empty stack", got)
	}
}

// Without gorepro's overlay (plain `go test`, an exported module) there is
// nothing to read, and writeEvidence writes no instances.json.
func TestWithoutTheOverlayThereIsNoInstancesFile(t *testing.T) {
	if takeInstances() != nil {
		t.Skip("built with the gorepro_instances tag")
	}
	dir := t.TempDir()
	rec := verdictRecord{Verdict: verdictDeadlock}
	if err := writeEvidence(dir, "goroutine 1 [running]:\n", nil, &tracer{}, &rec); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, instancesFile)); !os.IsNotExist(err) {
		t.Errorf("instances.json written without a snapshot: %v", err)
	}
	raw := rawInstances{reason: reasonName}
	if err := writeEvidence(dir, "", &raw, &tracer{}, &rec); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, instancesFile))
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"goroutines", "waits", "holds", "objects"} {
		if list, ok := back[key].([]any); !ok || len(list) != 0 {
			t.Errorf("%s: %v, want an empty list", key, back[key])
		}
	}
}

// The reference scan's pairs become one entry per scanned goroutine, naming the
// waited-on objects inside the heap objects it reached.
func TestReferencePairsNameTheTargetsReached(t *testing.T) {
	targets := []uintptr{0x2000, 0x2010, 0x3000, 0x9000}
	bases := []uintptr{0x2000, 0x2000, 0x3000, 0} // 0x2010 lives in 0x2000's object; 0x9000 is off the heap
	refs := []uint64{
		8, 0x3000, 8, 0x2000, 8, refScanned,
		3, refScanned,
		5, 0x3000, 5, refIncomplete,
	}
	got, _ := json.Marshal(decodeReferences(targets, bases, refs, len(refs)/2))
	want := `[{"goid":3,"objects":[]},{"goid":5,"objects":[],"incomplete":true},` +
		`{"goid":8,"objects":["0x2000","0x2010","0x3000"]}]`
	if string(got) != want {
		t.Errorf("references\n got %s\nwant %s", got, want)
	}
}
