//go:build fixed

package main

// pipeline produces n jobs and returns their sum.
func pipeline(n int) int {
	jobs := make(chan int)
	total := make(chan int)
	go consume(jobs, total) // FIX: start the consumer before producing
	produce(jobs, n)
	return <-total
}
