package support

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Turn forces a schedule given as data: GOREPRO_SCHEDULE is a comma-separated
// list of goroutine indices ("0,1,1,0"), one per operation, in the order the
// operations are to start. A goroutine calls Turn(i) with its own index before
// each operation; Turn returns when the next entry of the schedule is i and
// every other scenario goroutine has settled: it waits in Turn, is blocked
// (one of the wait reasons above) or has exited. So each operation, and
// everything it wakes, finishes or blocks before the next one starts. Without
// GOREPRO_SCHEDULE, Turn returns at once. Like the other gates it polls, so a
// goroutine in Turn is live; its gate-timeout names it Turn(i).
func Turn(i int) {
	sched := loadSchedule()
	if sched == nil {
		return
	}
	self := currentGoroutineID()
	inTurn.Store(self, true)
	buf := make([]byte, 64<<10)
	await(fmt.Sprintf("Turn(%d)", i), func() bool {
		k := int(turnNext.Load())
		if k >= len(sched) || sched[k] != i {
			return false
		}
		v, ok := snapshotView(&buf, self)
		if !ok {
			return false
		}
		for _, g := range v.goroutines {
			if g.id == self || g.id == 1 || !slices.Contains(v.scenario, g.id) {
				continue
			}
			if _, waiting := inTurn.Load(g.id); !waiting && !g.blocked() {
				return false
			}
		}
		return true
	})
	// Leave the gate before passing the turn on: the next goroutine must see
	// this one running its operation, not waiting.
	inTurn.Delete(self)
	turnNext.Add(1)
}

var (
	inTurn       sync.Map // goroutine id -> waiting in Turn
	turnNext     atomic.Int64
	scheduleOnce sync.Once
	schedule     []int
)

func loadSchedule() []int {
	scheduleOnce.Do(func() {
		text := os.Getenv("GOREPRO_SCHEDULE")
		if text == "" {
			return
		}
		schedule = []int{}
		for _, field := range strings.Split(text, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(field))
			if err != nil || n < 0 {
				fmt.Fprintf(os.Stderr, "gorepro: config error: GOREPRO_SCHEDULE=%q: want comma-separated goroutine indices\n", text)
				os.Exit(exitConfig)
			}
			schedule = append(schedule, n)
		}
	})
	return schedule
}
