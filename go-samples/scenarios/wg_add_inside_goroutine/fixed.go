//go:build fixed

package main

import "sync"

// startJobs runs every job on its own goroutine, started by a dispatcher.
func startJobs(wg *sync.WaitGroup, jobs []func()) {
	wg.Add(len(jobs)) // FIX: count every job before the caller can reach Wait
	go func() {
		slowStart()
		for _, job := range jobs {
			go func() {
				defer wg.Done()
				job()
			}()
		}
	}()
}
