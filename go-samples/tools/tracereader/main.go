//go:build goreprotrace

// Command goreprotrace is gorepro's execution-trace reader: it prints the
// events of a trace exactly as `go tool trace -d=parsed` does (one
// Event.String() per line), but stays running and converts one trace per
// request, so a run's evidence does not pay for starting a process.
//
// It uses the toolchain's own trace parser, internal/trace, so it always
// reads what that Go version writes. Only packages of the Go tree may import
// it: gorepro builds this file as cmd/goreprotrace with `go build -overlay`
// and the goreprotrace tag, which also keeps this module's own go build and
// go vet from trying to.
//
// Protocol: each line on stdin is the path of a trace, optionally followed by
// a tab and a comma-separated list of goroutine ids whose own state
// transitions are left out (the supervisor's: nothing reads them, and they
// can be most of a trace: the GC of the goroutine-leak profile on two Ps made
// it yield tens of thousands of times, each with a stack). For
// each, stdout gets "trace <n> <m>\n", then n bytes of events, then m bytes
// of error message (m is 0 when the whole trace was read; the events read
// before an error are still sent). It exits when stdin closes.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"internal/trace"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	requests := bufio.NewScanner(os.Stdin)
	requests.Buffer(make([]byte, 64<<10), 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	var events bytes.Buffer
	for requests.Scan() {
		events.Reset()
		var message string
		path, omitted, _ := strings.Cut(requests.Text(), "\t")
		if err := convert(&events, path, goroutines(omitted)); err != nil {
			message = err.Error()
		}
		fmt.Fprintf(out, "trace %d %d\n", events.Len(), len(message))
		out.Write(events.Bytes())
		out.WriteString(message)
		if out.Flush() != nil {
			return
		}
	}
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

// convert writes the events of the trace at path, without the state
// transitions of the omitted goroutines; a parser panic on a damaged trace is
// an error like any other.
func convert(events *bytes.Buffer, path string, omitted map[trace.GoID]bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the trace parser panicked: %v", p)
		}
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
		if ev.Kind() == trace.EventStateTransition {
			if r := ev.StateTransition().Resource; r.Kind == trace.ResourceGoroutine && omitted[r.Goroutine()] {
				continue
			}
		}
		events.WriteString(ev.String())
		events.WriteByte('\n')
	}
}
