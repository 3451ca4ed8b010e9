// Package etcd6857 reproduces etcd#6857: node.Status sends its request on a
// channel served by the node's run loop; after Stop the loop is gone and the
// send blocks forever.
//
// Report: https://github.com/etcd-io/etcd/pull/6857
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/etcd/6857
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package etcd6857

import (
	"testing"
)

type node struct {
	status chan chan string
	stop   chan struct{}
	done   chan struct{}
}

func newNode() *node {
	n := &node{status: make(chan chan string), stop: make(chan struct{}), done: make(chan struct{})}
	go n.run()
	return n
}

func (n *node) run() {
	defer close(n.done)
	for {
		select {
		case c := <-n.status:
			c <- "leader"
		case <-n.stop:
			return
		}
	}
}

func (n *node) Stop() {
	close(n.stop)
	<-n.done
}

func (n *node) Status(fixed bool) string {
	c := make(chan string, 1)
	if fixed {
		select {
		case n.status <- c:
		case <-n.done:
			return "stopped"
		}
		return <-c
	}
	n.status <- c // BUG: nobody serves the channel after Stop
	return <-c
}

func exercise(fixed bool) {
	n := newNode()
	_ = n.Status(fixed)
	n.Stop()
	_ = n.Status(fixed)
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
