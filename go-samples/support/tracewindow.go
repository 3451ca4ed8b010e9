package support

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// endOfGeneration is the one-byte write with which the runtime's tracer ends
// a generation (internal/trace/tracev2.EvEndOfGeneration, the same in Go 1.25
// to 1.27). Each generation is self-contained: it restates every goroutine's
// state, so a trace that starts at any generation boundary still parses.
const endOfGeneration = 52

// traceHeaderSize is the length of the header the tracer writes first
// ("go 1.26 trace\x00\x00\x00").
const traceHeaderSize = 16

// traceWindow is the writer behind trace.Start in stream mode. It writes the
// trace as it comes (so a crash keeps everything up to it) into numbered
// segment files, trace-000001.out, trace-000002.out, ..., each a valid trace
// on its own: the header, then whole generations. A segment is closed at the
// first generation boundary after it reaches segmentBytes, and the oldest
// closed segments are deleted while the closed ones add up to more than
// budget. So the trace on disk is bounded by budget plus the segment being
// written (a single generation larger than that is never cut), and a long run
// keeps its most recent window. The harness joins what is left into
// trace.out; segment numbers that no longer exist say that older events
// were dropped.
type traceWindow struct {
	dir          string
	budget       int64
	segmentBytes int64

	header  []byte
	file    *os.File // the segment being written
	seq     int      // its number
	size    int64    // its size so far
	closed  []segment
	dropped int64 // bytes of deleted segments
	err     error // the first failure; the writer then only counts
}

type segment struct {
	seq  int
	size int64
}

func newTraceWindow(dir string, budget int64) *traceWindow {
	return &traceWindow{dir: dir, budget: budget, segmentBytes: max(budget/4, 1)}
}

func segmentPath(dir string, seq int) string {
	return filepath.Join(dir, fmt.Sprintf("trace-%06d.out", seq))
}

// Write receives, from the runtime's trace goroutine, the header, then one
// batch or one end-of-generation marker per call.
func (w *traceWindow) Write(b []byte) (int, error) {
	if w.err != nil {
		return len(b), nil // tracing goes on; the failure is reported at finish
	}
	if w.header == nil {
		if len(b) != traceHeaderSize {
			w.err = fmt.Errorf("trace window: first write is %d bytes, not the %d-byte header", len(b), traceHeaderSize)
			return len(b), nil
		}
		w.header = append([]byte(nil), b...)
		w.err = w.open(1)
		return len(b), nil
	}
	n, err := w.file.Write(b)
	w.size += int64(n)
	if err != nil {
		w.err = err
		return len(b), nil
	}
	if len(b) == 1 && b[0] == endOfGeneration && w.size >= w.segmentBytes {
		w.err = w.rotate()
	}
	return len(b), nil
}

func (w *traceWindow) open(seq int) error {
	f, err := os.Create(segmentPath(w.dir, seq))
	if err != nil {
		return err
	}
	w.file, w.seq, w.size = f, seq, 0
	n, err := f.Write(w.header)
	w.size += int64(n)
	return err
}

// rotate closes the current segment, drops the oldest closed ones beyond the
// budget (always keeping the newest closed one), and opens the next.
func (w *traceWindow) rotate() error {
	if err := w.file.Close(); err != nil {
		return err
	}
	w.closed = append(w.closed, segment{w.seq, w.size})
	var total int64
	for _, s := range w.closed {
		total += s.size
	}
	for len(w.closed) > 1 && total > w.budget {
		oldest := w.closed[0]
		if err := os.Remove(segmentPath(w.dir, oldest.seq)); err != nil {
			return err
		}
		w.closed = w.closed[1:]
		total -= oldest.size
		w.dropped += oldest.size
	}
	return w.open(w.seq + 1)
}

// finish closes the last segment and joins the kept segments into path, so a
// run that ends normally leaves one trace.out, as trace.Start on a file would.
// It returns what was dropped, for the verdict's note.
func (w *traceWindow) finish(path string) (dropped int64, err error) {
	if w.file == nil {
		return 0, w.err
	}
	if err := w.file.Close(); err != nil && w.err == nil {
		w.err = err
	}
	if w.err != nil {
		return w.dropped, w.err
	}
	segments := append(w.closed, segment{w.seq, w.size})
	if len(segments) == 1 {
		return w.dropped, os.Rename(segmentPath(w.dir, w.seq), path)
	}
	out, err := os.Create(path)
	if err != nil {
		return w.dropped, err
	}
	for i, s := range segments {
		if err := appendSegment(out, segmentPath(w.dir, s.seq), i > 0); err != nil {
			out.Close()
			return w.dropped, err
		}
	}
	return w.dropped, out.Close()
}

// appendSegment copies a segment to out (without its header if skipHeader)
// and deletes it.
func appendSegment(out io.Writer, path string, skipHeader bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if skipHeader {
		if _, err := f.Seek(traceHeaderSize, io.SeekStart); err != nil {
			f.Close()
			return err
		}
	}
	_, err = io.Copy(out, f)
	return errors.Join(err, f.Close(), os.Remove(path))
}
