package support

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// feed writes a header and then, per generation, its batches and the
// end-of-generation marker, as the runtime's trace goroutine does.
func feed(t *testing.T, w *traceWindow, generations [][]int) []byte {
	t.Helper()
	header := []byte("go 1.26 trace\x00\x00\x00")
	w.Write(header)
	var all []byte
	for g, batches := range generations {
		for _, size := range batches {
			batch := bytes.Repeat([]byte{byte('a' + g)}, size)
			w.Write(batch)
			all = append(all, batch...)
		}
		w.Write([]byte{endOfGeneration})
		all = append(all, endOfGeneration)
	}
	return all
}

func segmentsIn(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "trace-*.out"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	return names
}

func TestTraceWindowKeepsEverythingWithinBudget(t *testing.T) {
	dir := t.TempDir()
	w := newTraceWindow(dir, 1<<20)
	all := feed(t, w, [][]int{{100, 200}, {300}, {50}})
	dropped, err := w.finish(filepath.Join(dir, "trace.out"))
	if err != nil || dropped != 0 {
		t.Fatalf("finish: dropped %d, %v", dropped, err)
	}
	if got := segmentsIn(t, dir); len(got) != 0 {
		t.Fatalf("segments left behind: %v", got)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "trace.out"))
	want := append([]byte("go 1.26 trace\x00\x00\x00"), all...)
	if !bytes.Equal(got, want) {
		t.Fatalf("trace.out is %d bytes, want the %d written", len(got), len(want))
	}
}

func TestTraceWindowDropsTheOldestGenerationsBeyondBudget(t *testing.T) {
	dir := t.TempDir()
	// Segments close at the first generation boundary past 250 bytes; closed
	// segments are kept up to 1000 bytes.
	w := newTraceWindow(dir, 1000)
	gens := make([][]int, 12)
	for i := range gens {
		gens[i] = []int{150, 150} // 301 bytes with the marker: one generation per segment
	}
	feed(t, w, gens)
	// While running: closed segments 1..12 of 317 bytes (header included); only the
	// newest three fit in 1000 bytes, and segment 13 is open and empty.
	if got, want := segmentsIn(t, dir), []string{"trace-000010.out", "trace-000011.out", "trace-000012.out", "trace-000013.out"}; !slices.Equal(got, want) {
		t.Fatalf("segments on disk %v, want %v", got, want)
	}
	dropped, err := w.finish(filepath.Join(dir, "trace.out"))
	if err != nil {
		t.Fatal(err)
	}
	if dropped != 9*317 {
		t.Fatalf("dropped %d bytes, want %d", dropped, 9*317)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "trace.out"))
	// The header once, then generations 10, 11 and 12 (letters j, k, l), whole.
	if !bytes.HasPrefix(got, []byte("go 1.26 trace\x00\x00\x00")) || len(got) != 16+3*301 {
		t.Fatalf("trace.out is %d bytes, want %d", len(got), 16+3*301)
	}
	if got[16] != 'j' || got[16+301] != 'k' || got[16+602] != 'l' || bytes.Count(got, []byte("go 1.26 trace")) != 1 {
		t.Fatalf("trace.out does not hold generations 10-12 after one header")
	}
}

func TestTraceWindowDropsWholeGenerationsOnly(t *testing.T) {
	dir := t.TempDir()
	w := newTraceWindow(dir, 100)
	feed(t, w, [][]int{{5000}, {10}})
	// The first generation alone is over budget: it is kept whole while it is the
	// newest closed segment, and dropped whole once a newer one closes.
	if got, want := segmentsIn(t, dir), []string{"trace-000002.out", "trace-000003.out"}; !slices.Equal(got, want) {
		t.Fatalf("segments on disk %v, want %v", got, want)
	}
	dropped, err := w.finish(filepath.Join(dir, "trace.out"))
	if err != nil || dropped != 16+5001 {
		t.Fatalf("finish: dropped %d, %v; want %d", dropped, err, 16+5001)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "trace.out"))
	if len(got) != 16+11 || got[16] != 'b' {
		t.Fatalf("trace.out is %d bytes, want the header and the second generation", len(got))
	}
}
