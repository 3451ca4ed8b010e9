package selflock

import (
	"fmt"
	"testing"
	"time"
)

// handle serves one request in the background, as the HTTP handlers do: it
// touches the caller's session and reports the result on a log channel.
func handle(touch func(string, time.Time) bool, id string, now time.Time, log chan<- string) {
	go func() {
		log <- fmt.Sprintf("%s alive=%v", id, touch(id, now))
	}()
}

func exercise(t *testing.T, fixed bool) {
	table := NewTable(time.Minute)
	start := time.Now()
	table.Open("alice", start)
	touch := table.Touch
	if fixed {
		touch = table.TouchFixed
	}
	log := make(chan string, 2)
	handle(touch, "alice", start.Add(time.Second), log)
	// A bystander request for a session that was never opened: it is
	// answered from a cache and never touches the table.
	go func() {
		log <- "mallory alive=false (cached)"
	}()
	// The test checks the first line it gets and returns.
	if line := <-log; line == "" {
		t.Error("empty log line")
	}
}

func TestBuggy(t *testing.T) { exercise(t, false) }

func TestFixed(t *testing.T) { exercise(t, true) }
