// Added to package runtime by gorepro's -overlay, as
// $GOROOT/src/runtime/gorepro_instances.go (this directory starts with "_", so the
// go command never builds it as part of go-samples; the harness embeds it). It adds,
// without changing any existing runtime file:
//
//   - a registry of lock holders, fed by package sync (Mutex and RWMutex Lock,
//     RLock, TryLock, TryRLock, Unlock, RUnlock) through push linknames;
//   - goreproCancelled, called by package context on a context's first cancel: a
//     user log event in the execution trace (category "gorepro.context", message
//     "cancel") with the cancelling goroutine's stack, when the trace is on;
//   - goreproSnapshot, which stops the world and reports, for every goroutine
//     parked on a channel, a select, a semaphore (Mutex, RWMutex, WaitGroup) or a
//     notify list (Cond), the object it is parked on (from gp.waiting, which Go
//     1.26+ sets for semaphores and notify lists too), plus a copy of the registry.
//
// Everything here is diagnostics: a wrong or missing entry must never change what
// the program does, so the registry drops records (and counts them) rather than
// block or allocate. The support package (instances_on.go) reads the snapshot.

package runtime

import (
	"internal/goarch"
	"internal/runtime/atomic"
	"unsafe"
)

// Registry geometry: goreproSlots keys in buckets of 8 (one cache line of keys).
// An acquire probes up to goreproProbe buckets from the home bucket.
const (
	goreproSlotsLog = 14
	goreproSlots    = 1 << goreproSlotsLog
	goreproBucket   = 8
	goreproBuckets  = goreproSlots / goreproBucket
	goreproProbe    = 4
	goreproPCs      = 5
)

// Mode bits, stored in the low bits of a key (sync.Mutex and sync.RWMutex are
// 4-byte aligned, so addresses have two free low bits). Kind bits go in the info word.
const (
	goreproModeMask  = 3
	goreproModeWrite = 1
	goreproModeRead  = 2
)

// goreproHold is the payload of an occupied slot. goid is published last and
// cleared first, so goid == 0 under a stopped world means "being written".
type goreproHold struct {
	goid uint64
	info uintptr // kind (sync side constant) << 2 | mode
	pcs  [goreproPCs]uintptr
}

var (
	goreproKeys     [goreproSlots]uintptr // lock address | mode; 0 = free
	goreproHolds    [goreproSlots]goreproHold
	goreproSpilled  [goreproBuckets]uint32 // an acquire went past this bucket
	goreproOverflow atomic.Uint64          // acquires not recorded: probe window full
)

func goreproHome(a uintptr) uintptr {
	return uintptr((uint64(a>>2) * 0x9E3779B97F4A7C15) >> (64 - (goreproSlotsLog - 3)))
}

// goreproClear frees slot i if it still holds key k. Plain stores are enough: the
// only reader that needs a consistent view (goreproSnapshot) stops the world first,
// and a goroutine stopped at a safe point has all its earlier stores visible.
func goreproClear(i uintptr, k uintptr) {
	goreproHolds[i].goid = 0
	atomic.Casuintptr(&goreproKeys[i], k, 0)
}

// goreproAcquired records that the calling goroutine now holds the lock at addr.
// kindmode is kind<<2 | mode. An exclusive acquire proves that no other record for
// addr is live (a holder whose lock was freed and its address reused), so it evicts
// them; a read acquire evicts write records. One CAS claims the slot.
//
//go:linkname goreproAcquired sync.goreproAcquired
func goreproAcquired(addr unsafe.Pointer, kindmode uintptr) {
	a := uintptr(addr)
	mode := kindmode & goreproModeMask
	home := goreproHome(a)
	claimed := ^uintptr(0)
	for p := uintptr(0); p < goreproProbe; p++ {
		b := (home + p) & (goreproBuckets - 1)
		for j := uintptr(0); j < goreproBucket; j++ {
			i := b*goreproBucket + j
			k := atomic.Loaduintptr(&goreproKeys[i])
			if k == 0 {
				if claimed == ^uintptr(0) && atomic.Casuintptr(&goreproKeys[i], 0, a|mode) {
					claimed = i
				}
				continue
			}
			if i != claimed && k&^goreproModeMask == a && (mode == goreproModeWrite || k&goreproModeMask == goreproModeWrite) {
				goreproClear(i, k)
			}
		}
		if atomic.Load(&goreproSpilled[b]) == 0 {
			if claimed != ^uintptr(0) {
				break
			}
			atomic.Store(&goreproSpilled[b], 1)
		}
	}
	if claimed == ^uintptr(0) {
		goreproOverflow.Add(1)
		return
	}
	gp := getg()
	h := &goreproHolds[claimed]
	h.info = kindmode
	if fp := getfp(); fp != 0 && !gp.m.hasCgoOnStack() {
		// Physical return addresses: our caller (sync.(*Mutex).Lock, or the user
		// function when Lock was inlined into it), then its callers.
		if n := fpTracebackPCs(unsafe.Pointer(fp), h.pcs[:]); n < goreproPCs {
			h.pcs[n] = 0
		}
	} else if n := callers(1, h.pcs[:]); n < goreproPCs {
		// No frame pointers (not amd64/arm64) or C frames on the stack: the general
		// unwinder, about a microsecond.
		h.pcs[n] = 0
	}
	h.goid = gp.goid // published last: goid 0 means "being written"
}

// goreproReleasing forgets one hold of addr in the given mode. A read release
// prefers the caller's own record (RUnlock may legally run on another goroutine).
//
//go:linkname goreproReleasing sync.goreproReleasing
func goreproReleasing(addr unsafe.Pointer, kindmode uintptr) {
	a := uintptr(addr)
	key := a | kindmode&goreproModeMask
	home := goreproHome(a)
	other := ^uintptr(0)
	for p := uintptr(0); p < goreproProbe; p++ {
		b := (home + p) & (goreproBuckets - 1)
		for j := uintptr(0); j < goreproBucket; j++ {
			i := b*goreproBucket + j
			if atomic.Loaduintptr(&goreproKeys[i]) != key {
				continue
			}
			if key&goreproModeMask == goreproModeWrite || goreproHolds[i].goid == getg().goid {
				goreproHolds[i].goid = 0
				atomic.StoreReluintptr(&goreproKeys[i], 0)
				return
			}
			if other == ^uintptr(0) {
				other = i
			}
		}
		if atomic.Load(&goreproSpilled[b]) == 0 {
			break
		}
	}
	if other != ^uintptr(0) {
		goreproClear(other, key)
	}
}

// goreproCancelled records a context's cancel in the execution trace. A cancel that
// no goroutine waits on leaves no other trace event (the Done channel is closed
// before anybody received from it, or is never made).
//
//go:linkname goreproCancelled context.goreproCancelled
func goreproCancelled() {
	trace_userLog(0, "gorepro.context", "cancel")
}

// Object kinds in a wait record.
const (
	goreproObjNone      = 0 // parked without an object (nil channel, select{}, sleep), or not parked
	goreproObjChan      = 1
	goreproObjMutex     = 2 // sema of a sync.Mutex (or the w of an RWMutex, or Once.m)
	goreproObjRWMutexR  = 3 // readerSem of a sync.RWMutex
	goreproObjRWMutexW  = 4 // writerSem of a sync.RWMutex
	goreproObjWaitGroup = 5
	goreproObjCond      = 6
	goreproObjSema      = 7 // any other semaphore
)

// Goroutine states in a wait record: gorepro's own numbers, so that the reader does
// not depend on the runtime's _G constants.
const (
	goreproStateOther     = 0
	goreproStateRunnable  = 1
	goreproStateRunning   = 2
	goreproStateSyscall   = 3
	goreproStateWaiting   = 4
	goreproStateLeaked    = 5
	goreproStatePreempted = 6
	goreproStateCopystack = 7
)

func goreproState(status uint32) uint64 {
	switch status {
	case _Grunnable:
		return goreproStateRunnable
	case _Grunning:
		return goreproStateRunning
	case _Gsyscall:
		return goreproStateSyscall
	case _Gwaiting:
		return goreproStateWaiting
	case _Gleaked:
		return goreproStateLeaked
	case _Gpreempted:
		return goreproStatePreempted
	case _Gcopystack:
		return goreproStateCopystack
	}
	return goreproStateOther
}

// Offsets of the semaphores inside the sync types (checked at compile time by the
// sync side of the overlay, gorepro_instances.go in package sync).
const (
	goreproMutexSema      = 4  // internal/sync.Mutex{state int32; sema uint32}
	goreproRWWriterSem    = 8  // sync.RWMutex.writerSem
	goreproRWReaderSem    = 12 // sync.RWMutex.readerSem
	goreproRWReaderCount  = 16
	goreproRWReaderWait   = 20
	goreproWaitGroupSema  = 8                  // sync.WaitGroup{noCopy; state atomic.Uint64; sema uint32}
	goreproCondNotifyList = 2 * goarch.PtrSize // sync.Cond{noCopy; L Locker; notify notifyList}
)

// Record widths, in uint64 words.
const (
	goreproWaitWords = 8
	goreproHoldWords = 8
)

// goreproSnapshot stops the world and writes into waits one record per (parked
// goroutine, object it waits on: one per select case), and one status-only record
// per other live goroutine (the caller included), and into holds one record per
// registry entry. System goroutines are left out. It returns how many records it
// wanted to write (which may exceed the capacities: call again with bigger
// slices), and the overflow count.
//
// Wait record: goid, state<<32|reason<<8|kind, object base address, raw address
// (sema, notify list or hchan), then kind-specific words:
//
//	chan:      dir (1 send, 2 recv, 0 unknown), dataqsiz, qcount, closed<<1|timer
//	mutex:     state word of the internal Mutex (locked=1, woken=2, starving=4, waiters=state>>3)
//	rwmutex:   readerCount, readerWait, state word of rw.w
//	waitgroup: state (counter<<32 | waiters)
//	cond:      notifyList.wait, notifyList.notify
//
// Hold record: key (address|mode), goid, info (kind<<2|mode), pcs[0..4].
//
//go:linkname goreproSnapshot
func goreproSnapshot(waits, holds []uint64) (nw, nh int, overflow uint64) {
	stw := stopTheWorld(stwGoroutineProfile)
	forEachGRace(func(gp *g) {
		if isSystemGoroutine(gp, false) {
			return
		}
		status := readgstatus(gp) &^ _Gscan
		if status == _Gidle || status == _Gdead || status == _Gdeadextra {
			return
		}
		head := goreproState(status) << 32
		emit := func(kind uint64, base, raw uintptr, x, y, z, w uint64) {
			if nw*goreproWaitWords+goreproWaitWords <= len(waits) {
				r := waits[nw*goreproWaitWords:][:goreproWaitWords]
				r[0], r[1], r[2], r[3] = gp.goid, head|kind, uint64(base), uint64(raw)
				r[4], r[5], r[6], r[7] = x, y, z, w
			}
			nw++
		}
		if status != _Gwaiting && status != _Gleaked {
			emit(goreproObjNone, 0, 0, 0, 0, 0, 0) // live, not parked: status only
			return
		}
		head |= uint64(gp.waitreason) << 8
		switch gp.waitreason {
		case waitReasonChanSend, waitReasonChanReceive, waitReasonSelect,
			waitReasonSynctestChanSend, waitReasonSynctestChanReceive, waitReasonSynctestSelect:
			emitted := false
			for sg := gp.waiting; sg != nil; sg = sg.waitlink {
				c := sg.c.get()
				if c == nil {
					continue
				}
				dir := uint64(0)
				for s := c.sendq.first; s != nil; s = s.next {
					if s == sg {
						dir = 1
					}
				}
				for s := c.recvq.first; s != nil; s = s.next {
					if s == sg {
						dir = 2
					}
				}
				timer := uint64(0)
				if c.timer != nil {
					timer = 1
				}
				emit(goreproObjChan, uintptr(unsafe.Pointer(c)), uintptr(unsafe.Pointer(c)),
					dir, uint64(c.dataqsiz), uint64(c.qcount), uint64(c.closed)<<1|timer)
				emitted = true
			}
			if emitted {
				return
			}
		case waitReasonSyncMutexLock, waitReasonSyncRWMutexRLock, waitReasonSyncRWMutexLock,
			waitReasonSyncWaitGroupWait, waitReasonSynctestWaitGroupWait, waitReasonSyncCondWait,
			waitReasonSemacquire:
			if gp.waiting == nil {
				break
			}
			raw := uintptr(gp.waiting.elem.get())
			ld32 := func(a uintptr) uint64 { return uint64(*(*uint32)(unsafe.Pointer(a))) }
			switch gp.waitreason {
			case waitReasonSyncMutexLock:
				base := raw - goreproMutexSema
				emit(goreproObjMutex, base, raw, ld32(base), 0, 0, 0)
			case waitReasonSyncRWMutexRLock:
				base := raw - goreproRWReaderSem
				emit(goreproObjRWMutexR, base, raw, ld32(base+goreproRWReaderCount), ld32(base+goreproRWReaderWait), ld32(base), 0)
			case waitReasonSyncRWMutexLock:
				base := raw - goreproRWWriterSem
				emit(goreproObjRWMutexW, base, raw, ld32(base+goreproRWReaderCount), ld32(base+goreproRWReaderWait), ld32(base), 0)
			case waitReasonSyncWaitGroupWait, waitReasonSynctestWaitGroupWait:
				base := raw - goreproWaitGroupSema
				emit(goreproObjWaitGroup, base, raw, *(*uint64)(unsafe.Pointer(base)), 0, 0, 0)
			case waitReasonSyncCondWait:
				l := (*notifyList)(unsafe.Pointer(raw))
				emit(goreproObjCond, raw-goreproCondNotifyList, raw, uint64(l.wait.Load()), uint64(l.notify), 0, 0)
			default:
				emit(goreproObjSema, raw, raw, 0, 0, 0, 0)
			}
			return
		}
		emit(goreproObjNone, 0, 0, 0, 0, 0, 0)
	})
	for i := range goreproKeys {
		k := goreproKeys[i]
		if k == 0 {
			continue
		}
		if nh*goreproHoldWords+goreproHoldWords <= len(holds) {
			h := &goreproHolds[i]
			r := holds[nh*goreproHoldWords:][:goreproHoldWords]
			r[0], r[1], r[2] = uint64(k), h.goid, uint64(h.info)
			for j := range h.pcs {
				r[3+j] = uint64(h.pcs[j])
			}
		}
		nh++
	}
	overflow = goreproOverflow.Load()
	startTheWorld(stw)
	return
}

// goreproWaitReason names a wait reason code from a wait record.
//
//go:linkname goreproWaitReason
func goreproWaitReason(code uint8) string {
	return waitReason(code).String()
}
