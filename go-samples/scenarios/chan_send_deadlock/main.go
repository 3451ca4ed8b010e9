// Command chan_send_deadlock is a producer that fills an unbuffered channel
// before its consumer exists: the first send blocks and so does the program.
package main

import (
	"fmt"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

func run() {
	fmt.Println("sum:", pipeline(Items))
}

// produce sends 1..n and closes jobs.
func produce(jobs chan<- int, n int) {
	for i := 1; i <= n; i++ {
		jobs <- i // blocks until a consumer receives
	}
	close(jobs)
}

// consume adds up the jobs and reports the total.
func consume(jobs <-chan int, total chan<- int) {
	sum := 0
	for j := range jobs {
		sum += j
	}
	total <- sum
}
