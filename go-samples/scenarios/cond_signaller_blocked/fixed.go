//go:build fixed

package main

// write reads the rows first, then waits for the row count.
func (e *export) write() string {
	var rows []string
	for row := range e.rows { // FIX: drain before waiting for what comes after the rows
		rows = append(rows, row)
	}
	e.mu.Lock()
	for e.total < 0 {
		e.ready.Wait()
	}
	total := e.total
	e.mu.Unlock()
	return header(total) + lines(rows)
}
