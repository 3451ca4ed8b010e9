package support

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// config holds the GOREPRO_* knobs. Every field states its default.
type config struct {
	evidenceDir string        // GOREPRO_EVIDENCE_DIR; "" writes no files
	trace       string        // GOREPRO_TRACE: "stream" (default), "flight" or "off"
	traceWindow int64         // GOREPRO_TRACE_WINDOW_MB: bytes of trace kept on disk, default 32 MiB
	poll        time.Duration // GOREPRO_POLL_US, default 1000 µs
	unproven    time.Duration // GOREPRO_SETTLE_UNPROVEN_MS, default 1000 ms
	leakGrace   time.Duration // GOREPRO_LEAK_GRACE_MS, default 100 ms
	deadline    time.Duration // GOREPRO_DEADLINE_MS, default 10000 ms
	gateTimeout time.Duration // GOREPRO_GATE_TIMEOUT_MS, default 5000 ms
	seed        uint64        // GOREPRO_PERTURB_SEED, Yield's seed; default 0: no holds
	ignore      ignoreRules   // GOREPRO_IGNORE: goroutines expected to stay; default none
}

// ignoreRules are goroutines the user expects to stay, by function, as
// goleak's IgnoreTopFunction and IgnoreAnyFunction: GOREPRO_IGNORE holds one
// rule per line, "top:FUNCTION" (the innermost frame) or "any:FUNCTION" (any
// frame), FUNCTION fully qualified as a dump writes it.
type ignoreRules struct {
	top, any map[string]bool
}

func (r ignoreRules) empty() bool { return len(r.top) == 0 && len(r.any) == 0 }

func parseIgnoreRules(text string) (ignoreRules, error) {
	r := ignoreRules{top: map[string]bool{}, any: map[string]bool{}}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		kind, fn, ok := strings.Cut(line, ":")
		switch {
		case !ok || fn == "" || strings.ContainsAny(fn, " \t"):
			return r, fmt.Errorf("GOREPRO_IGNORE: %q: want top:FUNCTION or any:FUNCTION", line)
		case kind == "top":
			r.top[fn] = true
		case kind == "any":
			r.any[fn] = true
		default:
			return r, fmt.Errorf("GOREPRO_IGNORE: %q: want top:FUNCTION or any:FUNCTION", line)
		}
	}
	return r, nil
}

func defaultConfig() config {
	return config{
		trace:       "stream",
		traceWindow: 32 << 20,
		poll:        time.Millisecond,
		unproven:    time.Second,
		leakGrace:   100 * time.Millisecond,
		deadline:    10 * time.Second,
		gateTimeout: 5 * time.Second,
	}
}

// loadConfig reads the environment. Bad values are an error, never ignored.
func loadConfig(getenv func(string) string) (config, error) {
	c := defaultConfig()
	c.evidenceDir = getenv("GOREPRO_EVIDENCE_DIR")
	// The old 20 ms window called timer-driven programs stuck; a setting made
	// for it would now mean something else, so it is refused, not ignored.
	if s := getenv("GOREPRO_SETTLE_MS"); s != "" {
		return c, fmt.Errorf("GOREPRO_SETTLE_MS=%q: replaced by GOREPRO_SETTLE_UNPROVEN_MS (only unproven states wait)", s)
	}
	switch t := getenv("GOREPRO_TRACE"); t {
	case "":
	case "stream", "flight", "off":
		c.trace = t
	default:
		return c, fmt.Errorf("GOREPRO_TRACE=%q: want stream, flight or off", t)
	}
	ignore, err := parseIgnoreRules(getenv("GOREPRO_IGNORE"))
	if err != nil {
		return c, err
	}
	c.ignore = ignore
	if s := getenv("GOREPRO_PERTURB_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return c, fmt.Errorf("GOREPRO_PERTURB_SEED=%q: want an unsigned integer", s)
		}
		c.seed = n
	}
	// Each at most an hour, but the deadline, which may be as long as a day
	// (gorepro diagnose --timeout, like go test -timeout).
	durations := []struct {
		name string
		unit time.Duration
		min  int64
		max  time.Duration
		dst  *time.Duration
	}{
		{"GOREPRO_POLL_US", time.Microsecond, 1, time.Hour, &c.poll},
		{"GOREPRO_SETTLE_UNPROVEN_MS", time.Millisecond, 0, time.Hour, &c.unproven},
		{"GOREPRO_LEAK_GRACE_MS", time.Millisecond, 0, time.Hour, &c.leakGrace},
		{"GOREPRO_DEADLINE_MS", time.Millisecond, 1, 24 * time.Hour, &c.deadline},
		{"GOREPRO_GATE_TIMEOUT_MS", time.Millisecond, 1, time.Hour, &c.gateTimeout},
	}
	if s := getenv("GOREPRO_TRACE_WINDOW_MB"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 || n > 1<<20 {
			return c, fmt.Errorf("GOREPRO_TRACE_WINDOW_MB=%q: want an integer from 1 to %d", s, 1<<20)
		}
		c.traceWindow = n << 20
	}
	for _, d := range durations {
		s := getenv(d.name)
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < d.min || n > int64(d.max/d.unit) {
			return c, fmt.Errorf("%s=%q: want an integer from %d to %d", d.name, s, d.min, int64(d.max/d.unit))
		}
		*d.dst = time.Duration(n) * d.unit
	}
	return c, nil
}

// exitConfig is the exit status for a rejected GOREPRO_* value.
const exitConfig = 7

func mustLoadConfig() config {
	c, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gorepro: config error: %v\n", err)
		os.Exit(exitConfig)
	}
	return c
}
