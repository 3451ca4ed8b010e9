// Command rwmutex_rlock_upgrade is a service registry whose lookup holds the
// read lock and, on a miss, takes the write lock of the same RWMutex to
// register a default. RWMutex has no upgrade: Lock waits until every reader
// has left, and one of the readers is the goroutine waiting.
package main

import (
	"fmt"
	"sync"

	"gorepro.dev/samples/support"
)

func main() { support.Main(run) }

// registry maps service names to addresses; mu guards services.
type registry struct {
	mu       sync.RWMutex
	services map[string]string
}

func run() {
	r := &registry{services: map[string]string{"db": "10.0.0.5:5432"}}
	fmt.Println("db:", r.lookup("db"))
	fmt.Println("cache:", r.lookup("cache"))
}

// defaultAddr is where an unregistered service is assumed to listen.
func defaultAddr(name string) string { return name + ".internal:80" }
