// Package skippedunlock is a connection pool whose Get returns on a dial
// error without unlocking the pool: the caller goes on (it got its error), and
// every later user of the pool waits for a lock nobody holds any more.
package skippedunlock

import (
	"errors"
	"sync"
)

// Conn is a pooled connection.
type Conn struct{ ID int }

// Pool hands out idle connections and dials new ones.
type Pool struct {
	mu    sync.Mutex
	idle  []*Conn
	dials int
	dial  func(n int) (*Conn, error)
}

// ErrDial is what a failed dial returns.
var ErrDial = errors.New("dial failed")

// NewPool returns a pool that dials with dial.
func NewPool(dial func(n int) (*Conn, error)) *Pool {
	return &Pool{dial: dial}
}

// Get returns an idle connection or dials a new one.
func (p *Pool) Get() (*Conn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.dials++
	c, err := p.dial(p.dials)
	if err != nil {
		return nil, err // BUG: returns holding p.mu
	}
	p.mu.Unlock()
	return c, nil
}

// GetFixed unlocks on every path.
func (p *Pool) GetFixed() (*Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return c, nil
	}
	p.dials++
	return p.dial(p.dials)
}

// Put returns a connection to the pool.
func (p *Pool) Put(c *Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = append(p.idle, c)
}

// Idle is the number of idle connections, for metrics.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}
