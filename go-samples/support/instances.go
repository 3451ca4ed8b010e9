package support

import (
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// This file turns the runtime's instance snapshot (raw records from
// goreproSnapshot, which the harness adds to package runtime by -overlay; see
// instances_on.go) into instances.json. It needs no overlay itself, so it is
// tested with plain `go test`.

const instancesFile = "instances.json"

// instanceSnapshot is instances.json.
type instanceSnapshot struct {
	Goroutines       []instGoroutine `json:"goroutines"`
	Waits            []instWait      `json:"waits"`
	Holds            []instHold      `json:"holds"`
	RegistryOverflow uint64          `json:"registry_overflow"`
	Objects          []instObject    `json:"objects"`
	// The lock order of the run (lockorder.go), and what its tables dropped:
	// edges, and acquires not tracked at all.
	LockOrder             []instEdge `json:"lock_order"`
	LockOrderDropped      uint64     `json:"lock_order_dropped"`
	LockOrderHoldsDropped uint64     `json:"lock_order_holds_dropped"`
	// Who still reaches each waited-on object: one entry per goroutine that was
	// parked (and so scanned).
	References []instReference `json:"references"`
}

// instReference says which waited-on objects goroutine Goid still reaches from
// the live slots of its stack through the heap (so could still send, receive,
// signal, unlock...). Incomplete: the scan gave up, it may reach anything.
type instReference struct {
	Goid       uint64   `json:"goid"`
	Objects    []string `json:"objects"`
	Incomplete bool     `json:"incomplete,omitempty"`
}

// instGoroutine is a live goroutine when the world was stopped (system
// goroutines left out).
type instGoroutine struct {
	Goid   uint64 `json:"goid"`
	Status string `json:"status"`
}

// instWait says goroutine Goid is parked on Object (one per select case).
// Object, Kind and Op are empty when it is parked on no object (a nil channel,
// select {}, a sleep).
type instWait struct {
	Goid   uint64 `json:"goid"`
	Reason string `json:"reason"`
	Leaked bool   `json:"leaked"`
	Object string `json:"object,omitempty"`
	Kind   string `json:"kind,omitempty"`
	Op     string `json:"op,omitempty"`
}

// instHold says goroutine Goid acquired Object in Mode at Stack (innermost
// first; sync and runtime frames dropped except sync.(*Once).doSlow). Goid 0:
// the record was being written when the world stopped.
type instHold struct {
	Object string      `json:"object"`
	Kind   string      `json:"kind"`
	Mode   string      `json:"mode"`
	Goid   uint64      `json:"goid"`
	Alive  bool        `json:"holder_alive"`
	Stack  []instFrame `json:"stack"`
}

type instFrame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
}

// instObject is the state of one waited-on instance, read under the stopped
// world. Which fields are set depends on Kind.
type instObject struct {
	Addr string `json:"addr"`
	Kind string `json:"kind"`
	// chan
	Cap    *uint64 `json:"cap,omitempty"`
	Len    *uint64 `json:"len,omitempty"`
	Closed *bool   `json:"closed,omitempty"`
	Timer  *bool   `json:"timer,omitempty"`
	// Only for a timer's channel: the timer will still fire (send).
	TimerPending *bool    `json:"timer_pending,omitempty"`
	Senders      []uint64 `json:"senders,omitempty"`
	Receivers    []uint64 `json:"receivers,omitempty"`
	// mutex, and the writer mutex w of an rwmutex
	Locked      *bool   `json:"locked,omitempty"`
	SemaWaiters *uint64 `json:"sema_waiters,omitempty"`
	// rwmutex (unset when it was seen only through a writer queued on w)
	Readers       *int64 `json:"readers,omitempty"`
	WriterPending *bool  `json:"writer_pending,omitempty"`
	ReaderWait    *int64 `json:"reader_wait,omitempty"`
	// waitgroup
	Counter *int64  `json:"counter,omitempty"`
	Waiters *uint64 `json:"waiters,omitempty"`
	// cond
	WaitTicket   *uint64 `json:"wait_ticket,omitempty"`
	NotifyTicket *uint64 `json:"notify_ticket,omitempty"`
	// every kind but chan: the goroutines parked on it
	Blocked []uint64 `json:"blocked,omitempty"`
}

// Record layout and codes of goreproSnapshot (the runtime side of the overlay).
const (
	instWaitWords = 8
	instHoldWords = 8

	instKindNone      = 0
	instKindChan      = 1
	instKindMutex     = 2
	instKindRWMutexR  = 3
	instKindRWMutexW  = 4
	instKindWaitGroup = 5
	instKindCond      = 6
	instKindSema      = 7

	instStateWaiting = 4
	instStateLeaked  = 5

	rwmutexMaxReaders = 1 << 30 // sync.rwmutexMaxReaders
)

var instStates = []string{"other", "runnable", "running", "syscall", "waiting", "leaked", "preempted", "copystack"}

// rawInstances is the runtime's snapshot as it wrote it: nw wait and nh hold
// records, the registry's overflow count, and the names of wait reason codes.
type rawInstances struct {
	waits, holds []uint64
	nw, nh       int
	overflow     uint64
	reason       func(uint8) string
	// The reference scan: the waited-on objects, the heap object around each,
	// and nr (goid, base) pairs.
	targets, bases []uintptr
	refs           []uint64
	nr             int
	order          *rawLockOrder
}

// instances is the snapshot for the evidence, taken right after the final dump
// (both stop the world; in the quiescent state of a verdict nothing moves in
// between), or nil without an evidence directory or without the overlay. It is
// decoded and written after the trace stops (writeEvidence).
func (s *supervisor) instances() *rawInstances {
	if s.cfg.evidenceDir == "" {
		return nil
	}
	return takeInstances()
}

func (r *rawInstances) decode() instanceSnapshot {
	s := decodeInstances(r.waits, r.holds, r.nw, r.nh, r.overflow, r.reason)
	s.LockOrder = decodeLockOrder(r.order)
	if r.order != nil {
		s.LockOrderDropped, s.LockOrderHoldsDropped = r.order.edgesDropped, r.order.holdsDropped
	}
	s.References = decodeReferences(r.targets, r.bases, r.refs, r.nr)
	return s
}

// waitTargets lists, once each, the objects nw wait records name.
func waitTargets(waits []uint64, nw int) []uintptr {
	var targets []uintptr
	for i := range nw {
		r := waits[i*instWaitWords:][:instWaitWords]
		if r[1]&0xff != instKindNone && !slices.Contains(targets, uintptr(r[2])) {
			targets = append(targets, uintptr(r[2]))
		}
	}
	return targets
}

// Markers in the pairs of the reference scan (goreproRefScanned, goreproRefIncomplete).
const (
	refIncomplete = ^uint64(0)
	refScanned    = ^uint64(0) - 1
)

// decodeReferences turns nr (goid, object base) pairs into one reference entry
// per scanned goroutine, naming the targets (as the waits name them) inside each
// object it reached, sorted by goroutine and address.
func decodeReferences(targets, bases []uintptr, refs []uint64, nr int) []instReference {
	out := []instReference{}
	reached := map[uint64]bool{}
	for i := range nr {
		goid, v := refs[2*i], refs[2*i+1]
		switch v {
		case refIncomplete:
			out = append(out, instReference{Goid: goid, Objects: []string{}, Incomplete: true})
			clear(reached)
		case refScanned:
			objects := []string{}
			for k, t := range targets {
				if k < len(bases) && bases[k] != 0 && reached[uint64(bases[k])] {
					objects = append(objects, hexAddr(uint64(t)))
				}
			}
			slices.SortFunc(objects, func(a, b string) int { return cmp.Compare(parseHex(a), parseHex(b)) })
			out = append(out, instReference{Goid: goid, Objects: objects})
			clear(reached)
		default:
			reached[v] = true
		}
	}
	slices.SortFunc(out, func(a, b instReference) int { return cmp.Compare(a.Goid, b.Goid) })
	return out
}

// decodeInstances turns nw wait and nh hold records into the snapshot; reason
// names a wait reason code.
func decodeInstances(waits, holds []uint64, nw, nh int, overflow uint64, reason func(uint8) string) instanceSnapshot {
	s := instanceSnapshot{
		Goroutines:       []instGoroutine{},
		Waits:            []instWait{},
		Holds:            []instHold{},
		RegistryOverflow: overflow,
		Objects:          []instObject{},
		LockOrder:        []instEdge{},
	}
	objs := map[uint64]*instObject{}
	obj := func(addr uint64, kind string) *instObject {
		o := objs[addr]
		if o == nil {
			o = &instObject{Addr: hexAddr(addr), Kind: kind}
			objs[addr] = o
		}
		return o
	}
	alive := map[uint64]bool{}
	for i := range nw {
		r := waits[i*instWaitWords:][:instWaitWords]
		goid, kind, state := r[0], r[1]&0xff, r[1]>>32
		if !alive[goid] {
			alive[goid] = true
			name := "other"
			if state < uint64(len(instStates)) {
				name = instStates[state]
			}
			s.Goroutines = append(s.Goroutines, instGoroutine{Goid: goid, Status: name})
		}
		if state != instStateWaiting && state != instStateLeaked {
			continue
		}
		w := instWait{Goid: goid, Reason: reason(uint8(r[1] >> 8)), Leaked: state == instStateLeaked}
		if kind != instKindNone {
			w.Object = hexAddr(r[2])
		}
		switch kind {
		case instKindChan:
			w.Kind = "chan"
			o := obj(r[2], "chan")
			o.Cap, o.Len = ptr(r[5]), ptr(r[6])
			o.Closed, o.Timer = ptr(r[7]&2 != 0), ptr(r[7]&1 != 0)
			if r[7]&1 != 0 {
				o.TimerPending = ptr(r[7]&4 != 0)
			}
			switch r[4] {
			case 1:
				w.Op = "send"
				o.Senders = append(o.Senders, goid)
			case 2:
				w.Op = "recv"
				o.Receivers = append(o.Receivers, goid)
			}
		case instKindMutex:
			w.Kind, w.Op = "mutex", "lock"
			o := obj(r[2], "mutex")
			o.Locked, o.SemaWaiters = mutexState(r[4])
			o.Blocked = append(o.Blocked, goid)
		case instKindRWMutexR, instKindRWMutexW:
			w.Kind, w.Op = "rwmutex", "lock"
			if kind == instKindRWMutexR {
				w.Op = "rlock"
			}
			o := obj(r[2], "rwmutex")
			o.Kind = "rwmutex" // also when a writer queued on w saw it as a mutex first
			readers := int64(int32(uint32(r[4])))
			pending := readers < 0
			if pending {
				readers += rwmutexMaxReaders
			}
			o.Readers, o.WriterPending = &readers, &pending
			o.ReaderWait = ptr(int64(int32(uint32(r[5]))))
			o.Locked, o.SemaWaiters = mutexState(r[6])
			o.Blocked = append(o.Blocked, goid)
		case instKindWaitGroup:
			w.Kind, w.Op = "waitgroup", "wait"
			o := obj(r[2], "waitgroup")
			o.Counter, o.Waiters = ptr(int64(int32(r[4]>>32))), ptr(uint64(uint32(r[4])))
			o.Blocked = append(o.Blocked, goid)
		case instKindCond:
			w.Kind, w.Op = "cond", "wait"
			o := obj(r[2], "cond")
			o.WaitTicket, o.NotifyTicket = ptr(r[4]), ptr(r[5])
			o.Blocked = append(o.Blocked, goid)
		case instKindSema:
			w.Kind, w.Op = "sema", "acquire"
			o := obj(r[2], "sema")
			o.Blocked = append(o.Blocked, goid)
		}
		s.Waits = append(s.Waits, w)
	}
	for i := range nh {
		r := holds[i*instHoldWords:][:instHoldWords]
		addr := r[0] &^ 3
		h := instHold{
			Object: hexAddr(addr),
			Kind:   map[uint64]string{1: "mutex", 2: "rwmutex"}[r[2]>>2],
			Mode:   map[uint64]string{1: "write", 2: "read"}[r[0]&3],
			Goid:   r[1],
			Alive:  alive[r[1]],
			Stack:  acquireStack(r[3:]),
		}
		s.Holds = append(s.Holds, h)
		if h.Kind == "rwmutex" && objs[addr] != nil {
			objs[addr].Kind = "rwmutex"
		}
	}
	// A writer queued behind another writer waits on the RWMutex's inner Mutex
	// w, at the RWMutex's own address, so the runtime saw a mutex: an RLock or
	// Lock wait or a hold there tells the kind.
	for j := range s.Waits {
		if w := &s.Waits[j]; w.Kind == "mutex" && objs[parseHex(w.Object)].Kind == "rwmutex" {
			w.Kind = "rwmutex"
		}
	}
	for _, o := range objs {
		s.Objects = append(s.Objects, *o)
	}
	byAddr := func(a, b string) int { return cmp.Compare(parseHex(a), parseHex(b)) }
	slices.SortFunc(s.Goroutines, func(a, b instGoroutine) int { return cmp.Compare(a.Goid, b.Goid) })
	slices.SortStableFunc(s.Waits, func(a, b instWait) int { return cmp.Compare(a.Goid, b.Goid) })
	slices.SortFunc(s.Holds, func(a, b instHold) int {
		return cmp.Or(byAddr(a.Object, b.Object), cmp.Compare(a.Goid, b.Goid), strings.Compare(a.Mode, b.Mode))
	})
	slices.SortFunc(s.Objects, func(a, b instObject) int { return byAddr(a.Addr, b.Addr) })
	return s
}

// mutexState reads an internal/sync.Mutex state word: locked bit, waiter count.
func mutexState(state uint64) (*bool, *uint64) {
	return ptr(state&1 != 0), ptr(uint64(uint32(state)) >> 3)
}

// acquireStack symbolizes the return PCs the registry kept for an acquire,
// expanding inlined calls. The lock methods themselves (sync.*, runtime.*) are
// dropped; sync.(*Once).doSlow stays as the sign of a Once.
func acquireStack(pcs []uint64) []instFrame {
	var callers []uintptr
	for _, pc := range pcs {
		if pc == 0 {
			break
		}
		callers = append(callers, uintptr(pc))
	}
	stack := []instFrame{}
	if len(callers) == 0 {
		return stack
	}
	frames := runtime.CallersFrames(callers)
	for {
		f, more := frames.Next()
		drop := strings.HasPrefix(f.Function, "sync.") || strings.HasPrefix(f.Function, "runtime.")
		if f.Function != "" && (!drop || f.Function == "sync.(*Once).doSlow") {
			stack = append(stack, instFrame{Function: f.Function, File: f.File, Line: f.Line})
		}
		if !more {
			return stack
		}
	}
}

// writeInstances writes instances.json into dir.
func writeInstances(dir string, s *instanceSnapshot) error {
	data, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, instancesFile), append(data, '\n'), 0o644)
}

func hexAddr(a uint64) string { return "0x" + strconv.FormatUint(a, 16) }

func parseHex(s string) uint64 {
	v, _ := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	return v
}

func ptr[T any](v T) *T { return &v }
