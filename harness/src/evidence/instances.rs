//! `instances.json`: which object each blocked goroutine waits on, and which goroutine holds
//! each lock, as the runtime knew it at the verdict.
//!
//! The support package writes it right after the final dump (`goroutines.txt`), in the same
//! quiescent state, from a stop-the-world snapshot taken by the runtime file that every build
//! lays over the toolchain ([`crate::codegen::instances`]). Goroutine ids are the dump's. A run
//! that panicked or died of a fatal error never reached a verdict and has no such file; neither
//! has an exported module under plain `go run`.
//!
//! What the data can and cannot say:
//!
//! - Waits come from the runtime's own wait records, so every goroutine parked on a channel,
//!   select (one [`Wait`] per case), Mutex, RWMutex, WaitGroup or Cond names its object.
//! - Holds come from a fixed-size registry fed by `sync.Mutex`/`sync.RWMutex` (every package's
//!   locks, the standard library's included). A full registry drops records and counts them
//!   in [`Instances::registry_overflow`]; a lock copied while held has no record at the
//!   copy's address. Other primitives (channels, WaitGroups) have no holders.
//! - A `sync.Once` shows up as a [`Kind::Mutex`] at the Once's address + 4 whose holder's
//!   stack contains `sync.(*Once).doSlow`.
//! - References (who still reaches each waited-on object) come from a scan of every parked
//!   goroutine's live stack slots, as the collector's stack maps give them, and of the heap
//!   objects they reach. Globals are not roots, so an object reached only through a global is
//!   reached by nobody here; a scan that hits its budget says so ([`Reference::incomplete`]).
//! - Addresses differ from run to run: compare them within one file, never across runs.

use serde::{Deserialize, Deserializer};

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Instances {
    /// Every live goroutine when the world was stopped (the supervisor included, system
    /// goroutines left out), sorted by id.
    pub goroutines: Vec<LiveGoroutine>,
    /// What each parked goroutine waits on; several per goroutine for a select. Sorted by
    /// goroutine.
    pub waits: Vec<Wait>,
    /// Recorded lock holders, sorted by object.
    pub holds: Vec<Hold>,
    /// Acquisitions the registry could not record (it was full around that address). Above 0,
    /// a lock may be held with no [`Hold`] saying so.
    pub registry_overflow: u64,
    /// The state of every object some goroutine waits on, sorted by address.
    pub objects: Vec<Object>,
    /// Which of those objects each parked goroutine still reaches (from the live slots of its
    /// stack, through the heap): the goroutines that could still operate on them. Sorted by
    /// goroutine; empty in a file from before the scan existed.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// The lock order of the whole run: each edge "acquired `to` while holding `from`", once,
    /// as first seen. Absent from files of an older support package.
    #[serde(default)]
    pub lock_order: Vec<OrderEdge>,
    /// Lock-order edges the runtime's table had no room for: above 0, a cycle may be missing.
    #[serde(default)]
    pub lock_order_dropped: u64,
    /// Acquires the lock-order tracking did not follow (too many goroutines holding locks at
    /// once, or one goroutine holding too many): their edges are missing.
    #[serde(default)]
    pub lock_order_holds_dropped: u64,
}

/// The waited-on objects goroutine `goid` still reaches. Globals are not followed: an object
/// reached only through a global is reached by nobody here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reference {
    pub goid: u64,
    #[serde(deserialize_with = "hex_list")]
    pub objects: Vec<u64>,
    /// The scan gave up (too much heap): the goroutine may reach anything.
    #[serde(default)]
    pub incomplete: bool,
}

/// One lock-order edge: goroutine `goid` acquired `to` while it held `from`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderEdge {
    #[serde(deserialize_with = "hex")]
    pub from: u64,
    pub from_kind: Kind,
    pub from_mode: Mode,
    #[serde(deserialize_with = "hex")]
    pub to: u64,
    pub to_kind: Kind,
    pub to_mode: Mode,
    /// The goroutine of the first sighting (it may have exited since).
    pub goid: u64,
    /// Another goroutine took the same edge later.
    pub shared: bool,
    /// Locks every sighting of the edge held in write mode (gate locks): two opposite edges
    /// under a common gate never overlap in time.
    #[serde(default, deserialize_with = "hex_list")]
    pub gates: Vec<u64>,
    /// Where `from` and `to` were acquired, as [`Hold::stack`].
    pub from_stack: Vec<Frame>,
    pub to_stack: Vec<Frame>,
}

/// A goroutine that existed when the world was stopped.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LiveGoroutine {
    pub goid: u64,
    pub status: Status,
}

/// A goroutine's scheduling state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Runnable,
    Running,
    Syscall,
    /// Parked: see its [`Wait`]s.
    Waiting,
    /// Parked, and the goroutine-leak profile found it unreachable (it can never wake).
    Leaked,
    Preempted,
    Copystack,
    #[serde(other)]
    Other,
}

/// Goroutine `goid` is parked on `object`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Wait {
    pub goid: u64,
    /// The runtime's wait reason, as the dump prints it (`sync.Mutex.Lock`, `select`).
    pub reason: String,
    /// The goroutine-leak profile marked it.
    pub leaked: bool,
    /// The object's address; `None` when it waits on no object (a nil channel, `select {}`,
    /// a sleep), and then `kind` and `op` are `None` too.
    #[serde(default, deserialize_with = "optional_hex")]
    pub object: Option<u64>,
    #[serde(default)]
    pub kind: Option<Kind>,
    /// `None` for a select case whose direction the runtime could not tell.
    #[serde(default)]
    pub op: Option<Op>,
}

/// What kind of primitive an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Chan,
    Mutex,
    #[serde(rename = "rwmutex")]
    RwMutex,
    #[serde(rename = "waitgroup")]
    WaitGroup,
    Cond,
    /// Some other semaphore (`semacquire`).
    Sema,
    #[serde(other)]
    Unknown,
}

/// What a goroutine is trying to do to the object it waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// A channel send (also a select's send case).
    Send,
    /// A channel receive (also a select's receive case).
    Recv,
    /// `Mutex.Lock`, `RWMutex.Lock` (also `Once.Do` waiting for a running `f`).
    Lock,
    /// `RWMutex.RLock`.
    #[serde(rename = "rlock")]
    RLock,
    /// `WaitGroup.Wait` or `Cond.Wait`.
    Wait,
    /// Any other semaphore.
    Acquire,
    #[serde(other)]
    Unknown,
}

/// Goroutine `goid` holds the lock at `object` (recorded by the overlaid `sync`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Hold {
    #[serde(deserialize_with = "hex")]
    pub object: u64,
    /// [`Kind::Mutex`] or [`Kind::RwMutex`].
    pub kind: Kind,
    pub mode: Mode,
    /// 0 when the record was being written as the world stopped (only for a running holder).
    pub goid: u64,
    /// Whether the holder still exists. A holder that returned (or exited) with the lock held
    /// keeps its record.
    #[serde(rename = "holder_alive")]
    pub alive: bool,
    /// Where it acquired the lock, innermost first: up to five physical frames, inlined calls
    /// expanded, `sync.` and `runtime.` frames dropped except `sync.(*Once).doSlow`. Files are
    /// as the dump prints them (`-trimpath`: `module/path/file.go`).
    pub stack: Vec<Frame>,
}

/// How a lock is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `Lock` of a Mutex or RWMutex.
    Write,
    /// `RLock` of an RWMutex.
    Read,
    #[serde(other)]
    Unknown,
}

/// One frame of an acquire stack.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Frame {
    pub function: String,
    pub file: String,
    pub line: u32,
}

/// One waited-on object and its state, read under the stopped world.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Object {
    #[serde(rename = "addr", deserialize_with = "hex")]
    pub address: u64,
    #[serde(flatten)]
    pub state: ObjectState,
}

/// An object's kind and its kind's state. Goroutine lists are ids.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ObjectState {
    Chan {
        /// Buffer size; 0 for an unbuffered channel.
        cap: u64,
        /// Values in the buffer.
        len: u64,
        closed: bool,
        /// The channel of a `time.Timer`/`time.Ticker` (the runtime can still send on it).
        #[serde(default)]
        timer: bool,
        /// For a timer's channel: whether the timer will still fire. `None` when not a timer's
        /// (or in a file from before the field existed).
        #[serde(default)]
        timer_pending: Option<bool>,
        /// Goroutines parked sending (select cases included).
        #[serde(default)]
        senders: Vec<u64>,
        /// Goroutines parked receiving (select cases included).
        #[serde(default)]
        receivers: Vec<u64>,
    },
    Mutex {
        locked: bool,
        /// Goroutines the mutex's semaphore counts as waiting.
        sema_waiters: u64,
        #[serde(default)]
        blocked: Vec<u64>,
    },
    #[serde(rename = "rwmutex")]
    RwMutex {
        /// Readers holding or queued (`readerCount`). `None` (like the next two) when the
        /// RWMutex was seen only through a writer queued behind another writer.
        #[serde(default)]
        readers: Option<i64>,
        /// A writer has announced itself: it holds the lock or waits for readers to leave.
        #[serde(default)]
        writer_pending: Option<bool>,
        /// Readers the pending writer still waits for (`readerWait`).
        #[serde(default)]
        reader_wait: Option<i64>,
        /// The writers' inner mutex `w` is held (a writer holds or is acquiring the lock).
        locked: bool,
        /// Writers queued on `w`.
        sema_waiters: u64,
        #[serde(default)]
        blocked: Vec<u64>,
    },
    #[serde(rename = "waitgroup")]
    WaitGroup {
        counter: i64,
        /// Goroutines the WaitGroup counts as waiting.
        waiters: u64,
        #[serde(default)]
        blocked: Vec<u64>,
    },
    Cond {
        /// The Cond's next wait ticket; `wait_ticket - notify_ticket` waiters are unserved.
        wait_ticket: u64,
        notify_ticket: u64,
        #[serde(default)]
        blocked: Vec<u64>,
    },
    Sema {
        #[serde(default)]
        blocked: Vec<u64>,
    },
    #[serde(other)]
    Unknown,
}

impl Instances {
    /// The waits of goroutine `goid`.
    pub fn waits_of(&self, goid: u64) -> impl Iterator<Item = &Wait> {
        self.waits.iter().filter(move |w| w.goid == goid)
    }

    /// The recorded holders of the object at `address`.
    pub fn holders_of(&self, address: u64) -> impl Iterator<Item = &Hold> {
        self.holds.iter().filter(move |h| h.object == address)
    }

    /// What goroutine `goid` still reaches, if it was scanned.
    pub fn references_of(&self, goid: u64) -> Option<&Reference> {
        self.references.iter().find(|r| r.goid == goid)
    }

    /// The state of the object at `address`, if some goroutine waits on it.
    pub fn object(&self, address: u64) -> Option<&Object> {
        self.objects.iter().find(|o| o.address == address)
    }
}

/// Parses `instances.json`; the error says what is wrong with it.
pub fn parse_instances(json: &str) -> Result<Instances, serde_json::Error> {
    serde_json::from_str(json)
}

fn parse_hex<E: serde::de::Error>(text: &str) -> Result<u64, E> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| E::custom(format!("address {text:?} does not start with 0x")))?;
    u64::from_str_radix(digits, 16).map_err(|e| E::custom(format!("address {text:?}: {e}")))
}

fn hex<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    parse_hex(&String::deserialize(deserializer)?)
}

fn hex_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u64>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .iter()
        .map(|text| parse_hex(text))
        .collect()
}

fn optional_hex<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => parse_hex(&text).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every object kind, as the support package writes them (`instances_test.go` pins the Go
    /// side of the same shapes).
    const ALL_KINDS: &str = r#"{
 "goroutines": [{"goid": 1, "status": "running"}, {"goid": 8, "status": "leaked"},
                {"goid": 9, "status": "waiting"}, {"goid": 14, "status": "waiting"}],
 "waits": [
  {"goid": 8, "reason": "select", "leaked": true, "object": "0x2000", "kind": "chan", "op": "send"},
  {"goid": 8, "reason": "select", "leaked": true, "object": "0x3000", "kind": "chan", "op": "recv"},
  {"goid": 9, "reason": "sync.Mutex.Lock", "leaked": false, "object": "0x4000", "kind": "rwmutex", "op": "lock"},
  {"goid": 14, "reason": "sleep", "leaked": false}
 ],
 "holds": [
  {"object": "0x4000", "kind": "rwmutex", "mode": "write", "goid": 10, "holder_alive": false,
   "stack": [{"function": "sync.(*Once).doSlow", "file": "sync/once.go", "line": 74},
             {"function": "main.run", "file": "example.com/m/main.go", "line": 12}]}
 ],
 "registry_overflow": 3,
 "references": [{"goid": 8, "objects": ["0x2000", "0x7000"]}, {"goid": 9, "objects": [], "incomplete": true}],
 "objects": [
  {"addr": "0x2000", "kind": "chan", "cap": 1, "len": 1, "closed": false, "timer": false, "senders": [8]},
  {"addr": "0x3000", "kind": "chan", "cap": 1, "len": 0, "closed": false, "timer": true, "timer_pending": false, "receivers": [8]},
  {"addr": "0x4000", "kind": "rwmutex", "locked": true, "sema_waiters": 1, "blocked": [9]},
  {"addr": "0x5000", "kind": "rwmutex", "locked": true, "sema_waiters": 0, "readers": 2, "writer_pending": true, "reader_wait": 1, "blocked": [11]},
  {"addr": "0x6000", "kind": "waitgroup", "counter": 2, "waiters": 1, "blocked": [12]},
  {"addr": "0x7000", "kind": "cond", "wait_ticket": 1, "notify_ticket": 0, "blocked": [13]},
  {"addr": "0x8000", "kind": "sema", "blocked": [15]},
  {"addr": "0xffff8000", "kind": "mutex", "locked": false, "sema_waiters": 0}
 ]
}"#;

    #[test]
    fn every_kind_parses_into_its_state() {
        let i = parse_instances(ALL_KINDS).unwrap();
        assert_eq!(
            i.goroutines.iter().map(|g| g.status).collect::<Vec<_>>(),
            [
                Status::Running,
                Status::Leaked,
                Status::Waiting,
                Status::Waiting
            ]
        );
        let select: Vec<_> = i.waits_of(8).map(|w| (w.object, w.op)).collect();
        assert_eq!(
            select,
            [
                (Some(0x2000), Some(Op::Send)),
                (Some(0x3000), Some(Op::Recv))
            ]
        );
        let sleep = i.waits_of(14).next().unwrap();
        assert_eq!((sleep.object, sleep.kind, sleep.op), (None, None, None));
        let hold = i.holders_of(0x4000).next().unwrap();
        assert_eq!(
            (hold.kind, hold.mode, hold.goid, hold.alive),
            (Kind::RwMutex, Mode::Write, 10, false)
        );
        assert_eq!(
            hold.stack[1],
            Frame {
                function: "main.run".into(),
                file: "example.com/m/main.go".into(),
                line: 12
            }
        );
        assert_eq!(i.registry_overflow, 3);
        assert_eq!(i.references_of(8).unwrap().objects, [0x2000, 0x7000]);
        assert!(i.references_of(9).unwrap().incomplete);
        assert!(i.references_of(14).is_none());
        let state = |address| &i.object(address).unwrap().state;
        assert_eq!(
            state(0x3000),
            &ObjectState::Chan {
                cap: 1,
                len: 0,
                closed: false,
                timer: true,
                timer_pending: Some(false),
                senders: vec![],
                receivers: vec![8]
            }
        );
        // Seen only through a writer queued on its inner mutex: no reader counts.
        assert_eq!(
            state(0x4000),
            &ObjectState::RwMutex {
                readers: None,
                writer_pending: None,
                reader_wait: None,
                locked: true,
                sema_waiters: 1,
                blocked: vec![9]
            }
        );
        assert!(matches!(
            state(0x5000),
            ObjectState::RwMutex {
                readers: Some(2),
                writer_pending: Some(true),
                reader_wait: Some(1),
                ..
            }
        ));
        assert_eq!(
            state(0x6000),
            &ObjectState::WaitGroup {
                counter: 2,
                waiters: 1,
                blocked: vec![12]
            }
        );
        assert_eq!(
            state(0x7000),
            &ObjectState::Cond {
                wait_ticket: 1,
                notify_ticket: 0,
                blocked: vec![13]
            }
        );
        assert_eq!(state(0x8000), &ObjectState::Sema { blocked: vec![15] });
        assert_eq!(
            state(0xffff_8000),
            &ObjectState::Mutex {
                locked: false,
                sema_waiters: 0,
                blocked: vec![]
            }
        );
    }

    /// A newer support package may add kinds, ops and fields: they read as unknown, and the
    /// rest of the file still parses.
    #[test]
    fn unknown_kinds_and_fields_do_not_spoil_the_file() {
        let json = r#"{"goroutines": [{"goid": 3, "status": "zombie"}],
            "waits": [{"goid": 3, "reason": "x", "leaked": false, "object": "0x10",
                       "kind": "spinlock", "op": "spin", "extra": 1}],
            "holds": [{"object": "0x10", "kind": "spinlock", "mode": "shared", "goid": 3,
                       "holder_alive": true, "stack": []}],
            "registry_overflow": 0,
            "objects": [{"addr": "0x10", "kind": "spinlock", "spins": 7}],
            "version": 2}"#;
        let i = parse_instances(json).unwrap();
        assert_eq!(i.goroutines[0].status, Status::Other);
        assert_eq!(
            (i.waits[0].kind, i.waits[0].op),
            (Some(Kind::Unknown), Some(Op::Unknown))
        );
        assert_eq!(i.holds[0].mode, Mode::Unknown);
        assert_eq!(i.objects[0].state, ObjectState::Unknown);
    }

    #[test]
    fn lock_order_edges_parse_and_older_files_have_none() {
        let json = r#"{"goroutines": [], "waits": [], "holds": [], "registry_overflow": 0,
            "objects": [], "lock_order_dropped": 1, "lock_order_holds_dropped": 0,
            "lock_order": [{"from": "0x10", "from_kind": "rwmutex", "from_mode": "read",
                "to": "0x20", "to_kind": "mutex", "to_mode": "write", "goid": 7,
                "shared": true, "gates": ["0x30"],
                "from_stack": [{"function": "main.a", "file": "m/a.go", "line": 3}],
                "to_stack": []}]}"#;
        let i = parse_instances(json).unwrap();
        let e = &i.lock_order[0];
        assert_eq!(
            (e.from, e.from_kind, e.from_mode, e.to, e.to_mode),
            (0x10, Kind::RwMutex, Mode::Read, 0x20, Mode::Write)
        );
        assert_eq!(
            (e.goid, e.shared, e.gates.as_slice()),
            (7, true, &[0x30][..])
        );
        assert_eq!(e.from_stack[0].line, 3);
        assert_eq!(i.lock_order_dropped, 1);
        let older = parse_instances(
            r#"{"goroutines": [], "waits": [], "holds": [], "registry_overflow": 0, "objects": []}"#,
        )
        .unwrap();
        assert!(older.lock_order.is_empty() && older.lock_order_dropped == 0);
    }

    #[test]
    fn addresses_must_be_hex() {
        for bad in ["\"4096\"", "\"0xzz\"", "4096", "\"0x1ffffffffffffffff\""] {
            let json = format!(
                r#"{{"goroutines": [], "waits": [], "holds": [], "registry_overflow": 0,
                    "objects": [{{"addr": {bad}, "kind": "sema"}}]}}"#
            );
            assert!(parse_instances(&json).is_err(), "{bad}");
        }
        let err = parse_instances(
            r#"{"goroutines": [], "holds": [], "registry_overflow": 0, "objects": [],
                "waits": [{"goid": 1, "reason": "r", "leaked": false, "object": "12"}]}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("\"12\" does not start with 0x"),
            "{err}"
        );
    }
}
