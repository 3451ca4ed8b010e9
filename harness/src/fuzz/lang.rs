//! The language of fuzzed concurrent programs, and the proptest strategies that generate it.
//!
//! A program is a few goroutines, each a straight-line list of operations over a fixed set of
//! shared objects: two channels (each with a capacity, or nil), two mutexes, one RWMutex, one
//! WaitGroup, one Cond over the first mutex, and one cancellable context. Goroutine 0 is the
//! root (the program function); it starts the others before its first operation. The object
//! set is fixed so that operations never refer to something that does not exist and proptest
//! shrinks programs by dropping operations and goroutines, never by renumbering objects.
//! The generator draws short idioms (lock then unlock, wait on the Cond under its lock, add
//! then done) as well as single operations, so most programs do something meaningful.

use std::fmt;

use proptest::prelude::*;

/// Number of channels; operations name them `0..CHANNELS`.
pub const CHANNELS: usize = 2;
/// Number of mutexes; the Cond uses mutex 0.
pub const MUTEXES: usize = 2;

/// One fuzzed program.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Capacity of each channel; `None` is a nil channel (declared, never made).
    pub channels: [Option<u8>; CHANNELS],
    /// `goroutines[0]` is the root; the others are started by it, in order, before it runs.
    pub goroutines: Vec<Vec<Op>>,
}

/// One operation of a goroutine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
pub enum Op {
    Send(u8),
    Recv(u8),
    Close(u8),
    /// `select` over the cases, with a `default` branch or not. Without a default there are
    /// at least two cases (Go compiles a one-case select into a plain channel operation).
    Select(Vec<Case>, bool),
    Lock(u8),
    Unlock(u8),
    RLock,
    RUnlock,
    /// `RWMutex.Lock`.
    WLock,
    /// `RWMutex.Unlock`.
    WUnlock,
    /// `WaitGroup.Add(n)`, n > 0.
    Add(u8),
    Done,
    Wait,
    CondWait,
    Signal,
    Broadcast,
    Cancel,
    /// `<-ctx.Done()`.
    AwaitDone,
}

/// One communication of a `select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
pub enum Case {
    Send(u8),
    Recv(u8),
    Done,
}

impl Op {
    /// The operation as one line of Go, with the objects' names used by the renderer.
    pub fn go(&self) -> String {
        match self {
            Op::Send(c) => format!("ch{c} <- 0"),
            Op::Recv(c) => format!("<-ch{c}"),
            Op::Close(c) => format!("close(ch{c})"),
            Op::Select(cases, default) => {
                let mut s = String::from("select {");
                for case in cases {
                    s.push_str(&match case {
                        Case::Send(c) => format!(" case ch{c} <- 0:"),
                        Case::Recv(c) => format!(" case <-ch{c}:"),
                        Case::Done => " case <-ctx.Done():".to_string(),
                    });
                }
                if *default {
                    s.push_str(" default:");
                }
                s.push_str(" }");
                s
            }
            Op::Lock(m) => format!("mu{m}.Lock()"),
            Op::Unlock(m) => format!("mu{m}.Unlock()"),
            Op::RLock => "rw.RLock()".into(),
            Op::RUnlock => "rw.RUnlock()".into(),
            Op::WLock => "rw.Lock()".into(),
            Op::WUnlock => "rw.Unlock()".into(),
            Op::Add(n) => format!("wg.Add({n})"),
            Op::Done => "wg.Done()".into(),
            Op::Wait => "wg.Wait()".into(),
            Op::CondWait => "cond.Wait()".into(),
            Op::Signal => "cond.Signal()".into(),
            Op::Broadcast => "cond.Broadcast()".into(),
            Op::Cancel => "cancel()".into(),
            Op::AwaitDone => "<-ctx.Done()".into(),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.go())
    }
}

fn channel() -> impl Strategy<Value = u8> {
    0..CHANNELS as u8
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![
        channel().prop_map(Case::Send),
        channel().prop_map(Case::Recv),
        Just(Case::Done),
    ]
}

fn select() -> impl Strategy<Value = Op> {
    prop_oneof![
        prop::collection::vec(case(), 2..=3).prop_map(|cases| Op::Select(cases, false)),
        prop::collection::vec(case(), 1..=2).prop_map(|cases| Op::Select(cases, true)),
    ]
}

/// An idiom: one to three operations that belong together.
fn idiom() -> impl Strategy<Value = Vec<Op>> {
    let mutex = 0..MUTEXES as u8;
    prop_oneof![
        3 => channel().prop_map(|c| vec![Op::Send(c)]),
        3 => channel().prop_map(|c| vec![Op::Recv(c)]),
        1 => channel().prop_map(|c| vec![Op::Close(c)]),
        2 => select().prop_map(|s| vec![s]),
        2 => mutex.clone().prop_map(|m| vec![Op::Lock(m), Op::Unlock(m)]),
        1 => mutex.clone().prop_map(|m| vec![Op::Lock(m)]),
        1 => mutex.prop_map(|m| vec![Op::Unlock(m)]),
        1 => Just(vec![Op::RLock, Op::RUnlock]),
        1 => Just(vec![Op::RLock]),
        1 => Just(vec![Op::WLock, Op::WUnlock]),
        1 => Just(vec![Op::WLock]),
        2 => (1u8..=2).prop_map(|n| vec![Op::Add(n)]),
        2 => Just(vec![Op::Done]),
        2 => Just(vec![Op::Wait]),
        2 => Just(vec![Op::Lock(0), Op::CondWait, Op::Unlock(0)]),
        1 => Just(vec![Op::CondWait]),
        1 => Just(vec![Op::Lock(0), Op::Signal, Op::Unlock(0)]),
        1 => Just(vec![Op::Signal]),
        1 => Just(vec![Op::Broadcast]),
        2 => Just(vec![Op::Cancel]),
        2 => Just(vec![Op::AwaitDone]),
    ]
}

fn goroutine(max_idioms: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(idiom(), 0..=max_idioms)
        .prop_map(|idioms| idioms.into_iter().flatten().collect())
}

fn capacity() -> impl Strategy<Value = Option<u8>> {
    prop_oneof![
        6 => Just(Some(0)),
        3 => Just(Some(1)),
        1 => Just(Some(2)),
        1 => Just(None),
    ]
}

/// Programs of one to three goroutines with up to three idioms each (the root's first).
pub fn program() -> impl Strategy<Value = Program> {
    (
        [capacity(), capacity()],
        prop::collection::vec(goroutine(3), 1..=3),
    )
        .prop_map(|(channels, goroutines)| Program {
            channels,
            goroutines,
        })
}

impl Program {
    /// Whether the program uses channel `c` anywhere.
    pub fn uses(&self, wanted: impl Fn(&Op) -> bool) -> bool {
        self.goroutines.iter().flatten().any(wanted)
    }

    pub fn uses_channel(&self, c: u8) -> bool {
        self.uses(|op| match op {
            Op::Send(x) | Op::Recv(x) | Op::Close(x) => *x == c,
            Op::Select(cases, _) => cases
                .iter()
                .any(|k| matches!(k, Case::Send(x) | Case::Recv(x) if *x == c)),
            _ => false,
        })
    }
}
