//go:build !fixed

package main

import "sync"

// startJobs runs every job on its own goroutine, started by a dispatcher.
func startJobs(wg *sync.WaitGroup, jobs []func()) {
	go func() {
		slowStart()
		for _, job := range jobs {
			go func() {
				wg.Add(1) // BUG: counted only once the goroutine runs, maybe after Wait returned
				defer wg.Done()
				job()
			}()
		}
	}()
}
