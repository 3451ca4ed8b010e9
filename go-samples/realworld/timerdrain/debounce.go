// Package timerdrain is a debouncer that flushes a batch once no event came
// for a while. Before it rearms its timer it stops it and, when Stop reports
// that the timer had already fired, drains timer.C. But the loop itself
// already received that tick (that is how it flushed): the drain waits for a
// value that will never come.
package timerdrain

import "time"

// Debouncer collects events and flushes them after a quiet period.
type Debouncer struct {
	quiet  time.Duration
	events chan string
	flush  func([]string)
}

// New starts a debouncer; Close stops it.
func New(quiet time.Duration, flush func([]string)) *Debouncer {
	d := &Debouncer{quiet: quiet, events: make(chan string), flush: flush}
	go d.run()
	return d
}

// NewFixed starts a debouncer that rearms with Reset alone: since Go 1.23 a
// Reset guarantees that no stale tick is received afterwards.
func NewFixed(quiet time.Duration, flush func([]string)) *Debouncer {
	d := &Debouncer{quiet: quiet, events: make(chan string), flush: flush}
	go d.runFixed()
	return d
}

// Add queues one event.
func (d *Debouncer) Add(e string) { d.events <- e }

// Close stops the debouncer after flushing what is pending.
func (d *Debouncer) Close() { close(d.events) }

func (d *Debouncer) run() {
	var timer *time.Timer
	var tick <-chan time.Time // nil until the first event arms the timer
	var pending []string
	for {
		select {
		case e, ok := <-d.events:
			if !ok {
				if len(pending) > 0 {
					d.flush(pending)
				}
				return
			}
			pending = append(pending, e)
			if timer == nil {
				timer = time.NewTimer(d.quiet)
				tick = timer.C
				continue
			}
			if !timer.Stop() {
				<-timer.C // BUG: the tick was already received below
			}
			timer.Reset(d.quiet)
		case <-tick:
			if len(pending) > 0 {
				d.flush(pending)
				pending = nil
			}
		}
	}
}

func (d *Debouncer) runFixed() {
	var timer *time.Timer
	var tick <-chan time.Time
	var pending []string
	for {
		select {
		case e, ok := <-d.events:
			if !ok {
				if len(pending) > 0 {
					d.flush(pending)
				}
				return
			}
			pending = append(pending, e)
			if timer == nil {
				timer = time.NewTimer(d.quiet)
				tick = timer.C
				continue
			}
			timer.Reset(d.quiet)
		case <-tick:
			if len(pending) > 0 {
				d.flush(pending)
				pending = nil
			}
		}
	}
}
