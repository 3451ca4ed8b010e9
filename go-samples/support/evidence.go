package support

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/trace"
)

// verdictRecord is verdict.json. Field order is the documented order.
type verdictRecord struct {
	Verdict             string      `json:"verdict"`
	Proven              bool        `json:"proven"`
	RootGoroutine       int64       `json:"root_goroutine"`
	RootReturned        bool        `json:"root_returned"`
	SupervisorGoroutine int64       `json:"supervisor_goroutine"`
	InternalGoroutines  []int64     `json:"internal_goroutines"`
	ScenarioGoroutines  []int64     `json:"scenario_goroutines"`
	LeakProfile         bool        `json:"leak_profile"`
	QuiescentAfterNs    int64       `json:"quiescent_after_ns"`
	VerdictAfterNs      int64       `json:"verdict_after_ns"`
	PollIntervalUs      int64       `json:"poll_interval_us"`
	SettleMs            int64       `json:"settle_ms"`
	Gate                string      `json:"gate"`
	Note                string      `json:"note"`
	Violations          []violation `json:"violations"`
}

// Evidence file names inside GOREPRO_EVIDENCE_DIR.
const (
	goroutinesFile = "goroutines.txt"
	traceFile      = "trace.out"
	verdictFile    = "verdict.json"
)

// tracer is the execution trace of the run: streamed to trace.out from the
// start (so the runtime flushes it on an uncaught panic), or kept in a
// flight recorder and written at the verdict.
type tracer struct {
	file   *os.File              // stream mode
	flight *trace.FlightRecorder // flight mode
	path   string                // trace.out
	err    error                 // a failure to start, reported in the note
}

func startTrace(c config) *tracer {
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
		f, err := os.Create(t.path)
		if err != nil {
			t.err = err
			return t
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			t.err = err
			return t
		}
		t.file = f
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

// finish logs the verdict into the trace, stops it and flushes trace.out.
func (t *tracer) finish(verdict string) error {
	if t.err != nil {
		return fmt.Errorf("trace: %w", t.err)
	}
	if t.file == nil && t.flight == nil {
		return nil
	}
	trace.Log(context.Background(), "gorepro", "verdict "+verdict)
	if t.file != nil {
		trace.Stop()
		return t.file.Close()
	}
	f, err := os.Create(t.path)
	if err != nil {
		t.flight.Stop()
		return err
	}
	_, werr := t.flight.WriteTo(f)
	t.flight.Stop()
	return errors.Join(werr, f.Close())
}

// writeEvidence writes goroutines.txt, flushes the trace, then writes
// verdict.json atomically and last, so that its presence means the evidence
// is complete. Failures before verdict.json go into its note; the returned
// error means verdict.json itself could not be written. Without a directory
// it only stops the trace.
func writeEvidence(dir, dump string, t *tracer, rec *verdictRecord) error {
	if dir == "" {
		return t.finish(rec.Verdict)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, goroutinesFile), []byte(dump), 0o644); err != nil {
		rec.Note = joinNote(rec.Note, err.Error())
	}
	if err := t.finish(rec.Verdict); err != nil {
		rec.Note = joinNote(rec.Note, err.Error())
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
