// Added to package sync by gorepro's -overlay, as
// $GOROOT/src/sync/gorepro_instances.go (the go command never builds this directory
// as part of go-samples; the harness embeds it). The harness lays mutex.go and
// rwmutex.go over too, with their exported locking methods renamed (Lock ->
// goreproLock, ...; harness/src/codegen/instances.rs): the methods below take their
// place and report every acquisition and release to the holder registry in package
// runtime (gorepro_instances.go there).

package sync

import "unsafe"

// Implemented in package runtime, pushed here by linkname.
func goreproAcquired(addr unsafe.Pointer, kindmode uintptr)
func goreproReleasing(addr unsafe.Pointer, kindmode uintptr)

// kindmode values: kind<<2 | mode (kind 1 = Mutex, 2 = RWMutex; mode 1 = write or
// exclusive, 2 = read), and goreproTry for an acquire that did not wait (it cannot
// be the waiting end of a lock-order cycle).
const (
	goreproMutex        = 1<<2 | 1
	goreproRWMutexWrite = 2<<2 | 1
	goreproRWMutexRead  = 2<<2 | 2
	goreproTry          = 1 << 8
)

// The runtime side hard-codes these layouts to turn a semaphore address back into
// the address of its Mutex, RWMutex, WaitGroup or Cond; a toolchain that changes
// them fails to build here instead of reporting wrong addresses.
var (
	goreproRW RWMutex
	goreproWG WaitGroup
	goreproC  Cond
	goreproM  Mutex
)

var _ = [1]int{}[unsafe.Sizeof(goreproM)-8]
var _ = [1]int{}[unsafe.Alignof(goreproM)-4]
var _ = [1]int{}[unsafe.Offsetof(goreproM.mu)]
var _ = [1]int{}[unsafe.Offsetof(goreproRW.w)]
var _ = [1]int{}[unsafe.Offsetof(goreproRW.writerSem)-8]
var _ = [1]int{}[unsafe.Offsetof(goreproRW.readerSem)-12]
var _ = [1]int{}[unsafe.Offsetof(goreproRW.readerCount)-16]
var _ = [1]int{}[unsafe.Offsetof(goreproRW.readerWait)-20]
var _ = [1]int{}[unsafe.Offsetof(goreproWG.state)]
var _ = [1]int{}[unsafe.Offsetof(goreproWG.sema)-8]
var _ = [1]int{}[unsafe.Offsetof(goreproC.notify)-2*unsafe.Sizeof(uintptr(0))]

// Lock locks m.
// If the lock is already in use, the calling goroutine
// blocks until the mutex is available.
func (m *Mutex) Lock() {
	m.goreproLock()
	goreproAcquired(unsafe.Pointer(m), goreproMutex)
}

// TryLock tries to lock m and reports whether it succeeded.
func (m *Mutex) TryLock() bool {
	if !m.goreproTryLock() {
		return false
	}
	goreproAcquired(unsafe.Pointer(m), goreproMutex|goreproTry)
	return true
}

// Unlock unlocks m.
// It is a run-time error if m is not locked on entry to Unlock.
func (m *Mutex) Unlock() {
	goreproReleasing(unsafe.Pointer(m), goreproMutex)
	m.goreproUnlock()
}

// RLock locks rw for reading.
func (rw *RWMutex) RLock() {
	rw.goreproRLock()
	goreproAcquired(unsafe.Pointer(rw), goreproRWMutexRead)
}

// TryRLock tries to lock rw for reading and reports whether it succeeded.
func (rw *RWMutex) TryRLock() bool {
	if !rw.goreproTryRLock() {
		return false
	}
	goreproAcquired(unsafe.Pointer(rw), goreproRWMutexRead|goreproTry)
	return true
}

// RUnlock undoes a single [RWMutex.RLock] call.
func (rw *RWMutex) RUnlock() {
	goreproReleasing(unsafe.Pointer(rw), goreproRWMutexRead)
	rw.goreproRUnlock()
}

// Lock locks rw for writing.
func (rw *RWMutex) Lock() {
	rw.goreproLock()
	goreproAcquired(unsafe.Pointer(rw), goreproRWMutexWrite)
}

// TryLock tries to lock rw for writing and reports whether it succeeded.
func (rw *RWMutex) TryLock() bool {
	if !rw.goreproTryLock() {
		return false
	}
	goreproAcquired(unsafe.Pointer(rw), goreproRWMutexWrite|goreproTry)
	return true
}

// Unlock unlocks rw for writing.
func (rw *RWMutex) Unlock() {
	goreproReleasing(unsafe.Pointer(rw), goreproRWMutexWrite)
	rw.goreproUnlock()
}
