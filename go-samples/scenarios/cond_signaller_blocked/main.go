// Command cond_signaller_blocked exports a report. A producer streams its rows
// over an unbuffered channel and then announces the row count on a sync.Cond;
// the writer waits for the count (it prints it in the header) before it reads
// any row. The producer is stuck in its first send, which only the writer
// would receive, so the announcement never comes.
package main

import (
	"fmt"
	"strings"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// export is one report: rows, then the row count.
type export struct {
	rows chan string

	mu    sync.Mutex
	ready *sync.Cond // broadcast once total is known
	total int        // -1 until every row was sent
}

func newExport() *export {
	e := &export{rows: make(chan string), total: -1}
	e.ready = sync.NewCond(&e.mu)
	return e
}

// produce streams the rows, then announces how many there were.
func (e *export) produce(rows []string) {
	for _, row := range rows {
		e.rows <- row
	}
	close(e.rows)
	e.mu.Lock()
	e.total = len(rows)
	e.mu.Unlock()
	e.ready.Broadcast()
}

// header is the report's first line.
func header(total int) string { return fmt.Sprintf("# %d rows\n", total) }

func run() {
	e := newExport()
	go e.produce([]string{"alice,3", "bob,5", "carol,8"})
	report := make(chan string)
	go func() { report <- e.write() }()
	fmt.Print(<-report)
}

// lines joins rows into the report body.
func lines(rows []string) string { return strings.Join(rows, "\n") + "\n" }
