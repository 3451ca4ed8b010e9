// Command ctx_cancel_before_block runs a handler that checks its context once,
// renders a page (slowly) and then sends it to the client. The client cancels
// and leaves while the page is being rendered: by the time the handler sends,
// the context has long been cancelled, but the send does not watch it, and
// nobody will ever receive.
package main

import (
	"context"
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// render builds the page. It is slow: the client gives up meanwhile.
func render(sections int) string {
	support.Mark("rendering")
	support.AwaitMark("client gone") // the cancel lands while the handler is busy
	return fmt.Sprintf("<html>%d sections</html>", sections)
}

func run() {
	ctx, cancel := context.WithCancel(context.Background())
	reply := make(chan string)
	go handle(ctx, reply)
	support.AwaitMark("rendering") // the handler has checked ctx and is busy
	support.Step("cancel()")       // a cancel nobody is waiting on leaves no trace event: label it
	cancel()                       // the client gives up and stops listening
	support.Mark("client gone")
	fmt.Println("client cancelled")
}
