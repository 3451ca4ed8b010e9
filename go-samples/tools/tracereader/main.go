//go:build goreprotrace

// Command goreprotrace is gorepro's execution-trace reader: it prints events
// of a trace in the text of `go tool trace -d=parsed` (Event.String()), but
// stays running and converts one trace per request, so a run's evidence does
// not pay for starting a process, and streams its answer, so neither side
// holds a whole trace's text.
//
// It uses the toolchain's own trace parser, internal/trace, so it always
// reads what that Go version writes. Only packages of the Go tree may import
// it: gorepro builds this file as cmd/goreprotrace with `go build -overlay`
// and the goreprotrace tag, which also keeps this module's own go build and
// go vet from trying to.
//
// It prints only what gorepro reads: the state transitions of goroutines
// (not of Ps) and user log events; metrics, ranges, syncs and the rest are
// left out, and so are the transitions of the goroutines the request names
// (the supervisor's: nothing reads them, and they can be most of a trace).
// Of those it keeps a window, the most recent ones up to the limits the
// request gives, so a long trace costs reading time but neither side's memory
// grows with it. A stack is printed in full once per answer as "Stack=#<id>"
// (or "TransitionStack=#<id>") followed by its frames; later events with the
// same stack print the bare "Stack=#<id>" line. Text without "#<id>" (from
// `go tool trace -d=parsed`) still reads the same way.
//
// Protocol: each line on stdin is the path of a trace, then optionally a tab
// and a comma-separated list of goroutine ids to leave out, then optionally a
// tab and "<transitions>,<logs>", the most of each to send. The answer comes
// in chunks, "chunk <n>\n" and n bytes of events, as often as needed, then
// "end <m> <t> <l>\n" and m bytes of error message (m is 0 when the whole
// trace was read; the events read before an error have been sent), where t
// and l count the transitions and logs left out of the window. It exits when
// stdin closes.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"internal/trace"
	"io"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

func main() {
	requests := bufio.NewScanner(os.Stdin)
	requests.Buffer(make([]byte, 64<<10), 1<<20)
	out := &chunker{w: bufio.NewWriterSize(os.Stdout, 64<<10)}
	for requests.Scan() {
		var message string
		fields := strings.Split(requests.Text(), "\t")
		fields = append(fields, "", "")
		w := &window{max: limits(fields[2])}
		if err := convert(out, fields[0], goroutines(fields[1]), w); err != nil {
			message = err.Error()
		}
		if out.flush() != nil {
			return
		}
		fmt.Fprintf(out.w, "end %d %d %d\n%s", len(message), w.dropped[transitions], w.dropped[logs], message)
		if out.w.Flush() != nil {
			return
		}
		releaseMemory(fields[0])
	}
}

// bigTrace is the size of a trace after which the reader gives its memory back.
const bigTrace = 4 << 20

// releaseMemory returns the heap that reading a big trace grew to the system.
// The reader waits between traces while the next program runs beside it, and
// the runtime's scavenger takes minutes to give back the hundreds of MB that
// a 30 MB trace needs: a test suite of 100,000 goroutines (ants) had the idle
// reader's 165 MB next to the running program and gorepro. Small traces, the
// catalog's, skip the forced collection.
func releaseMemory(path string) {
	if info, err := os.Stat(path); err == nil && info.Size() >= bigTrace {
		debug.FreeOSMemory()
	}
}

// chunker frames the events of one answer into chunks of about chunkSize.
type chunker struct {
	w   *bufio.Writer
	buf bytes.Buffer
	err error
}

const chunkSize = 64 << 10

func (c *chunker) Write(p []byte) (int, error) {
	c.buf.Write(p)
	if c.buf.Len() >= chunkSize {
		c.flush()
	}
	return len(p), c.err
}

func (c *chunker) flush() error {
	if c.buf.Len() > 0 && c.err == nil {
		fmt.Fprintf(c.w, "chunk %d\n", c.buf.Len())
		_, c.err = c.w.Write(c.buf.Bytes())
	}
	c.buf.Reset()
	return c.err
}

// limits parses "<transitions>,<logs>", the most of each to send; by default
// (or where it does not parse) there is no limit.
func limits(text string) [2]int {
	limit := [2]int{math.MaxInt, math.MaxInt}
	for i, field := range strings.SplitN(text, ",", 2) {
		if n, err := strconv.Atoi(field); err == nil && n >= 0 {
			limit[i] = n
		}
	}
	return limit
}

// goroutines parses "1,7"; what does not parse is ignored.
func goroutines(list string) map[trace.GoID]bool {
	ids := map[trace.GoID]bool{}
	for _, field := range strings.Split(list, ",") {
		if id, err := strconv.ParseInt(field, 10, 64); err == nil {
			ids[trace.GoID(id)] = true
		}
	}
	return ids
}

// window keeps the most recent kept events: at most max of each kind.
type window struct {
	max     [2]int // transitions, logs
	kept    [2][]trace.Event
	next    [2]int // ring position once full
	dropped [2]int
}

const (
	transitions = iota
	logs
)

// add keeps ev, dropping the oldest of its kind when the ring is full.
func (w *window) add(kind int, ev trace.Event) {
	ring := &w.kept[kind]
	if len(*ring) < w.max[kind] {
		*ring = append(*ring, ev)
		return
	}
	if w.max[kind] == 0 {
		w.dropped[kind]++
		return
	}
	(*ring)[w.next[kind]] = ev
	w.next[kind] = (w.next[kind] + 1) % w.max[kind]
	w.dropped[kind]++
}

// events returns the kept events in trace order.
func (w *window) events() []trace.Event {
	var all []trace.Event
	for kind := range w.kept {
		ring := w.kept[kind]
		all = append(all, ring[w.next[kind]:]...)
		all = append(all, ring[:w.next[kind]]...)
	}
	// Both rings are in trace order; the trace reader emits events in time order.
	slices.SortStableFunc(all, func(a, b trace.Event) int { return cmp.Compare(a.Time(), b.Time()) })
	return all
}

// convert writes the kept events of the trace at path, the most recent ones
// when there are more than the window holds; a parser panic on a damaged
// trace is an error like any other. A write error (the harness went away)
// ends the conversion.
func convert(out *chunker, path string, omitted map[trace.GoID]bool, w *window) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the trace parser panicked: %v", p)
		}
		// What was read before an error is still evidence.
		emit(out, w.events())
	}()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := trace.NewReader(bufio.NewReader(f))
	if err != nil {
		return err
	}
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch ev.Kind() {
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind == trace.ResourceGoroutine && !omitted[st.Resource.Goroutine()] {
				w.add(transitions, ev)
			}
		case trace.EventLog:
			w.add(logs, ev)
		}
	}
}

// emit writes events in the text of Event.String, each stack in full only
// the first time.
func emit(out *chunker, events []trace.Event) {
	stacks := stackIDs{ids: map[trace.Stack]uint64{}}
	for _, ev := range events {
		if out.err != nil {
			return
		}
		header(out, ev)
		if ev.Kind() == trace.EventLog {
			l := ev.Log()
			fmt.Fprintf(out, " Task=%d Category=%q Message=%q\n", l.Task, l.Category, l.Message)
			stacks.print(out, "Stack=", ev.Stack())
			continue
		}
		st := ev.StateTransition()
		from, to := st.Goroutine()
		fmt.Fprintf(out, " GoID=%d %s->%s Reason=%q\n", st.Resource.Goroutine(), from, to, st.Reason)
		stacks.print(out, "TransitionStack=", st.Stack)
		stacks.print(out, "Stack=", ev.Stack())
	}
}

// header prints the start of an event line as Event.String does.
func header(out io.Writer, ev trace.Event) {
	fmt.Fprintf(out, "M=%d P=%d G=%d %s Time=%d", ev.Thread(), ev.Proc(), ev.Goroutine(), ev.Kind(), ev.Time())
}

// stackIDs numbers the stacks of an answer, so each is printed once.
type stackIDs struct {
	ids  map[trace.Stack]uint64
	next uint64
}

func (s *stackIDs) print(out io.Writer, label string, stack trace.Stack) {
	if stack == trace.NoStack {
		return
	}
	if id, ok := s.ids[stack]; ok {
		fmt.Fprintf(out, "%s#%d\n", label, id)
		return
	}
	s.next++
	s.ids[stack] = s.next
	fmt.Fprintf(out, "%s#%d\n", label, s.next)
	for f := range stack.Frames() {
		fmt.Fprintf(out, "\t%s @ 0x%x\n\t\t%s:%d\n", f.Func, f.PC, f.File, f.Line)
	}
}
