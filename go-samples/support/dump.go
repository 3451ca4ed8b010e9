package support

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// This file reads level-1 goroutine dumps (runtime.Stack(buf, true) and the
// goroutineleak profile at debug=2) just far enough to classify goroutines.

const (
	supportPkg = "gorepro.dev/samples/support"
	rootFunc   = supportPkg + ".runRoot"
	tracePkg   = "runtime/trace"
)

// blockedReasons are the wait reasons of a goroutine parked on a
// synchronization primitive: it can only be woken by another goroutine.
var blockedReasons = map[string]bool{
	"chan send":               true,
	"chan receive":            true,
	"chan send (nil chan)":    true,
	"chan receive (nil chan)": true,
	"select":                  true,
	"select (no cases)":       true,
	"sync.Mutex.Lock":         true,
	"sync.RWMutex.RLock":      true,
	"sync.RWMutex.Lock":       true,
	"sync.Cond.Wait":          true,
	"sync.WaitGroup.Wait":     true,
	"semacquire":              true,
}

// goroutine is one goroutine of a dump.
type goroutine struct {
	id     int64
	reason string // wait reason or status, suffixes removed: "chan send", "running"
	leaked bool   // header carried " (leaked)"
	top    string // innermost frame: "main.worker(...) gorepro.dev/.../main.go:12"
	outer  string // function of the outermost frame: "gorepro.dev/samples/support.runRoot"
	// caller is the function of the innermost frame outside the runtime and
	// package sync: the code that waits.
	caller string
	// parent is the goroutine that created it ("created by ... in goroutine
	// N"), 0 if the dump does not say.
	parent int64
	// testFunc is the function testing.tRunner runs on it (a test, or a
	// subtest's function), "" if it is no test's goroutine.
	testFunc string
	ignored  bool // an ignore rule matched (GOREPRO_IGNORE)
}

// blocked reports whether g is parked on a primitive. A goroutine waiting in
// package support (a gate, a hold) is live: it waits by sleeping, and while
// it looks at the others it waits in runtime.Stack for the world to stop
// ("semacquire") or on a lock of the support package's own.
func (g *goroutine) blocked() bool {
	return blockedReasons[g.reason] && funcPackage(g.caller) != supportPkg
}

// runtimeOrSync reports whether fn is the runtime's or package sync's, which
// a goroutine waits in on behalf of its caller.
func runtimeOrSync(fn string) bool {
	switch p := funcPackage(fn); {
	case p == "runtime", p == "sync", strings.HasPrefix(p, "runtime/"), strings.HasPrefix(p, "internal/"):
		return true
	}
	return false
}

// standardBackground matches the goroutines the standard library starts for
// itself and keeps for the life of the program, which goleak ignores too:
// os/signal's loop (importing os/signal) and the signal-mask thread's
// goroutine (signal.Notify). They are ignored as the user's rules are.
var standardBackground = ignoreRules{
	top: map[string]bool{"os/signal.signal_recv": true, "os/signal.loop": true},
	any: map[string]bool{"runtime.ensureSigM": true},
}

// parseDump splits a level-1 dump into goroutines. Lines it does not
// understand are skipped.
func parseDump(dump string) []goroutine {
	var rules ignoreRules
	if c := cfgPtr.Load(); c != nil {
		rules = c.ignore
	}
	var gs []goroutine
	var cur *goroutine
	wantTop := false
	prev := "" // the previous frame's function
	for line := range strings.Lines(dump) {
		line = strings.TrimRight(line, "\r\n")
		if g, ok := parseHeader(line); ok {
			gs = append(gs, g)
			cur = &gs[len(gs)-1]
			wantTop = true
			continue
		}
		if cur == nil || line == "" {
			if line == "" {
				cur = nil
			}
			continue
		}
		if strings.HasPrefix(line, "\t") {
			if wantTop && cur.top != "" {
				cur.top += " " + fileLine(line)
				wantTop = false
			}
			continue
		}
		if strings.HasPrefix(line, "created by ") || strings.HasPrefix(line, "[originating from") {
			if _, id, ok := strings.Cut(line, " in goroutine "); ok && strings.HasPrefix(line, "created by ") {
				cur.parent, _ = strconv.ParseInt(id, 10, 64)
			}
			// Only the ancestors (GODEBUG=tracebackancestors) follow: ignore them.
			wantTop = false
			cur = nil
			continue
		}
		if strings.HasPrefix(line, "...") {
			continue // "...N frames elided..."
		}
		fn := funcName(line)
		if cur.top == "" {
			cur.top = fn
			cur.ignored = rules.top[fn] || standardBackground.top[fn]
			prev = ""
		}
		if rules.any[fn] || standardBackground.any[fn] {
			cur.ignored = true
		}
		if fn == "testing.tRunner" && cur.testFunc == "" {
			cur.testFunc = prev
		}
		prev = fn
		cur.outer = fn
		if cur.caller == "" && !runtimeOrSync(fn) {
			cur.caller = fn
		}
	}
	return gs
}

// parseHeader parses "goroutine 18 [chan send (leaked), 1 minutes]:" and the
// variants with " gp=… m=…" before the bracket or labels after it.
func parseHeader(line string) (goroutine, bool) {
	rest, ok := strings.CutPrefix(line, "goroutine ")
	if !ok || !strings.HasSuffix(rest, ":") {
		return goroutine{}, false
	}
	idText, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return goroutine{}, false
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return goroutine{}, false
	}
	open := strings.IndexByte(rest, '[')
	if open < 0 {
		return goroutine{}, false
	}
	state := rest[open+1:]
	end := strings.IndexByte(state, ']')
	if end < 0 {
		return goroutine{}, false
	}
	state = state[:end]
	if i := strings.Index(state, " labels:{"); i >= 0 { // go1.26 GODEBUG=tracebacklabels=1
		state = state[:i]
	}
	reason, _, _ := strings.Cut(state, ", ") // drop ", 1 minutes", ", locked to thread", ...
	g := goroutine{id: id}
	for {
		switch {
		case strings.HasSuffix(reason, " (leaked)"):
			g.leaked = true
			reason = strings.TrimSuffix(reason, " (leaked)")
			continue
		case strings.HasSuffix(reason, " (scan)"):
			reason = strings.TrimSuffix(reason, " (scan)")
			continue
		case strings.HasSuffix(reason, " (durable)"):
			reason = strings.TrimSuffix(reason, " (durable)")
			continue
		}
		break
	}
	g.reason = reason
	return g, true
}

// funcName returns "main.worker" for a frame line "main.worker(0xc000010000, ...)".
func funcName(line string) string {
	if i := strings.LastIndexByte(line, '('); i > 0 {
		return line[:i]
	}
	return line
}

// fileLine returns "path/file.go:12" for "\tpath/file.go:12 +0x1d".
func fileLine(line string) string {
	line = strings.TrimSpace(line)
	if i := strings.Index(line, " +0x"); i >= 0 {
		line = line[:i]
	}
	if i := strings.Index(line, " fp="); i >= 0 {
		line = line[:i]
	}
	return line
}

// funcPackage returns the import path of a qualified function name:
// "runtime/trace.Start.func1" -> "runtime/trace".
func funcPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

// role is what a goroutine is to the supervisor.
type role int

const (
	roleScenario role = iota
	roleRoot
	roleSupervisor
	roleInternal
	roleIgnored // matched an ignore rule: expected to stay
)

func roleOf(g *goroutine, rootID int64) role {
	switch {
	case g.id == supervisorID.Load():
		return roleSupervisor
	case g.id == rootID && rootKept.Load():
		return roleInternal // parked for good after it returned or exited
	case g.id == rootID || g.outer == rootFunc:
		return roleRoot
	}
	switch funcPackage(g.outer) {
	case supportPkg, tracePkg:
		return roleInternal
	}
	if g.ignored {
		return roleIgnored
	}
	return roleScenario
}

// view is a dump classified from the supervisor's point of view.
type view struct {
	dump        string
	goroutines  []goroutine
	scenario    []int64 // scenario goroutines, root included, sorted
	internal    []int64 // sorted
	ignored     []int64 // sorted
	rootPresent bool
	blocked     int // scenario goroutines parked on a primitive
	leaked      int // blocked ones marked "(leaked)"
	live        int // the other scenario goroutines
	signature   string
	blockedBy   map[string]int // wait reason -> scenario goroutines (caller excluded)
}

// classify builds a view. exclude is a goroutine left out of the scenario
// counts (a gate's caller), or 0.
func classify(dump string, rootID, exclude int64) view {
	v := view{dump: dump, goroutines: parseDump(dump), blockedBy: map[string]int{}}
	var sig []string
	for i := range v.goroutines {
		g := &v.goroutines[i]
		r := roleOf(g, rootID)
		switch r {
		case roleSupervisor:
			continue
		case roleInternal:
			v.internal = append(v.internal, g.id)
			continue
		case roleIgnored:
			v.ignored = append(v.ignored, g.id)
			continue
		case roleRoot:
			v.rootPresent = true
		}
		if g.id == exclude {
			continue
		}
		v.scenario = append(v.scenario, g.id)
		if g.blocked() {
			v.blocked++
			v.blockedBy[g.reason]++
			if g.leaked {
				v.leaked++
			}
			sig = append(sig, strconv.FormatInt(g.id, 10)+" ["+g.reason+"] "+g.top)
		} else {
			v.live++
		}
	}
	slices.Sort(v.scenario)
	slices.Sort(v.internal)
	slices.Sort(v.ignored)
	slices.Sort(sig)
	v.signature = strings.Join(sig, "\n")
	return v
}

// quiescent reports whether every scenario goroutine is parked on a primitive.
func (v *view) quiescent() bool { return len(v.scenario) > 0 && v.live == 0 }

// allLeaked reports whether the leak GC proved every blocked goroutine stuck.
func (v *view) allLeaked() bool { return v.blocked > 0 && v.leaked == v.blocked }

// Snapshots stop the world, and so does the leak GC. A stop parks the running
// goroutines on the global run queue, which would let a goroutine readied
// inside Exclusive run before Exclusive returns. Exclusive therefore holds
// snapshots off, with a Dekker-style pair of counters (Go atomics are
// sequentially consistent).
var (
	exclusiveActive atomic.Int32
	exclusiveSince  atomic.Int64 // elapsed ns when the current Exclusive began
	snapshotting    atomic.Int32
)

func beginSnapshot() bool {
	snapshotting.Add(1)
	if exclusiveActive.Load() != 0 {
		snapshotting.Add(-1)
		return false
	}
	return true
}

func endSnapshot() { snapshotting.Add(-1) }

// stackDump returns runtime.Stack(all) in buf, growing buf as needed.
func stackDump(buf *[]byte) string {
	for {
		n := runtime.Stack(*buf, true)
		if n < len(*buf) {
			return string((*buf)[:n])
		}
		*buf = make([]byte, 2*len(*buf))
	}
}

// currentGoroutineID parses the header of the caller's own stack.
func currentGoroutineID() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	s := strings.TrimPrefix(string(buf[:n]), "goroutine ")
	s, _, _ = strings.Cut(s, " ")
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}
