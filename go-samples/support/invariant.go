package support

import (
	"context"
	"fmt"
	"runtime"
	"runtime/trace"
	"sync"
)

// Kinds of scenario invariant. Some bugs leave no trace in the runtime: no
// goroutine blocks, nothing panics, the program just computes the wrong thing.
// The scenario then checks its own invariant and says which kind of thing went
// wrong; the harness reports the check as the evidence, and says so.
const (
	// LostMessage: a message was sent and never delivered (a select with a
	// default case dropped it, say).
	LostMessage = "lost-message"
	// LostResults: the caller collected results before the work had finished.
	LostResults = "lost-results"
	// NoProgress: a goroutine that was ready to run did not get to run.
	NoProgress = "no-progress"
)

// violation is one failed Check. Strings only: the supervisor must never hold
// a reference to scenario objects.
type violation struct {
	Kind      string `json:"kind"`
	Detail    string `json:"detail"`
	Goroutine int64  `json:"goroutine"`
	File      string `json:"file"`
	Line      int    `json:"line"`
}

var (
	violationsMu sync.Mutex
	violations   []violation
)

// Check records a violation of the scenario's own invariant when ok is false:
// kind is one of the kinds above, and the detail (formatted like fmt.Sprintf)
// says what was observed, e.g. "collected 0 of 3 results". It must be the same
// on every run. The violation goes into verdict.json and, as a trace log with
// the caller's stack, into the trace; the run then ends with exit status 8
// instead of 0 if nothing else went wrong.
func Check(kind string, ok bool, format string, args ...any) {
	if ok {
		return
	}
	v := violation{Kind: kind, Detail: fmt.Sprintf(format, args...), Goroutine: currentGoroutineID()}
	_, v.File, v.Line, _ = runtime.Caller(1)
	trace.Log(context.Background(), "gorepro.violation", kind+": "+v.Detail)
	violationsMu.Lock()
	violations = append(violations, v)
	violationsMu.Unlock()
}

// recordedViolations returns a copy of the violations so far.
func recordedViolations() []violation {
	violationsMu.Lock()
	defer violationsMu.Unlock()
	return append([]violation{}, violations...)
}
