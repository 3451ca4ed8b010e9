//go:build !fixed

package main

// write waits for the row count, then reads the rows.
func (e *export) write() string {
	e.mu.Lock()
	for e.total < 0 {
		e.ready.Wait() // BUG: the producer announces the count only after every row was read
	}
	total := e.total
	e.mu.Unlock()
	var rows []string
	for row := range e.rows {
		rows = append(rows, row)
	}
	return header(total) + lines(rows)
}
