// Added to package runtime by gorepro's -overlay, as
// $GOROOT/src/runtime/gorepro_instances.go (this directory starts with "_", so the
// go command never builds it as part of go-samples; the harness embeds it). It adds,
// with one call inserted into proc.go and no other change to a runtime file:
//
//   - a registry of lock holders, fed by package sync (Mutex and RWMutex Lock,
//     RLock, TryLock, TryRLock, Unlock, RUnlock) through push linknames;
//   - goreproCancelled, called by package context on a context's first cancel: a
//     user log event in the execution trace (category "gorepro.context", message
//     "cancel") with the cancelling goroutine's stack, when the trace is on;
//   - goreproSnapshot, which stops the world and reports, for every goroutine
//     parked on a channel, a select, a semaphore (Mutex, RWMutex, WaitGroup) or a
//     notify list (Cond), the object it is parked on (from gp.waiting, which Go
//     1.26+ sets for semaphores and notify lists too), plus a copy of the registry;
//   - goreproSystemGo, which starts a goroutine the runtime counts as its own (the
//     supervisor of a test binary), and an exit hook that os.Exit calls first
//     (through an edit of os_beforeExit in proc.go);
//   - goreproReferences, which stops the world and reports which of those objects
//     each parked goroutine still reaches (its live stack slots, by the stack maps
//     the collector uses, and the heap objects they lead to).
//
// Everything here is diagnostics: a wrong or missing entry must never change what
// the program does, so the registry drops records (and counts them) rather than
// block or allocate. The support package (instances_on.go) reads the snapshot.

package runtime

import (
	"internal/abi"
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
// 4-byte aligned, so addresses have two free low bits). Kind bits go in the info word;
// goreproTry marks an acquire by TryLock or TryRLock (it never waited).
const (
	goreproModeMask  = 3
	goreproModeWrite = 1
	goreproModeRead  = 2
	goreproTry       = 1 << 8
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
	try := kindmode&goreproTry != 0
	kindmode &^= goreproTry
	mode := kindmode & goreproModeMask
	gp := getg()
	var pcs [goreproPCs]uintptr
	if fp := getfp(); fp != 0 && !gp.m.hasCgoOnStack() {
		// Physical return addresses: our caller (sync.(*Mutex).Lock, or the user
		// function when Lock was inlined into it), then its callers.
		fpTracebackPCs(unsafe.Pointer(fp), pcs[:])
	} else {
		// No frame pointers (not amd64/arm64) or C frames on the stack: the general
		// unwinder, about a microsecond.
		callers(1, pcs[:])
	}
	if goreproOrderOn() {
		goreproOrderAcquired(gp.goid, a|mode, &pcs, try)
	}
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
	h := &goreproHolds[claimed]
	h.info = kindmode
	h.pcs = pcs
	h.goid = gp.goid // published last: goid 0 means "being written"
}

// goreproReleasing forgets one hold of addr in the given mode. A read release
// prefers the caller's own record (RUnlock may legally run on another goroutine).
//
//go:linkname goreproReleasing sync.goreproReleasing
func goreproReleasing(addr unsafe.Pointer, kindmode uintptr) {
	a := uintptr(addr)
	key := a | kindmode&goreproModeMask
	self := getg().goid
	holder := goreproForget(a, key, self)
	if goreproOrderOn() {
		goreproOrderReleasing(self, holder, key)
	}
}

// goreproForget frees the registry record of key (the caller's own for a read
// hold, when it has one) and returns the goroutine the record named.
func goreproForget(a, key uintptr, self uint64) (holder uint64) {
	home := goreproHome(a)
	other := ^uintptr(0)
	for p := uintptr(0); p < goreproProbe; p++ {
		b := (home + p) & (goreproBuckets - 1)
		for j := uintptr(0); j < goreproBucket; j++ {
			i := b*goreproBucket + j
			if atomic.Loaduintptr(&goreproKeys[i]) != key {
				continue
			}
			if key&goreproModeMask == goreproModeWrite || goreproHolds[i].goid == self {
				holder = goreproHolds[i].goid
				goreproHolds[i].goid = 0
				atomic.StoreReluintptr(&goreproKeys[i], 0)
				return holder
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
		holder = goreproHolds[other].goid
		goreproClear(other, key)
	}
	return holder
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
//	chan:      dir (1 send, 2 recv, 0 unknown), dataqsiz, qcount, pending<<2|closed<<1|timer
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
				// timer: 1 for a timer's channel, |4 while the timer is
				// pending (it will still send).
				timer := uint64(0)
				if c.timer != nil {
					timer = 1
					if c.timer.when > 0 {
						timer |= 4
					}
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

// goreproSystemGo runs fn on a new goroutine that the runtime counts as one of
// its own, because its start function is in package runtime: runtime.Stack(buf,
// true), runtime.NumGoroutine, the goroutine profile and panic dumps below
// GOTRACEBACK=system leave it out. The supervisor runs there, so the program it
// watches does not see it (goleak, goroutine-count checks, stack-shape tests).
//
//go:linkname goreproSystemGo
func goreproSystemGo(fn func()) {
	go goreproSystemStart(fn)
}

func goreproSystemStart(fn func()) { fn() }

// goreproExitHook, when set, is called first thing by os.Exit (gorepro's edit
// of os_beforeExit in proc.go) and may keep the caller there forever: the
// supervisor keeps the root goroutine that calls os.Exit (a TestMain, or a
// library called from it such as goleak.VerifyTestMain) and decides the run
// from what is left, instead of losing it to the exit.
var goreproExitHook func(code int)

//go:linkname goreproSetExitHook
func goreproSetExitHook(f func(code int)) { goreproExitHook = f }

func goreproBeforeExit(code int) {
	if f := goreproExitHook; f != nil {
		f(code)
	}
}

// Reference scan geometry: a goroutine's scan gives up (and reports itself
// incomplete) after goreproReachObjects heap objects or goreproReachWords pointer
// words, and every scan after goreproReachTotal objects in all (which bounds the
// stop-the-world: about 140 ns an object); its visited table has twice the
// objects' slots.
const (
	goreproReachTotal   = 1 << 18
	goreproReachObjects = 1 << 14
	goreproReachWords   = 1 << 18
	goreproReachLog     = 15
	goreproReachBlocks  = 1024 // pointer blocks (frames' locals and args, stack objects) per goroutine

	goreproRefIncomplete = ^uint64(0)     // the goroutine's scan gave up
	goreproRefScanned    = ^uint64(0) - 1 // the goroutine was scanned (its hits precede)
)

// goreproReach is the state of a reference scan: the heap objects that are
// targets (value 1) or must not be entered (value 0: goroutines, Ms, Ps and the
// sudogs of parked goroutines, the scheduler's state rather than what user code
// holds), and the visited set and work list of the goroutine being scanned. Its
// tables are allocated before the world stops.
type goreproReach struct {
	fixed      []uintptr // open addressing by object base; 0 = free
	fixedValue []uint8
	fixedLog   uint
	fixedUsed  int
	seen       []uintptr
	work       []uintptr
	blocks     []goreproBlock // the goroutine's live slots, then its stack objects
	live       int            // blocks[:live] are live slots; the rest are stack objects
	nblocks    int
	stack      stack
	objects    int
	words      int
	total      int // objects visited by every scan so far
	incomplete bool
	goid       uint64
	refs       []uint64
	n          int
}

// goreproBlock is a run of stack words and the bitmap of those that are pointers.
type goreproBlock struct {
	b, n    uintptr
	mask    *uint8
	scanned bool
}

func (r *goreproReach) addBlock(b, n uintptr, mask *uint8) {
	if r.nblocks == len(r.blocks) {
		r.incomplete = true
		return
	}
	r.blocks[r.nblocks] = goreproBlock{b: b, n: n, mask: mask}
	r.nblocks++
}

func goreproSlot(p uintptr, log uint) uintptr {
	return uintptr((uint64(p) * 0x9E3779B97F4A7C15) >> (64 - log))
}

// goreproObject is the base of the heap object that contains p, or 0.
func goreproObject(p uintptr) uintptr {
	s := spanOfHeap(p)
	if s == nil {
		return 0
	}
	return s.base() + s.objIndex(p)*s.elemsize
}

func (r *goreproReach) emit(a, b uint64) {
	if 2*r.n+2 <= len(r.refs) {
		r.refs[2*r.n], r.refs[2*r.n+1] = a, b
	}
	r.n++
}

// fix enters base into the fixed table; false when the table is full.
func (r *goreproReach) fix(base uintptr, value uint8) bool {
	if base == 0 {
		return true
	}
	if 2*(r.fixedUsed+1) > len(r.fixed) {
		return false
	}
	mask := uintptr(len(r.fixed) - 1)
	for i := goreproSlot(base, r.fixedLog); ; i = (i + 1) & mask {
		if r.fixed[i] == base {
			r.fixedValue[i] |= value
			return true
		}
		if r.fixed[i] == 0 {
			r.fixed[i], r.fixedValue[i] = base, value
			r.fixedUsed++
			return true
		}
	}
}

func (r *goreproReach) lookup(base uintptr) (uint8, bool) {
	mask := uintptr(len(r.fixed) - 1)
	for i := goreproSlot(base, r.fixedLog); r.fixed[i] != 0; i = (i + 1) & mask {
		if r.fixed[i] == base {
			return r.fixedValue[i], true
		}
	}
	return 0, false
}

// push follows one pointer word.
func (r *goreproReach) push(p uintptr) {
	r.words++
	if r.words > goreproReachWords {
		r.incomplete = true
		return
	}
	if r.stack.lo <= p && p < r.stack.hi {
		// An address-taken local: live because a live slot points to it, as the
		// collector decides.
		for i := r.live; i < r.nblocks; i++ {
			if o := &r.blocks[i]; o.b <= p && p < o.b+o.n && !o.scanned {
				o.scanned = true
				r.block(o.b, o.n, o.mask)
			}
		}
		return
	}
	base := goreproObject(p)
	if base == 0 {
		return
	}
	v, fixed := r.lookup(base)
	if fixed && v == 0 {
		return
	}
	mask := uintptr(len(r.seen) - 1)
	i := goreproSlot(base, goreproReachLog)
	for ; r.seen[i] != 0; i = (i + 1) & mask {
		if r.seen[i] == base {
			return
		}
	}
	if r.objects == len(r.work) || r.total == goreproReachTotal {
		r.incomplete = true
		return
	}
	r.total++
	r.seen[i] = base
	r.work[r.objects] = base
	r.objects++
	if fixed {
		r.emit(r.goid, uint64(base))
	}
}

// block follows the words of [b, b+n) whose bit is set in mask.
func (r *goreproReach) block(b, n uintptr, mask *uint8) {
	for i := uintptr(0); i < n; i += goarch.PtrSize {
		if *addb(mask, i/(goarch.PtrSize*8))>>(i/goarch.PtrSize%8)&1 != 0 {
			r.push(*(*uintptr)(unsafe.Pointer(b + i)))
		}
	}
}

// goroutine scans the live pointer slots of gp's stack, as the garbage
// collector's stack maps give them, and every heap object they reach.
func (r *goreproReach) goroutine(gp *g) {
	clear(r.seen)
	r.objects, r.words, r.incomplete, r.goid = 0, 0, false, gp.goid
	r.nblocks, r.live, r.stack = 0, 0, gp.stack
	var u unwinder
	for u.init(gp, 0); u.valid() && !r.incomplete; u.next() {
		frame := &u.frame
		if frame.fn.valid() && (frame.fn.funcID == abi.FuncID_asyncPreempt || frame.fn.funcID == abi.FuncID_debugCallV2) {
			r.incomplete = true // the interrupted frame's registers have no precise map
			return
		}
		locals, args, _ := frame.getStackMap(false)
		if locals.n > 0 {
			size := uintptr(locals.n) * goarch.PtrSize
			r.addBlock(frame.varp-size, size, locals.bytedata)
		}
		if args.n > 0 {
			r.addBlock(frame.argp, uintptr(args.n)*goarch.PtrSize, args.bytedata)
		}
	}
	// The stack objects (address-taken locals) of every frame, scanned only when
	// a live slot reaches them.
	r.live = r.nblocks
	for u.init(gp, 0); u.valid() && !r.incomplete; u.next() {
		frame := &u.frame
		_, _, objs := frame.getStackMap(false)
		if frame.varp == 0 {
			continue
		}
		for i := range objs {
			obj := &objs[i]
			base := frame.varp
			if obj.off >= 0 {
				base = frame.argp
			}
			ptr := base + uintptr(obj.off)
			if ptr < frame.sp {
				continue
			}
			n, mask := obj.gcdata()
			r.addBlock(ptr, n, mask)
		}
	}
	if gp.sched.ctxt != nil {
		r.push(uintptr(gp.sched.ctxt))
	}
	for i := 0; i < r.live && !r.incomplete; i++ {
		r.block(r.blocks[i].b, r.blocks[i].n, r.blocks[i].mask)
	}
	for i := 0; i < r.objects && !r.incomplete; i++ {
		base := r.work[i]
		s := spanOfHeap(base)
		if s == nil || s.spanclass.noscan() {
			continue
		}
		limit := base + s.elemsize
		tp := s.typePointersOfUnchecked(base)
		for !r.incomplete {
			var addr uintptr
			if tp, addr = tp.nextFast(); addr == 0 {
				if tp, addr = tp.next(limit); addr == 0 {
					break
				}
			}
			r.push(*(*uintptr)(unsafe.Pointer(addr)))
		}
	}
}

// goreproReferences stops the world and writes into bases the heap object that
// contains each target (0 off the heap), and into refs, for every parked
// goroutine, one pair (goid, base) per target object the goroutine still reaches
// from the live slots of its stack through the heap (the goroutines that could
// still operate on it), then (goid, goreproRefScanned), or (goid,
// goreproRefIncomplete) alone when its scan gave up. Globals are not roots: a
// target reached only from a global is reached by nobody. It returns how many
// pairs it wanted to write.
//
//go:linkname goreproReferences
func goreproReferences(targets, bases []uintptr, refs []uint64) int {
	r := &goreproReach{
		seen:   make([]uintptr, 1<<goreproReachLog),
		work:   make([]uintptr, goreproReachObjects),
		blocks: make([]goreproBlock, goreproReachBlocks),
		refs:   refs,
	}
	// Room for every goroutine, M, P, target and a few sudogs each; goroutines
	// created since are caught by fix.
	want := 4 * (int(atomic.Loaduintptr(&allglen)) + len(targets) + 64)
	for r.fixedLog = 6; 1<<r.fixedLog < 2*want; r.fixedLog++ {
	}
	r.fixed = make([]uintptr, 1<<r.fixedLog)
	r.fixedValue = make([]uint8, 1<<r.fixedLog)
	stw := stopTheWorld(stwGoroutineProfile)
	room := true
	forEachGRace(func(gp *g) {
		room = room && r.fix(goreproObject(uintptr(unsafe.Pointer(gp))), 0)
		for sg := gp.waiting; sg != nil; sg = sg.waitlink {
			room = room && r.fix(goreproObject(uintptr(unsafe.Pointer(sg))), 0)
		}
	})
	for mp := allm; mp != nil; mp = mp.alllink {
		room = room && r.fix(goreproObject(uintptr(unsafe.Pointer(mp))), 0)
	}
	for _, pp := range allp {
		room = room && r.fix(goreproObject(uintptr(unsafe.Pointer(pp))), 0)
	}
	for k, t := range targets {
		if k < len(bases) {
			bases[k] = goreproObject(t)
			room = room && r.fix(bases[k], 1)
		}
	}
	forEachGRace(func(gp *g) {
		if isSystemGoroutine(gp, false) {
			return
		}
		if status := readgstatus(gp) &^ _Gscan; status != _Gwaiting && status != _Gleaked {
			return
		}
		if !room {
			r.emit(gp.goid, goreproRefIncomplete)
			return
		}
		start := r.n
		r.goroutine(gp)
		if r.incomplete {
			r.n = start
			r.emit(gp.goid, goreproRefIncomplete)
		} else {
			r.emit(gp.goid, goreproRefScanned)
		}
	})
	startTheWorld(stw)
	return r.n
}
