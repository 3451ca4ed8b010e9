// Package grpc862 reproduces grpc#862: DialContext dials on a goroutine and
// waits for the connection or the context; when the context is cancelled
// first, the dialer's send of the connection blocks forever.
//
// Report: https://github.com/grpc/grpc-go/pull/862
// Catalogued in GoBench (GoKer): https://github.com/timmyyuan/gobench/tree/master/gobench/goker/blocking/grpc/862
//
// A minimal rewrite in our own code, standard library only:
// exercise(false) is the bug, exercise(true) the fix. TestBuggy and
// TestFixed run them; the expected diagnosis is in case.toml.
package grpc862

import (
	"context"
	"testing"
	"time"
)

type conn struct{ addr string }

func dialContext(ctx context.Context, addr string, fixed bool) (*conn, error) {
	result := make(chan *conn)
	go func() {
		time.Sleep(20 * time.Millisecond) // a slow handshake
		c := &conn{addr: addr}
		if fixed {
			select {
			case result <- c:
			case <-ctx.Done():
			}
			return
		}
		result <- c // BUG: nobody receives once ctx is done
	}()
	select {
	case c := <-result:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func exercise(fixed bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, _ = dialContext(ctx, "localhost:1", fixed)
	time.Sleep(30 * time.Millisecond) // the handshake ends after the caller gave up
}

func TestBuggy(t *testing.T) { exercise(false) }

func TestFixed(t *testing.T) { exercise(true) }
