package support

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
)

// verdictRecord is verdict.json. Field order is the documented order.
type verdictRecord struct {
	Verdict             string        `json:"verdict"`
	Proven              bool          `json:"proven"`
	RootGoroutine       int64         `json:"root_goroutine"`
	RootReturned        bool          `json:"root_returned"`
	SupervisorGoroutine int64         `json:"supervisor_goroutine"`
	InternalGoroutines  []int64       `json:"internal_goroutines"`
	ScenarioGoroutines  []int64       `json:"scenario_goroutines"`
	LeakProfile         bool          `json:"leak_profile"`
	QuiescentAfterNs    int64         `json:"quiescent_after_ns"`
	VerdictAfterNs      int64         `json:"verdict_after_ns"`
	PollIntervalUs      int64         `json:"poll_interval_us"`
	SettleUnprovenMs    int64         `json:"settle_unproven_ms"`
	Gate                string        `json:"gate"`
	Note                string        `json:"note"`
	Violations          []violation   `json:"violations"`
	TraceDroppedBytes   int64         `json:"trace_dropped_bytes"`
	HoldNs              int64         `json:"hold_ns"`
	Holds               int           `json:"holds"`
	HoldsAtBound        int           `json:"holds_at_bound"`
	IgnoredGoroutines   []int64       `json:"ignored_goroutines"`
	Owners              []ownerRecord `json:"owners"`
	RunningTests        []string      `json:"running_tests"`
}

// Evidence file names inside GOREPRO_EVIDENCE_DIR.
const (
	goroutinesFile = "goroutines.txt"
	traceFile      = "trace.out"
	verdictFile    = "verdict.json"
)

// tracer is the execution trace of the run: streamed to disk from the start
// through a traceWindow (so the runtime flushes it on an uncaught panic, and
// a long run keeps only its most recent window), or kept in a flight
// recorder and written at the verdict.
type tracer struct {
	window *traceWindow          // stream mode
	flight *trace.FlightRecorder // flight mode
	path   string                // trace.out
	err    error                 // a failure to start, reported in the note
	// read is closed when the runtime goroutine that reads the stream (a
	// test binary's, see startTrace) has read its end; nil with trace.Start.
	read chan struct{}
}

// startTrace starts the trace. In stream mode a test binary's trace is read
// by a goroutine of the runtime's (goSystem) rather than runtime/trace's
// reader, which would be one more goroutine for runtime.NumGoroutine to count.
func startTrace(c config, system bool) *tracer {
	t := &tracer{}
	if c.evidenceDir == "" || c.trace == "off" {
		return t
	}
	if err := os.MkdirAll(c.evidenceDir, 0o755); err != nil {
		t.err = err
		return t
	}
	t.path = filepath.Join(c.evidenceDir, traceFile)
	switch c.trace {
	case "stream":
		w := newTraceWindow(c.evidenceDir, c.traceWindow)
		if system {
			if err := runtime.StartTrace(); err != nil {
				t.err = err
				return t
			}
			t.read = make(chan struct{})
			goSystem(func() {
				for data := runtime.ReadTrace(); data != nil; data = runtime.ReadTrace() {
					w.Write(data)
				}
				close(t.read)
			})
		} else if err := trace.Start(w); err != nil {
			t.err = err
			return t
		}
		t.window = w
	case "flight":
		fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{
			MinAge:   c.deadline + c.gateTimeout, // keep the whole run
			MaxBytes: 64 << 20,
		})
		if err := fr.Start(); err != nil {
			t.err = err
			return t
		}
		t.flight = fr
	}
	return t
}

// finish logs the verdict into the trace, stops it and writes trace.out. It
// returns how many bytes the stream's window dropped.
func (t *tracer) finish(verdict string) (dropped int64, err error) {
	if t.err != nil {
		return 0, fmt.Errorf("trace: %w", t.err)
	}
	if t.window == nil && t.flight == nil {
		return 0, nil
	}
	trace.Log(context.Background(), "gorepro", "verdict "+verdict)
	if t.read != nil {
		runtime.StopTrace()
		<-t.read
	} else if t.window != nil {
		trace.Stop()
	}
	if t.window != nil {
		dropped, err := t.window.finish(t.path)
		if err != nil {
			return dropped, fmt.Errorf("trace: %w", err)
		}
		return dropped, nil
	}
	f, err := os.Create(t.path)
	if err != nil {
		t.flight.Stop()
		return 0, err
	}
	_, werr := t.flight.WriteTo(f)
	t.flight.Stop()
	return 0, errors.Join(werr, f.Close())
}

// writeEvidence writes goroutines.txt, flushes the trace, writes
// instances.json (when there is a snapshot; decoding it after the trace keeps
// its work out of the trace), then writes verdict.json atomically and last, so
// that its presence means the evidence is complete. Failures before
// verdict.json go into its note; the returned error means verdict.json itself
// could not be written. Without a directory it only stops the trace.
func writeEvidence(dir, dump string, inst *rawInstances, t *tracer, rec *verdictRecord) error {
	if dir == "" {
		_, err := t.finish(rec.Verdict)
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, goroutinesFile), []byte(dump), 0o644); err != nil {
		rec.Note = joinNote(rec.Note, err.Error())
	}
	dropped, err := t.finish(rec.Verdict)
	rec.TraceDroppedBytes = dropped
	if err != nil {
		rec.Note = joinNote(rec.Note, err.Error())
	}
	if inst != nil {
		s := inst.decode()
		if err := writeInstances(dir, &s); err != nil {
			rec.Note = joinNote(rec.Note, err.Error())
		}
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, verdictFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, verdictFile))
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
