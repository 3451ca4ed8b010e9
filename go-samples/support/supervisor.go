package support

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"
)

// Verdict names and exit statuses. A panic keeps the runtime's status 2.
const (
	verdictClean       = "clean"
	verdictDeadlock    = "deadlock"
	verdictLeak        = "leak"
	verdictTimeout     = "timeout"
	verdictGateTimeout = "gate-timeout"
	// A clean run in which the scenario's own invariant check failed (Check).
	verdictInvariant = "invariant-violated"
)

var exitCodes = map[string]int{
	verdictClean:       0,
	verdictDeadlock:    3,
	verdictLeak:        4,
	verdictTimeout:     5,
	verdictGateTimeout: 6,
	verdictInvariant:   8,
}

var (
	started      time.Time
	cfgPtr       atomic.Pointer[config]
	supervisorID atomic.Int64
	rootID       atomic.Int64
	rootReturned atomic.Bool
	// rootKept: the root runs on goroutine 1 (a test binary) and is kept
	// parked, as an internal goroutine, once it returned or called os.Exit.
	rootKept     atomic.Bool
	gateTimedOut atomic.Pointer[string] // name of the first gate that timed out
)

// elapsed is the monotonic time since Main started.
func elapsed() time.Duration { return time.Since(started) }

// currentConfig is Main's config, or the defaults when a gate runs without Main.
func currentConfig() *config {
	if c := cfgPtr.Load(); c != nil {
		return c
	}
	c := defaultConfig()
	return &c
}

// Main runs the scenario: run executes on a new goroutine (the root, whose
// outermost frame is runRoot) while the calling goroutine supervises it. Main
// never returns: it exits with the verdict's status, unless the scenario
// panics first.
func Main(run func()) {
	s := newSupervisor(false)
	supervisorID.Store(currentGoroutineID())
	go runRoot(run)
	s.loop()
}

func newSupervisor(inPlace bool) *supervisor {
	started = time.Now()
	c := mustLoadConfig()
	cfgPtr.Store(&c)
	s := &supervisor{
		cfg:      c,
		leakProf: pprof.Lookup("goroutineleak"),
		buf:      make([]byte, 64<<10),
		parent:   os.Getppid(),
	}
	s.trace = startTrace(c, inPlace)
	return s
}

// mainInPlace is Main for a test binary: the calling goroutine (goroutine 1)
// is the root, as under go test, and the supervisor runs on a goroutine the
// runtime counts as its own, which runtime.Stack(all), runtime.NumGoroutine
// and the goroutine profile leave out. goleak, a goroutine count or a
// stack-shape test then sees the goroutines it would see under go test (the
// trace is read by a runtime goroutine too). A root that returns, or calls
// os.Exit, stays parked where it is: the supervisor exits the process.
func mainInPlace(run func()) {
	s := newSupervisor(true)
	rootID.Store(currentGoroutineID())
	setExitHook(func(code int) {
		if currentGoroutineID() != rootID.Load() {
			return // another goroutine's os.Exit ends the program, as it would
		}
		if code != 0 {
			fmt.Fprintf(os.Stderr, "gorepro: tests exit status %d\n", code)
		}
		keepRoot()
	})
	goSystem(func() {
		supervisorID.Store(currentGoroutineID())
		s.loop()
	})
	runRoot(run)
	keepRoot()
}

// keepRoot parks the root for good once it is done, so goroutine 1 never
// exits (the runtime would end the program when the other goroutines do).
func keepRoot() {
	rootKept.Store(true)
	rootReturned.Store(true)
	select {}
}

// runRoot is the root goroutine's outermost frame; the harness recognises
// the root by this function name. A panic in run is deliberately not
// recovered.
//
//go:noinline
func runRoot(run func()) {
	rootID.Store(currentGoroutineID())
	run()
	rootReturned.Store(true)
}

// supervisor is goroutine 1 of a program, a runtime goroutine of a test binary
// (mainInPlace). It must never reference scenario objects: the leak GC treats
// its stack as a root.
type supervisor struct {
	cfg      config
	leakProf *pprof.Profile // nil on go1.26 without GOEXPERIMENT=goroutineleakprofile
	buf      []byte
	trace    *tracer
	parent   int // the process that started this one
}

// exitOrphaned is the exit status when the process that started the program
// is gone: nobody reads the evidence any more.
const exitOrphaned = 9

// outcome is a verdict before its evidence is written.
type outcome struct {
	verdict     string
	proven      bool
	returned    bool
	dump        string        // the evidence dump when the verdict was read from it
	quiescentAt time.Duration // first sight of the final quiescent state; 0: none
	gate        string
	note        string
}

func (s *supervisor) loop() {
	var (
		sig        string        // current quiescent signature, "" if none
		sigSince   time.Duration // when sig was first seen
		tried      bool          // the leak profile was taken for sig
		livePolls  int           // polls in a row that saw a scenario goroutine live
		returnedAt time.Duration = -1
	)
	for {
		time.Sleep(s.cfg.poll)
		now := elapsed()
		// The harness runs the program in a process group of its own, which a
		// Ctrl-C on the harness does not reach: without this, a killed
		// harness would leave it running to its deadline.
		if os.Getppid() != s.parent {
			fmt.Fprintln(os.Stderr, "gorepro: the process that started this one is gone")
			os.Exit(exitOrphaned)
		}
		if g := gateTimedOut.Load(); g != nil {
			s.finish(outcome{verdict: verdictGateTimeout, returned: s.returned(nil), gate: *g})
		}
		if exclusiveActive.Load() != 0 && now-time.Duration(exclusiveSince.Load()) > s.cfg.gateTimeout {
			s.finish(outcome{verdict: verdictGateTimeout, returned: s.returned(nil), gate: "Exclusive",
				note: "the function passed to Exclusive did not return"})
		}
		if now >= s.cfg.deadline {
			s.finish(outcome{verdict: verdictTimeout, returned: s.returned(nil),
				note: fmt.Sprintf("no verdict within %v", s.cfg.deadline)})
		}
		if !beginSnapshot() {
			continue // Exclusive is running: do not stop the world
		}
		v := classify(stackDump(&s.buf), rootID.Load(), 0)
		endSnapshot()
		returned := s.returned(&v)
		if returned {
			if len(v.scenario) == 0 {
				s.finish(outcome{verdict: verdictClean, returned: true})
			}
			if returnedAt < 0 {
				returnedAt = now
			}
		}
		if !v.quiescent() {
			// A timer that wakes a goroutine which goes back to the same wait
			// before the next poll (a ticker, a poll loop) is a blip, not a
			// change of state; running across two polls is.
			if livePolls++; livePolls > 1 {
				sig = ""
			}
		} else {
			livePolls = 0
			if v.signature != sig {
				sig, sigSince, tried = v.signature, now, false
			}
			kind := verdictDeadlock
			if returned {
				kind = verdictLeak
			}
			if !tried {
				var proof string
				if proof, tried = s.prove(sig); proof != "" {
					s.finish(outcome{verdict: kind, proven: true, returned: returned, dump: proof, quiescentAt: sigSince})
				}
			}
			// Unproven, a timer may still wake them (a ticker, a poll, a
			// timeout): only a state that lasts this long, blips aside, is
			// called stuck.
			if !returned && now-sigSince >= s.cfg.unproven {
				note := fmt.Sprintf("quiescent for %v without proof", s.cfg.unproven)
				if s.leakProf == nil {
					note += "; leak profile unavailable"
				}
				s.finish(outcome{verdict: verdictDeadlock, quiescentAt: sigSince, note: note})
			}
		}
		// Like goleak: whatever is still there after the grace has leaked, in
		// whatever state it is.
		if returned && now-returnedAt >= s.cfg.leakGrace {
			s.finish(s.leftovers())
		}
	}
}

// leftovers decides a run whose root returned a grace ago from the evidence
// dump itself, so the verdict names exactly the goroutines the dump shows:
// clean if they finished meanwhile, else a leak, proven if the leak profile
// marked every one of them.
func (s *supervisor) leftovers() outcome {
	dump := s.evidenceDump()
	v := classify(dump, rootID.Load(), 0)
	if len(v.scenario) == 0 {
		return outcome{verdict: verdictClean, returned: true, dump: dump}
	}
	return outcome{verdict: verdictLeak, returned: true, dump: dump, proven: v.quiescent() && v.allLeaked(),
		note: fmt.Sprintf("%d scenario goroutine(s) still there %v after the root returned", len(v.scenario), s.cfg.leakGrace)}
}

// returned reports whether the root has returned (or exited by Goexit, in
// which case it is simply gone from the dump).
func (s *supervisor) returned(v *view) bool {
	if rootReturned.Load() {
		return true
	}
	return v != nil && rootID.Load() != 0 && !v.rootPresent
}

// prove takes the goroutine-leak profile and returns it if the GC found every
// blocked scenario goroutine of the quiescent state sig unreachable. tried is
// false when the profile could not be taken yet (Exclusive is running).
func (s *supervisor) prove(sig string) (proof string, tried bool) {
	if s.leakProf == nil {
		return "", true
	}
	if !beginSnapshot() {
		return "", false
	}
	dump, err := leakDump(s.leakProf)
	endSnapshot()
	if err != nil {
		return "", true
	}
	v := classify(dump, rootID.Load(), 0)
	if !v.quiescent() || v.signature != sig || !v.allLeaked() {
		return "", true
	}
	return dump, true
}

// leakDump takes the goroutine-leak profile on one P. Its GC ends in
// runtime.GC's wait for sweeping, a Gosched loop; with a second P the
// background sweeper there yields to that loop after every span, and the two
// ping-pong for milliseconds: up to 56,000 yields, each an execution-trace
// event with a stack (a 560 KB trace for a 10 ms run). On one P the loop
// sweeps by itself. The scenario is quiescent or finished whenever this runs.
func leakDump(p *pprof.Profile) (string, error) {
	var b strings.Builder
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	err := p.WriteTo(&b, 2)
	return b.String(), err
}

// evidenceDump is the final dump: a fresh leak profile, else runtime.Stack.
// It waits for a running Exclusive, but not forever.
func (s *supervisor) evidenceDump() string {
	for !beginSnapshot() {
		if elapsed()-time.Duration(exclusiveSince.Load()) > s.cfg.gateTimeout {
			snapshotting.Add(1)
			break
		}
		time.Sleep(s.cfg.poll)
	}
	defer endSnapshot()
	if s.leakProf != nil {
		if dump, err := leakDump(s.leakProf); err == nil {
			return dump
		}
	}
	return stackDump(&s.buf)
}

// finish writes the evidence, prints the verdict line and exits.
func (s *supervisor) finish(o outcome) {
	decided := elapsed()
	held := holds.costs()
	broken := recordedViolations()
	if o.verdict == verdictClean && len(broken) > 0 {
		o.verdict = verdictInvariant
	}
	dump := o.dump
	if dump == "" {
		dump = s.evidenceDump()
	}
	inst := s.instances()
	v := classify(dump, rootID.Load(), 0)
	rec := verdictRecord{
		Verdict:             o.verdict,
		Proven:              o.proven,
		RootGoroutine:       rootID.Load(),
		RootReturned:        o.returned,
		SupervisorGoroutine: supervisorID.Load(),
		InternalGoroutines:  nonNil(v.internal),
		ScenarioGoroutines:  nonNil(v.scenario),
		LeakProfile:         s.leakProf != nil,
		QuiescentAfterNs:    int64(o.quiescentAt),
		VerdictAfterNs:      int64(decided),
		PollIntervalUs:      s.cfg.poll.Microseconds(),
		SettleUnprovenMs:    s.cfg.unproven.Milliseconds(),
		Gate:                o.gate,
		Note:                o.note,
		Violations:          broken,
		HoldNs:              int64(held.heldFor),
		Holds:               held.count,
		HoldsAtBound:        held.atBound,
		IgnoredGoroutines:   nonNil(v.ignored),
		Owners:              ownersOf(v.goroutines, v.scenario),
		RunningTests:        runningTests(),
	}
	if err := writeEvidence(s.cfg.evidenceDir, dump, inst, s.trace, &rec); err != nil {
		fmt.Fprintf(os.Stderr, "gorepro: evidence error: %v\n", err)
	}
	for _, b := range broken {
		fmt.Fprintf(os.Stderr, "gorepro: invariant violated (%s): %s\n", b.Kind, b.Detail)
	}
	fmt.Fprintf(os.Stderr, "gorepro: verdict=%s proven=%t\n", o.verdict, o.proven)
	os.Exit(exitCodes[o.verdict])
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
