//go:build !fixed

package main

// pipeline produces n jobs and returns their sum.
func pipeline(n int) int {
	jobs := make(chan int)
	total := make(chan int)
	produce(jobs, n) // BUG: no consumer is running yet, so the first send blocks forever
	go consume(jobs, total)
	return <-total
}
