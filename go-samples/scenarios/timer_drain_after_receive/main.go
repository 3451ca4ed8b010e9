// Command timer_drain_after_receive keeps a connection alive: a loop pings the
// peer whenever the connection was idle for a while, and every activity
// re-arms the idle timer. Before re-arming, the loop stops the timer and, when
// Stop reports that it had already fired, drains timer.C. But the loop itself
// received that tick (that is how it pinged): the drain waits for a value that
// will never come.
package main

import (
	"fmt"
	"time"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// conn is a connection with a keepalive loop.
type conn struct {
	idle     time.Duration
	activity chan string
	pinged   chan struct{}
}

func dial(idle time.Duration) *conn {
	c := &conn{idle: idle, activity: make(chan string), pinged: make(chan struct{}, 1)}
	go c.keepalive()
	return c
}

// use reports one request on the connection.
func (c *conn) use(request string) { c.activity <- request }

// close stops the keepalive loop.
func (c *conn) close() { close(c.activity) }

// keepalive pings after every idle period; the first request arms the timer.
func (c *conn) keepalive() {
	var idle *time.Timer
	var tick <-chan time.Time // nil until the first request
	for {
		select {
		case _, ok := <-c.activity:
			if !ok {
				if idle != nil {
					idle.Stop()
				}
				return
			}
			if idle == nil {
				idle = time.NewTimer(c.idle)
				tick = idle.C
				continue
			}
			c.rearm(idle)
		case <-tick:
			c.pinged <- struct{}{} // the ping
		}
	}
}

func run() {
	c := dial(time.Millisecond)
	c.use("GET /")
	<-c.pinged // idle long enough: the loop took the tick and pinged
	c.use("GET /about")
	c.close()
	fmt.Println("connection closed")
}
