// Package circularsend is a handshake between two peers over unbuffered
// channels: each sends its greeting first and reads the other's afterwards, so
// both wait in a send for a receive the other will make only after its own
// send.
package circularsend

// Peer greets another peer.
type Peer struct {
	Name string
	Out  chan<- string
	In   <-chan string
}

// Handshake sends the greeting, then reads the other peer's.
func (p Peer) Handshake() string {
	p.Out <- "hello from " + p.Name // BUG: both peers send first on unbuffered channels
	return <-p.In
}

// HandshakeFixed sends from a goroutine of its own, so the receive can happen
// while the send waits.
func (p Peer) HandshakeFixed() string {
	sent := make(chan struct{})
	go func() {
		p.Out <- "hello from " + p.Name
		close(sent)
	}()
	reply := <-p.In
	<-sent
	return reply
}
