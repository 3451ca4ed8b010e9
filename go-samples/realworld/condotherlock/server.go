// Package condotherlock is a server whose Lookup holds the route lock while it
// waits, on a sync.Cond of another lock, for the server to be ready. Start
// needs the route lock to install the routes before it announces readiness:
// Cond.Wait releases only the Cond's own lock, never the route lock.
package condotherlock

import "sync"

// Server routes paths once it is started.
type Server struct {
	mu     sync.Mutex // guards routes
	routes map[string]string

	readyMu sync.Mutex // guards ready
	ready   bool
	readyC  *sync.Cond
}

// NewServer returns a server that is not started.
func NewServer() *Server {
	s := &Server{routes: map[string]string{}}
	s.readyC = sync.NewCond(&s.readyMu)
	return s
}

// Start installs the routes and wakes everyone waiting for the server.
func (s *Server) Start() {
	s.mu.Lock()
	s.routes["/"] = "index"
	s.routes["/health"] = "ok"
	s.mu.Unlock()

	s.readyMu.Lock()
	s.ready = true
	s.readyMu.Unlock()
	s.readyC.Broadcast()
}

func (s *Server) waitReady() {
	s.readyMu.Lock()
	for !s.ready {
		s.readyC.Wait()
	}
	s.readyMu.Unlock()
}

// Lookup returns the handler of a path, waiting for the server to start.
func (s *Server) Lookup(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitReady() // BUG: waits holding s.mu, which Start needs before it signals
	return s.routes[path]
}

// LookupFixed waits before it takes the route lock.
func (s *Server) LookupFixed(path string) string {
	s.waitReady()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.routes[path]
}
