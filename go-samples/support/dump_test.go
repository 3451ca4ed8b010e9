package support

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		line   string
		id     int64
		reason string
		leaked bool
	}{
		{"goroutine 1 [running]:", 1, "running", false},
		{"goroutine 20 [chan send]:", 20, "chan send", false},
		{"goroutine 19 [chan send (leaked)]:", 19, "chan send", true},
		{"goroutine 25 [chan receive (nil chan) (leaked)]:", 25, "chan receive (nil chan)", true},
		{"goroutine 19 [chan receive, 1 minutes]:", 19, "chan receive", false},
		{"goroutine 32 [chan receive, locked to thread]:", 32, "chan receive", false},
		{"goroutine 36 [chan receive] {\"req id\": \"a b\", worker: w1}:", 36, "chan receive", false},
		{"goroutine 35 [chan receive labels:{\"req id\": \"a b\", \"worker\": \"w1\"}]:", 35, "chan receive", false},
		{"goroutine 20 gp=0x1804ae8825a0 m=nil [chan send]:", 20, "chan send", false},
		{"goroutine 9 [chan send (durable), synctest bubble 1]:", 9, "chan send", false},
		{"goroutine 7 [select (no cases) (scan)]:", 7, "select (no cases)", false},
	}
	for _, tt := range tests {
		g, ok := parseHeader(tt.line)
		if !ok || g.id != tt.id || g.reason != tt.reason || g.leaked != tt.leaked {
			t.Errorf("parseHeader(%q) = %+v, %v; want id %d reason %q leaked %v", tt.line, g, ok, tt.id, tt.reason, tt.leaked)
		}
	}
	for _, line := range []string{"goroutine profile: total 9", "created by main.main in goroutine 1", "main.main()"} {
		if _, ok := parseHeader(line); ok {
			t.Errorf("parseHeader(%q) accepted a non-header", line)
		}
	}
}

func TestFuncPackage(t *testing.T) {
	tests := map[string]string{
		"gorepro.dev/samples/support.runRoot":                 supportPkg,
		"gorepro.dev/samples/support.(*supervisor).loop":      supportPkg,
		"runtime/trace.(*traceMultiplexer).startLocked.func1": tracePkg,
		"main.run.func1":         "main",
		"sync.(*WaitGroup).Wait": "sync",
		"pkg.F[...]":             "pkg",
	}
	for fn, want := range tests {
		if got := funcPackage(fn); got != want {
			t.Errorf("funcPackage(%q) = %q, want %q", fn, got, want)
		}
	}
}

// dump is a go1.27 leak-profile dump (debug=2) of a leaked worker, trimmed.
const dump = `goroutine 1 [running]:
runtime/pprof.writeGoroutineStacks({0x549928, 0x3e2b563b20e0})
	runtime/pprof/pprof.go:819 +0x6b
gorepro.dev/samples/support.Main(0x547838)
	gorepro.dev/samples/support/supervisor.go:64 +0x25c
main.main()
	gorepro.dev/samples/scenarios/x/main.go:11 +0x1a

goroutine 9 [trace reader (blocked)]:
runtime.ReadTrace()
	runtime/trace.go:893 +0x45
runtime/trace.(*traceMultiplexer).startLocked.func1()
	runtime/trace/subscribe.go:167 +0xb4
created by runtime/trace.(*traceMultiplexer).startLocked in goroutine 1
	runtime/trace/subscribe.go:157 +0x132

goroutine 10 [chan send (leaked)]:
main.produce(...)
	gorepro.dev/samples/scenarios/x/main.go:20
main.run()
	gorepro.dev/samples/scenarios/x/main.go:14 +0x18
gorepro.dev/samples/support.runRoot(0x547838)
	gorepro.dev/samples/support/supervisor.go:74 +0x28
created by gorepro.dev/samples/support.Main in goroutine 1
	gorepro.dev/samples/support/supervisor.go:63 +0x24f

goroutine 12 [sleep]:
time.Sleep(0xf4240)
	runtime/time.go:368 +0x165
gorepro.dev/samples/support.spin(0x0?)
	gorepro.dev/samples/support/gates.go:1 +0x1
created by gorepro.dev/samples/support.Exclusive in goroutine 10
	gorepro.dev/samples/support/gates.go:2 +0x2

goroutine 13 [select]:
main.worker(0x0?)
	gorepro.dev/samples/scenarios/x/main.go:30 +0x51
created by main.run in goroutine 10
	gorepro.dev/samples/scenarios/x/main.go:25 +0x73
`

// asSupervisedBy sets the supervisor's goroutine id for one test.
func asSupervisedBy(t *testing.T, id int64) {
	old := supervisorID.Swap(id)
	t.Cleanup(func() { supervisorID.Store(old) })
}

func TestClassify(t *testing.T) {
	asSupervisedBy(t, 1)
	v := classify(dump, 0, 0)
	if !slices.Equal(v.scenario, []int64{10, 13}) || !slices.Equal(v.internal, []int64{9, 12}) {
		t.Fatalf("scenario %v internal %v", v.scenario, v.internal)
	}
	if !v.rootPresent || !v.quiescent() || v.blocked != 2 || v.leaked != 1 || v.allLeaked() {
		t.Fatalf("view %+v", v)
	}
	want := "10 [chan send] main.produce gorepro.dev/samples/scenarios/x/main.go:20\n" +
		"13 [select] main.worker gorepro.dev/samples/scenarios/x/main.go:30"
	if v.signature != want {
		t.Fatalf("signature\n%s\nwant\n%s", v.signature, want)
	}
	// The leak marking must not change the signature.
	if w := classify(strings.ReplaceAll(dump, " (leaked)", ""), 0, 0); w.signature != v.signature {
		t.Fatalf("signature depends on (leaked): %q", w.signature)
	}
	// A gate's caller is left out.
	if w := classify(dump, 0, 13); w.blockedBy["select"] != 0 || w.blockedBy["chan send"] != 1 {
		t.Fatalf("blockedBy %v", w.blockedBy)
	}
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{"GOREPRO_POLL_US": "250", "GOREPRO_TRACE": "flight", "GOREPRO_SETTLE_UNPROVEN_MS": "0",
		"GOREPRO_PERTURB_SEED": "7"}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil || c.poll.Microseconds() != 250 || c.trace != "flight" || c.unproven != 0 || c.seed != 7 ||
		c.deadline != defaultConfig().deadline {
		t.Fatalf("loadConfig = %+v, %v", c, err)
	}
	// The deadline may be as long as a day (gorepro diagnose --timeout 24h), the others an hour.
	day := map[string]string{"GOREPRO_DEADLINE_MS": "86400000"}
	if c, err := loadConfig(func(k string) string { return day[k] }); err != nil || c.deadline != 24*time.Hour {
		t.Fatalf("a deadline of a day: %v, %v", c.deadline, err)
	}
	for k, v := range map[string]string{"GOREPRO_POLL_US": "0", "GOREPRO_DEADLINE_MS": "86400001", "GOREPRO_TRACE": "yes",
		"GOREPRO_PERTURB_SEED": "-1", "GOREPRO_SETTLE_MS": "20", "GOREPRO_GATE_TIMEOUT_MS": "3600001", "GOREPRO_LEAK_GRACE_MS": "x"} {
		if _, err := loadConfig(func(key string) string {
			if key == k {
				return v
			}
			return ""
		}); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}

// looking is a scenario goroutine held at a scheduling point, and a root in
// a gate, each caught waiting for the world to stop in its own look; and a
// test binary's root, waiting for a test, with MainTests below it.
const looking = `goroutine 22 [chan receive]:
testing.(*T).Run(0x1b18d00e6008, {0x5ba30b?, 0x0?}, 0x5c3d68)
	testing/testing.go:2109 +0x4e5
testing.(*M).Run(0x1b18d00a4000)
	testing/testing.go:2511 +0x6a5
gorepro.dev/samples/support.MainTests.func1()
	gorepro.dev/samples/support/tests.go:40 +0x1e
gorepro.dev/samples/support.runRoot(0x1b18d0012120)
	gorepro.dev/samples/support/supervisor.go:75 +0x3b
created by gorepro.dev/samples/support.Main in goroutine 1
	gorepro.dev/samples/support/supervisor.go:64 +0x156

goroutine 14 [semacquire]:
runtime.Stack({0xc000200000?, 0x4000?, 0x4000?}, 0x1)
	runtime/mprof.go:1704 +0x5a
gorepro.dev/samples/support.stackDump(...)
	gorepro.dev/samples/support/dump.go:280
gorepro.dev/samples/support.(*holdRegistry).mayGo(0x6d2b80, 0xc00012bf08, 0xe, 0x2a)
	gorepro.dev/samples/support/hold.go:190 +0x165
gorepro.dev/samples/support.Yield(0x3, 0x1)
	gorepro.dev/samples/support/hold.go:27 +0x65
service.(*Service).heartbeat(0xc000118000)
	service/service.go:28 +0x5b
created by service.Start in goroutine 7
	service/service.go:19 +0xd3

goroutine 10 [semacquire]:
runtime.Stack({0xc000200000?, 0x4000?, 0x4000?}, 0x1)
	runtime/mprof.go:1704 +0x5a
gorepro.dev/samples/support.AwaitIdle()
	gorepro.dev/samples/support/gates.go:28 +0x1
main.run()
	gorepro.dev/samples/scenarios/x/main.go:14 +0x18
gorepro.dev/samples/support.runRoot(0x547838)
	gorepro.dev/samples/support/supervisor.go:74 +0x28
created by gorepro.dev/samples/support.Main in goroutine 1
	gorepro.dev/samples/support/supervisor.go:63 +0x24f
`

func TestAGoroutineInAHoldOrAGateIsLive(t *testing.T) {
	asSupervisedBy(t, 1)
	v := classify(looking, 22, 0)
	if v.blocked != 1 || v.blockedBy["chan receive"] != 1 || v.live != 2 || v.quiescent() {
		t.Fatalf("blocked %v, %d live: want the test binary's root blocked and the two looks live", v.blockedBy, v.live)
	}
}

// A test binary's root is goroutine 1 (its outermost frame is main.main) and
// the supervisor, a runtime goroutine, is only in its own dumps, first.
const inPlace = `goroutine 7 [running]:
gorepro.dev/samples/support.(*supervisor).loop(0x0?)
	gorepro.dev/samples/support/supervisor.go:1 +0x1

goroutine 1 [chan receive]:
testing.(*T).Run(0x0?, {0x0?, 0x0?}, 0x0?)
	testing/testing.go:2109 +0x4e5
gorepro.dev/samples/support.runRoot(0x0?)
	gorepro.dev/samples/support/supervisor.go:2 +0x2
gorepro.dev/samples/support.mainInPlace(0x0?)
	gorepro.dev/samples/support/supervisor.go:3 +0x3
main.main()
	_testmain.go:52 +0xb0

goroutine 9 [chan send]:
x.TestLeaks.func1()
	x/x_test.go:9 +0x1
created by x.TestLeaks in goroutine 8
	x/x_test.go:8 +0x1
`

func TestARootOnGoroutineOneIsKeptAsInternal(t *testing.T) {
	asSupervisedBy(t, 7)
	v := classify(inPlace, 1, 0)
	if !v.rootPresent || !slices.Equal(v.scenario, []int64{1, 9}) || len(v.internal) != 0 {
		t.Fatalf("running: scenario %v internal %v root %v", v.scenario, v.internal, v.rootPresent)
	}
	rootKept.Store(true)
	t.Cleanup(func() { rootKept.Store(false) })
	v = classify(inPlace, 1, 0)
	if v.rootPresent || !slices.Equal(v.scenario, []int64{9}) || !slices.Equal(v.internal, []int64{1}) {
		t.Fatalf("kept: scenario %v internal %v root %v", v.scenario, v.internal, v.rootPresent)
	}
}

// The goroutine signal.Notify starts for os/signal's loop stays for the life of
// the program; like goleak, the supervisor ignores it without a rule.
func TestTheSignalLoopIsIgnoredWithoutARule(t *testing.T) {
	asSupervisedBy(t, 1)
	const dump = `goroutine 7 [chan receive]:
main.wait()
	/m/main.go:9 +0x1d
created by main.main in goroutine 6
	/m/main.go:5 +0x1f

goroutine 8 [syscall]:
os/signal.signal_recv()
	/usr/local/go/src/runtime/sigqueue.go:152 +0x98
os/signal.loop()
	/usr/local/go/src/os/signal/signal_unix.go:23 +0x13
created by os/signal.Notify.func1.1 in goroutine 7
	/usr/local/go/src/os/signal/signal.go:152 +0x1f
`
	v := classify(dump, 0, 0)
	if !slices.Equal(v.scenario, []int64{7}) || !slices.Equal(v.ignored, []int64{8}) {
		t.Fatalf("scenario %v ignored %v", v.scenario, v.ignored)
	}
}
