//go:build !fixed

package main

import "fmt"

// handle looks the key up and replies to the client.
func handle(req request) {
	v, err := lookup(req.key)
	if err != nil {
		fmt.Println("rejected request:", err)
		return // BUG: the error path returns without replying: the client waits forever
	}
	req.reply <- result{value: v}
}
