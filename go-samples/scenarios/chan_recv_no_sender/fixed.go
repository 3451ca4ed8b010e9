//go:build fixed

package main

import "fmt"

// handle looks the key up and replies to the client.
func handle(req request) {
	v, err := lookup(req.key)
	if err != nil {
		fmt.Println("rejected request:", err)
		req.reply <- result{err: err} // FIX: every path replies, the error path too
		return
	}
	req.reply <- result{value: v}
}
