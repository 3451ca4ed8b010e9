//go:build fixed

package main

// startPool starts the workers and keeps the pool running until stop is closed.
func startPool(jobs <-chan int, results chan<- int, stop <-chan struct{}) {
	for range Workers {
		go worker(jobs, results)
	}
	<-stop // FIX: wait for the shutdown, then return
}
