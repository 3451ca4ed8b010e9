//! Execution traces as printed by `go tool trace -d=parsed` (go1.24+; the same
//! text in 1.26 and 1.27): goroutine state transitions and user `trace.Log`
//! events, with their stacks.
//!
//! Each event is one line, `M=<m> P=<p> G=<g> <Kind> Time=<ns> <fields>`, printed
//! by `Event.String` in `$GOROOT/src/internal/trace/event.go`, optionally followed
//! by `TransitionStack=` and `Stack=` blocks of `\t<func> @ 0x<pc>` /
//! `\t\t<file>:<line>` pairs and a blank line. That is a debug dump, not a
//! documented format, so the parser keys on the few fields it needs and counts
//! what it cannot read instead of failing.
//!
//! Why this reader. The candidates were (1) the toolchain's own `cmd/trace`
//! (`go tool trace -d=parsed`), (2) `golang.org/x/exp/trace` in a small Go
//! helper, (3) a Rust parser of the binary format. (1) ships with every Go
//! toolchain and is by construction the parser of the exact trace version the
//! same Go wrote, so Go 1.26 and 1.27 (and the next release) are read by their
//! own code, with no module download and nothing to pin; its cost is a text
//! format that is a debug aid, which this module absorbs (fixtures from both
//! versions pin it, and `-d=1`/`-d=2` of Go 1.22-1.23 are out of scope).
//! (2) is the same parser, copied out of the tree on a schedule: it needs the
//! module proxy, and a Go release can change the wire format before x/exp
//! catches up. (3) would be a re-implementation of an undocumented,
//! version-specific binary format. The harness runs the parser of (1),
//! `internal/trace`, in its own long-lived reader with the same text output
//! ([`crate::evidence::TraceReader`], built as part of the toolchain's tree by
//! [`crate::toolchain::Toolchain::trace_tool`]). A trace it cannot
//! read (missing, empty, cut by a fatal error, no goroutine transitions)
//! becomes "no trace evidence" with a note, and every trace-based rule and the
//! timeline simply do not apply.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde::Serialize;

/// The goroutine-level content of a trace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// Goroutine state transitions (`GoID=`), in trace order. Proc transitions
    /// (`ProcID=`) are left out.
    pub transitions: Vec<Transition>,
    /// User `trace.Log` events, in trace order.
    pub logs: Vec<UserLog>,
    /// Lines that fit no known shape, plus events of unknown kind or with
    /// unreadable fields. Known kinds we ignore (`Metric`, `Sync`, ranges,
    /// tasks, regions, …) are not counted.
    pub skipped_lines: usize,
    /// The oldest transitions and logs left out to keep the window bounded
    /// ([`MAX_TRANSITIONS`], [`MAX_LOGS`]).
    pub dropped_transitions: usize,
    pub dropped_logs: usize,
}

/// A stack, innermost frame first, shared by every event that has it.
pub type Stack = Arc<[TraceFrame]>;

/// One `StateTransition … GoID=<id> <from>-><to> Reason="…"` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// Nanoseconds on the trace clock.
    pub time: u64,
    /// The goroutine changing state (`GoID=`).
    pub goroutine: u64,
    /// The goroutine running when the event happened (`G=`): the unblocker for a
    /// `Waiting->Runnable`, the creator for `NotExist->Runnable`. None for `G=-1`
    /// (a timer or netpoll wake-up, a scheduler start, a status re-sync).
    pub actor: Option<u64>,
    pub from: GoState,
    pub to: GoState,
    /// Block reason for `…->Waiting` (`chan send`, `select`, `sync`,
    /// `sync.(*Cond).Wait`, …) or `preempted`/`runtime.Gosched` for yields; empty
    /// for most others, including the per-generation `Undetermined->Waiting`.
    pub reason: String,
    /// `TransitionStack=`: the goroutine's own stack at the transition (for a
    /// creation, the new goroutine's start function).
    pub transition_stack: Stack,
    /// `Stack=`: the actor's stack (for a creation, the `go` statement; for an
    /// unblock, the unblocking call).
    pub stack: Stack,
}

/// `internal/trace.GoState` as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GoState {
    NotExist,
    Runnable,
    Running,
    Waiting,
    Syscall,
    Undetermined,
}

impl GoState {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "NotExist" => Self::NotExist,
            "Runnable" => Self::Runnable,
            "Running" => Self::Running,
            "Waiting" => Self::Waiting,
            "Syscall" => Self::Syscall,
            "Undetermined" => Self::Undetermined,
            _ => return None,
        })
    }
}

/// One stack frame; innermost first within a stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct TraceFrame {
    pub function: String,
    /// Empty with `line` 0 if the location line is missing or unreadable.
    pub file: String,
    pub line: u32,
}

/// A `Log … Task=<id> Category="…" Message="…"` event from `trace.Log`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserLog {
    pub time: u64,
    /// The logging goroutine (`G=`), None for `G=-1`.
    pub goroutine: Option<u64>,
    pub category: String,
    pub message: String,
    pub stack: Stack,
}

/// Every event kind `internal/trace.EventKind.String` can print; the ones not
/// modelled here are skipped without being counted.
const KNOWN_KINDS: [&str; 15] = [
    "Bad",
    "Sync",
    "Metric",
    "Label",
    "StackSample",
    "RangeBegin",
    "RangeActive",
    "RangeEnd",
    "TaskBegin",
    "TaskEnd",
    "RegionBegin",
    "RegionEnd",
    "Log",
    "StateTransition",
    "Experimental",
];

static EVENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^M=-?\d+ P=-?\d+ G=(-?\d+) ([A-Za-z]+) Time=(\d+)(.*)$")
        .expect("event regex is valid")
});

static GOROUTINE_TRANSITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ GoID=(\d+) ([A-Za-z]+)->([A-Za-z]+) Reason=(.*)$")
        .expect("transition regex is valid")
});

/// At most this many goroutine transitions are kept: the most recent ones (a long run's end
/// is what a diagnosis is about). About 100 bytes each, so the window stays near 50 MB.
pub const MAX_TRANSITIONS: usize = 500_000;
/// At most this many user log events are kept, the most recent ones.
pub const MAX_LOGS: usize = 100_000;

/// The event whose stack lines are being read.
enum Current {
    /// Start of text: stack lines here belong to nothing and are counted.
    Nothing,
    /// An event we do not keep (or could not read); its stack lines are dropped.
    Ignored,
    Transition(Transition),
    Log(UserLog),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StackSlot {
    None,
    Transition,
    Event,
}

/// Reads trace text line by line, so that neither the text nor more than the window of
/// events is ever held whole. Stacks are stored once: the trace reader names each stack
/// `Stack=#<id>` and prints its frames only the first time; identical stacks from different
/// generations (or from `go tool trace -d=parsed` text, which has no ids) are shared too.
pub struct TraceParser {
    max_transitions: usize,
    max_logs: usize,
    transitions: VecDeque<Transition>,
    logs: VecDeque<UserLog>,
    skipped_lines: usize,
    dropped_transitions: usize,
    dropped_logs: usize,
    current: Current,
    slot: StackSlot,
    /// The frames of the stack being read, and its id when it is a definition.
    frames: Vec<TraceFrame>,
    defining: Option<u64>,
    expecting_location: bool,
    by_id: HashMap<u64, Stack>,
    interned: HashSet<Stack>,
}

impl Default for TraceParser {
    fn default() -> Self {
        TraceParser {
            max_transitions: MAX_TRANSITIONS,
            max_logs: MAX_LOGS,
            transitions: VecDeque::new(),
            logs: VecDeque::new(),
            skipped_lines: 0,
            dropped_transitions: 0,
            dropped_logs: 0,
            current: Current::Nothing,
            slot: StackSlot::None,
            frames: Vec::new(),
            defining: None,
            expecting_location: false,
            by_id: HashMap::new(),
            interned: HashSet::new(),
        }
    }
}

/// Parses `go tool trace -d=parsed` output (or the trace reader's, which is the same text
/// with stacks named by id).
pub fn parse_trace(text: &str) -> Trace {
    let mut parser = TraceParser::default();
    for line in text.lines() {
        parser.line(line);
    }
    parser.finish()
}

impl TraceParser {
    /// Reads one line (without its newline).
    pub fn line(&mut self, line: &str) {
        if line.is_empty() {
            return;
        }
        let orphan = matches!(self.current, Current::Nothing);
        // Stack lines of an event we dropped were accounted for with the event.
        let dropped = matches!(self.current, Current::Ignored);
        if let Some((slot, id)) = stack_label(line) {
            self.close_stack();
            self.slot = slot;
            self.skipped_lines += usize::from(orphan || id == Some(None));
            match id.flatten() {
                Some(id) if self.by_id.contains_key(&id) => {
                    // A stack printed before: nothing follows.
                    let stack = self.by_id[&id].clone();
                    self.store_stack(stack);
                    self.slot = StackSlot::None;
                }
                id => self.defining = id,
            }
        } else if let Some(location) = line.strip_prefix("\t\t") {
            let frame = self.frames.last_mut().filter(|_| self.expecting_location);
            self.expecting_location = false;
            match (frame, parse_location(location)) {
                (Some(frame), Some((file, number))) => {
                    frame.file = file.to_owned();
                    frame.line = number;
                }
                _ => self.skipped_lines += usize::from(!dropped),
            }
        } else if let Some(call) = line.strip_prefix('\t') {
            match (self.accepts_frames(), call.rsplit_once(" @ 0x")) {
                (true, Some((function, _pc))) => {
                    self.frames.push(TraceFrame {
                        function: function.to_owned(),
                        file: String::new(),
                        line: 0,
                    });
                    self.expecting_location = true;
                }
                _ => self.skipped_lines += usize::from(!dropped),
            }
        } else {
            self.finish_event();
            match parse_event(line) {
                Parsed::Kept(event) => self.current = event,
                Parsed::Ignored => {}
                Parsed::Unreadable => self.skipped_lines += 1,
            }
        }
    }

    /// The trace read so far.
    pub fn finish(mut self) -> Trace {
        self.finish_event();
        Trace {
            transitions: self.transitions.into(),
            logs: self.logs.into(),
            skipped_lines: self.skipped_lines,
            dropped_transitions: self.dropped_transitions,
            dropped_logs: self.dropped_logs,
        }
    }

    fn accepts_frames(&self) -> bool {
        matches!(
            (&self.current, self.slot),
            (
                Current::Transition(_),
                StackSlot::Transition | StackSlot::Event
            ) | (Current::Log(_), StackSlot::Event)
        )
    }

    /// Ends the stack being read: stored once, and given to the current event.
    fn close_stack(&mut self) {
        self.expecting_location = false;
        if self.slot == StackSlot::None {
            return;
        }
        let stack = match self.interned.get(self.frames.as_slice()) {
            Some(stack) => stack.clone(),
            None => {
                let stack: Stack = self.frames.as_slice().into();
                self.interned.insert(stack.clone());
                stack
            }
        };
        self.frames.clear();
        if let Some(id) = self.defining.take() {
            self.by_id.insert(id, stack.clone());
        }
        self.store_stack(stack);
        self.slot = StackSlot::None;
    }

    fn store_stack(&mut self, stack: Stack) {
        match (&mut self.current, self.slot) {
            (Current::Transition(t), StackSlot::Transition) => t.transition_stack = stack,
            (Current::Transition(t), StackSlot::Event) => t.stack = stack,
            (Current::Log(log), StackSlot::Event) => log.stack = stack,
            _ => {}
        }
    }

    fn finish_event(&mut self) {
        self.close_stack();
        match std::mem::replace(&mut self.current, Current::Ignored) {
            Current::Transition(transition) => {
                if self.transitions.len() == self.max_transitions {
                    self.transitions.pop_front();
                    self.dropped_transitions += 1;
                }
                self.transitions.push_back(transition);
            }
            Current::Log(log) => {
                if self.logs.len() == self.max_logs {
                    self.logs.pop_front();
                    self.dropped_logs += 1;
                }
                self.logs.push_back(log);
            }
            Current::Nothing | Current::Ignored => {}
        }
    }
}

/// `TransitionStack=` or `Stack=`, with the reader's `#<id>` when present: `Some(None)` for
/// an id that does not parse.
fn stack_label(line: &str) -> Option<(StackSlot, Option<Option<u64>>)> {
    let (slot, rest) = if let Some(rest) = line.strip_prefix("TransitionStack=") {
        (StackSlot::Transition, rest)
    } else {
        (StackSlot::Event, line.strip_prefix("Stack=")?)
    };
    if rest.is_empty() {
        return Some((slot, None));
    }
    let id = rest.strip_prefix('#').and_then(|id| id.parse().ok());
    Some((slot, Some(id)))
}

enum Parsed {
    Kept(Current),
    Ignored,
    Unreadable,
}

fn parse_event(line: &str) -> Parsed {
    let Some(event) = EVENT.captures(line) else {
        return Parsed::Unreadable;
    };
    let actor = goroutine_field(&event[1]);
    let (kind, fields) = (&event[2], event.get(4).map_or("", |m| m.as_str()));
    let Ok(time) = event[3].parse::<u64>() else {
        return Parsed::Unreadable;
    };
    let kept = match kind {
        "StateTransition" if fields.starts_with(" ProcID=") => return Parsed::Ignored,
        "StateTransition" => parse_transition(time, actor, fields).map(Current::Transition),
        "Log" => parse_log(time, actor, fields).map(Current::Log),
        _ if KNOWN_KINDS.contains(&kind) => return Parsed::Ignored,
        _ => None,
    };
    kept.map_or(Parsed::Unreadable, Parsed::Kept)
}

/// `G=` is a goroutine id or -1 for "no goroutine".
fn goroutine_field(text: &str) -> Option<u64> {
    text.parse().ok()
}

fn parse_transition(time: u64, actor: Option<u64>, fields: &str) -> Option<Transition> {
    let captures = GOROUTINE_TRANSITION.captures(fields)?;
    let (reason, rest) = unquote_prefix(&captures[4])?;
    if !rest.is_empty() {
        return None;
    }
    Some(Transition {
        time,
        goroutine: captures[1].parse().ok()?,
        actor,
        from: GoState::parse(&captures[2])?,
        to: GoState::parse(&captures[3])?,
        reason,
        transition_stack: Stack::default(),
        stack: Stack::default(),
    })
}

/// ` Task=<id> Category="…" Message="…"`
fn parse_log(time: u64, goroutine: Option<u64>, fields: &str) -> Option<UserLog> {
    let (task, rest) = fields.strip_prefix(" Task=")?.split_once(' ')?;
    task.parse::<u64>().ok()?;
    let (category, rest) = unquote_prefix(rest.strip_prefix("Category=")?)?;
    let (message, rest) = unquote_prefix(rest.strip_prefix(" Message=")?)?;
    rest.is_empty().then_some(UserLog {
        time,
        goroutine,
        category,
        message,
        stack: Stack::default(),
    })
}

/// `<file>:<line>`; the file may contain `:` (Windows drives) and spaces.
fn parse_location(text: &str) -> Option<(&str, u32)> {
    let (file, number) = text.rsplit_once(':')?;
    Some((file, number.parse().ok()?))
}

/// Reads one Go double-quoted string (as written by `strconv.Quote`/`%q`) from
/// the start of `text`; returns its value and the text after the closing quote.
/// Escapes that yield bytes (`\xNN`, octal) may form invalid UTF-8, which is
/// replaced by U+FFFD.
fn unquote_prefix(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut value: Vec<u8> = Vec::new();
    let mut chars = body.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => {
                return Some((
                    String::from_utf8_lossy(&value).into_owned(),
                    &body[index + 1..],
                ));
            }
            '\\' => {
                let (_, escape) = chars.next()?;
                match escape {
                    'a' => value.push(0x07),
                    'b' => value.push(0x08),
                    'f' => value.push(0x0c),
                    'n' => value.push(b'\n'),
                    'r' => value.push(b'\r'),
                    't' => value.push(b'\t'),
                    'v' => value.push(0x0b),
                    '\\' | '"' | '\'' => value.push(escape as u8),
                    'x' => value.push(u8::try_from(read_digits(&mut chars, 2, 16)?).ok()?),
                    'u' | 'U' => {
                        let width = if escape == 'u' { 4 } else { 8 };
                        let decoded = char::from_u32(read_digits(&mut chars, width, 16)?)
                            .unwrap_or(char::REPLACEMENT_CHARACTER);
                        value.extend_from_slice(decoded.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    '0'..='7' => {
                        let rest = read_digits(&mut chars, 2, 8)?;
                        let first = escape.to_digit(8)?;
                        value.push(u8::try_from(first * 64 + rest).ok()?);
                    }
                    _ => return None,
                }
            }
            _ => value.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    None
}

/// Reads exactly `count` digits in `radix`.
fn read_digits(chars: &mut std::str::CharIndices<'_>, count: usize, radix: u32) -> Option<u32> {
    (0..count).try_fold(0u32, |acc, _| {
        let digit = chars.next()?.1.to_digit(radix)?;
        acc.checked_mul(radix)?.checked_add(digit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TRACE_127: &str = include_str!("../../tests/fixtures/parsers/go1.27/trace.txt");
    const TRACE_126: &str = include_str!("../../tests/fixtures/parsers/go1.26/trace.txt");

    fn frame(function: &str, file: &str, line: u32) -> TraceFrame {
        TraceFrame {
            function: function.into(),
            file: file.into(),
            line,
        }
    }

    fn transitions_of(trace: &Trace, goroutine: u64) -> Vec<&Transition> {
        trace
            .transitions
            .iter()
            .filter(|t| t.goroutine == goroutine)
            .collect()
    }

    #[test]
    fn real_traces_parse_completely() {
        for text in [TRACE_126, TRACE_127] {
            let trace = parse_trace(text);
            assert_eq!(trace.skipped_lines, 0);
            assert_eq!(trace.transitions.len(), 58);
            assert_eq!(trace.logs.len(), 3);
            // Every frame got its location line.
            let frames = trace
                .transitions
                .iter()
                .flat_map(|t| t.transition_stack.iter().chain(t.stack.iter()));
            assert!(frames.clone().count() > 100);
            assert!(
                frames
                    .chain(trace.logs.iter().flat_map(|l| l.stack.iter()))
                    .all(|f| f.line > 0 && !f.file.is_empty())
            );
        }
    }

    #[test]
    fn creation_with_creator_stack() {
        let trace = parse_trace(TRACE_127);
        let created = transitions_of(&trace, 22)[0];
        assert_eq!(
            (created.from, created.to),
            (GoState::NotExist, GoState::Runnable)
        );
        assert_eq!(
            (created.time, created.actor, created.reason.as_str()),
            (1_116_086_669_248, Some(1), "")
        );
        assert_eq!(
            *created.transition_stack,
            [frame("main.runTrace.func1", "fx/main.go", 233)]
        );
        assert_eq!(
            *created.stack,
            [
                frame("main.runTrace", "fx/main.go", 233),
                frame("main.main", "fx/main.go", 218)
            ]
        );
    }

    #[test]
    fn block_with_reason_and_stack_then_unblock_by_actor() {
        let trace = parse_trace(TRACE_127);
        let history = transitions_of(&trace, 22);
        let states: Vec<(GoState, GoState)> = history.iter().map(|t| (t.from, t.to)).collect();
        assert_eq!(
            states,
            [
                (GoState::NotExist, GoState::Runnable),
                (GoState::Runnable, GoState::Running),
                (GoState::Running, GoState::Waiting),
                (GoState::Waiting, GoState::Runnable),
                (GoState::Runnable, GoState::Running),
                (GoState::Running, GoState::NotExist),
            ]
        );
        let blocked = history[2];
        assert_eq!(
            (blocked.reason.as_str(), blocked.actor),
            ("chan send", Some(22))
        );
        assert_eq!(blocked.transition_stack[0].function, "runtime.chansend1");
        assert_eq!(
            blocked.transition_stack[1],
            frame("main.runTrace.func1", "fx/main.go", 233)
        );
        let woken = history[3];
        assert_eq!(woken.actor, Some(1));
        assert!(woken.transition_stack.is_empty());
        assert_eq!(
            *woken.stack,
            [
                frame("runtime.chanrecv1", "runtime/chan.go", 509),
                frame("main.runTrace", "fx/main.go", 274),
                frame("main.main", "fx/main.go", 218),
            ]
        );
    }

    #[test]
    fn cond_wait_and_broadcast() {
        let trace = parse_trace(TRACE_127);
        let waits: Vec<&Transition> = trace
            .transitions
            .iter()
            .filter(|t| t.reason == "sync.(*Cond).Wait")
            .collect();
        assert_eq!(waits.len(), 2);
        for wait in waits {
            let woken = transitions_of(&trace, wait.goroutine)
                .into_iter()
                .find(|t| t.from == GoState::Waiting && t.to == GoState::Runnable)
                .expect("woken");
            assert_eq!(woken.stack[0].function, "sync.(*Cond).Broadcast");
        }
    }

    #[test]
    fn context_cancel_wakes_select() {
        let trace = parse_trace(TRACE_127);
        let history = transitions_of(&trace, 26);
        let select = history
            .iter()
            .find(|t| t.reason == "select")
            .expect("select block");
        assert_eq!(select.to, GoState::Waiting);
        let woken = history
            .iter()
            .find(|t| t.from == GoState::Waiting)
            .expect("wake");
        assert_eq!(woken.stack[0].function, "context.(*cancelCtx).cancel");
    }

    #[test]
    fn timer_wake_has_no_actor() {
        let trace = parse_trace(TRACE_127);
        let woken = transitions_of(&trace, 27)
            .into_iter()
            .find(|t| t.from == GoState::Waiting)
            .expect("timer wake");
        assert_eq!((woken.to, woken.actor), (GoState::Runnable, None));
        assert!(woken.stack.is_empty() && woken.transition_stack.is_empty());
    }

    #[test]
    fn status_resync_has_empty_reason() {
        let trace = parse_trace(TRACE_127);
        let resync = transitions_of(&trace, 2)
            .into_iter()
            .find(|t| t.from == GoState::Undetermined)
            .expect("resync");
        assert_eq!(
            (resync.to, resync.reason.as_str(), resync.actor),
            (GoState::Waiting, "", None)
        );
        assert_eq!(
            resync.transition_stack[0],
            frame("runtime.gopark", "runtime/proc.go", 474)
        );
    }

    #[test]
    fn user_logs() {
        let trace = parse_trace(TRACE_127);
        let logs: Vec<(Option<u64>, &str, &str)> = trace
            .logs
            .iter()
            .map(|l| (l.goroutine, l.category.as_str(), l.message.as_str()))
            .collect();
        assert_eq!(
            logs,
            [
                (Some(27), "timer", "fired"),
                (Some(1), "phase", "release"),
                (Some(26), "ctx", "cancelled: \"done\"\n\tby main"),
            ]
        );
        assert_eq!(trace.logs[1].time, 1_116_097_209_088);
        assert_eq!(
            *trace.logs[0].stack,
            [frame("main.runTrace.func4", "fx/main.go", 270)]
        );
    }

    #[test]
    fn proc_transitions_and_known_kinds_are_not_counted() {
        let text = "M=1 P=-1 G=-1 StateTransition Time=5 ProcID=1 Undetermined->Running Reason=\"\"\nM=1 P=1 G=1 Metric Time=6 Name=\"/x\" Value=Value{Uint64(2)}\nStack=\n\tf @ 0x1\n\t\ta.go:1\n\nM=1 P=1 G=1 RegionBegin Time=7 Task=0 Type=\"r\"\nM=-1 P=-1 G=-1 Sync Time=8 N=1\n";
        let trace = parse_trace(text);
        assert_eq!(trace, Trace::default());
    }

    #[test]
    fn unreadable_lines_are_counted() {
        let text = "\tstray @ 0x1\n\t\tstray.go:1\nStack=\ngarbage\nM=1 P=1 G=1 Frobnicate Time=5\n\tf @ 0x1\n\t\ta.go:1\nM=1 P=1 G=1 StateTransition Time=5 GoID=3 Running->Sideways Reason=\"\"\nM=1 P=1 G=1 StateTransition Time=6 GoID=3 Running->Waiting Reason=\"sync\nM=1 P=1 G=2 Log Time=7 Task=0 Category=\"a\" Message=\"b\"\n\tno pc here\n\t\tx.go:notanumber\n";
        let trace = parse_trace(text);
        // stray frame, stray location, orphan Stack=, garbage, unknown kind,
        // bad state, unterminated reason, frame without `@ 0x`, bad location.
        assert_eq!(trace.skipped_lines, 9);
        assert!(trace.transitions.is_empty());
        assert_eq!(trace.logs.len(), 1);
    }

    #[test]
    fn huge_numbers_do_not_overflow() {
        let text = "M=1 P=1 G=99999999999999999999 StateTransition Time=99999999999999999999 GoID=1 Running->Waiting Reason=\"\"\nM=1 P=1 G=1 StateTransition Time=1 GoID=99999999999999999999 Running->Waiting Reason=\"\"\nM=1 P=1 G=1 StateTransition Time=1 GoID=1 Running->Waiting Reason=\"\"\nTransitionStack=\n\tf @ 0x1\n\t\ta.go:99999999999\n";
        let trace = parse_trace(text);
        assert_eq!(trace.skipped_lines, 3);
        assert_eq!(trace.transitions.len(), 1);
        assert_eq!(*trace.transitions[0].transition_stack, [frame("f", "", 0)]);
    }

    #[test]
    fn stacks_named_by_id_are_printed_once_and_shared() {
        let text = "M=1 P=0 G=1 StateTransition Time=1 GoID=7 Running->Waiting Reason=\"chan send\"\n\
                    TransitionStack=#1\n\tmain.f @ 0x1\n\t\tm/a.go:3\n\
                    Stack=#1\n\
                    M=1 P=0 G=1 StateTransition Time=2 GoID=8 Running->Waiting Reason=\"chan send\"\n\
                    TransitionStack=#1\n\
                    M=1 P=0 G=1 Log Time=3 Task=0 Category=\"c\" Message=\"m\"\n\
                    Stack=#2\n\
                    M=1 P=0 G=1 StateTransition Time=4 GoID=9 Running->Waiting Reason=\"\"\n\
                    TransitionStack=\n\tmain.f @ 0x1\n\t\tm/a.go:3\n\
                    Stack=#9x\n";
        let trace = parse_trace(text);
        let f = [frame("main.f", "m/a.go", 3)];
        let [first, second, third] = &trace.transitions[..] else {
            panic!("{trace:?}")
        };
        assert_eq!(
            (*first.transition_stack == f, *first.stack == f),
            (true, true)
        );
        assert_eq!(*second.transition_stack, f);
        assert!(second.stack.is_empty());
        // One allocation for every copy, the one without an id included.
        assert!(Arc::ptr_eq(
            &first.transition_stack,
            &second.transition_stack
        ));
        assert!(Arc::ptr_eq(
            &first.transition_stack,
            &third.transition_stack
        ));
        // #2 was defined with no frames; `#9x` is no id.
        assert!(trace.logs[0].stack.is_empty());
        assert_eq!(trace.skipped_lines, 1);
    }

    #[test]
    fn the_window_keeps_the_most_recent_events() {
        let mut parser = TraceParser {
            max_transitions: 3,
            max_logs: 1,
            ..TraceParser::default()
        };
        for time in 1..=5 {
            parser.line(&format!(
                "M=1 P=0 G=1 StateTransition Time={time} GoID=7 Running->Runnable Reason=\"\""
            ));
            parser.line(&format!(
                "M=1 P=0 G=1 Log Time={time} Task=0 Category=\"c\" Message=\"m\""
            ));
        }
        let trace = parser.finish();
        let times: Vec<u64> = trace.transitions.iter().map(|t| t.time).collect();
        assert_eq!(times, [3, 4, 5]);
        assert_eq!((trace.logs.len(), trace.logs[0].time), (1, 5));
        assert_eq!((trace.dropped_transitions, trace.dropped_logs), (2, 4));
    }

    #[test]
    fn go_unquoting() {
        let cases = [
            (r#""""#, ""),
            (r#""plain""#, "plain"),
            (r#""q\"b\\s""#, "q\"b\\s"),
            (r#""\n\t\r\a\b\f\v""#, "\n\t\r\x07\x08\x0c\x0b"),
            (r#""\x41\x7f""#, "A\x7f"),
            (r#""\u00e9\U0001F600""#, "é😀"),
            (r#""\101\060""#, "A0"),
            (r#""\xff""#, "\u{fffd}"),
            (r#""\xe2\x82\xac""#, "€"),
            (r#""\ud800""#, "\u{fffd}"),
            (r#""é""#, "é"),
        ];
        for (quoted, expected) in cases {
            assert_eq!(
                unquote_prefix(quoted),
                Some((expected.to_owned(), "")),
                "{quoted}"
            );
        }
        assert_eq!(
            unquote_prefix(r#""a" rest"#),
            Some(("a".to_owned(), " rest"))
        );
        for bad in [
            r#""open"#,
            r#"noquote""#,
            r#""\q""#,
            r#""\x4""#,
            r#""\400""#,
            r#""\"#,
            "",
        ] {
            assert_eq!(unquote_prefix(bad), None, "{bad}");
        }
    }

    #[test]
    fn log_with_tricky_quoting() {
        let text = r#"M=1 P=0 G=-1 Log Time=9 Task=3 Category="a\" Message=\"b" Message="c\\"
"#;
        let trace = parse_trace(text);
        assert_eq!(trace.skipped_lines, 0);
        let log = &trace.logs[0];
        assert_eq!(
            (log.goroutine, log.category.as_str(), log.message.as_str()),
            (None, "a\" Message=\"b", "c\\")
        );
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            parse_trace(&text);
        }

        #[test]
        fn trace_like_text_never_panics(
            text in r#"(M=-?[0-9]{1,3} P=-?[0-9] G=-?[0-9]{1,22} (StateTransition|Log|Metric|X) Time=[0-9]{1,22}( GoID=[0-9]{1,22} [A-Za-z]{0,12}->[A-Za-z]{0,12} Reason="[a-z\\"xu0-9]{0,8}"?| Task=[0-9]{0,3} Category="[\\a-z"]{0,5}" Message="[\\a-z"x0-9]{0,6}"?)?\n|(Transition)?Stack=\n|\t[a-z.]{0,5}( @ 0x[0-9]{0,3})?\n|\t\t[a-z/.]{0,5}:[0-9]{0,12}\n|\n){0,30}"#
        ) {
            parse_trace(&text);
        }

        #[test]
        fn mutated_fixture_never_panics(
            cut in 0usize..TRACE_127.len(),
            len in 0usize..300,
            junk in any::<String>(),
        ) {
            let bytes = TRACE_127.as_bytes();
            let end = (cut + len).min(bytes.len());
            let mut mutated = String::from_utf8_lossy(&bytes[..cut]).into_owned();
            mutated.push_str(&junk);
            mutated.push_str(&String::from_utf8_lossy(&bytes[end..]));
            parse_trace(&mutated);
        }

        #[test]
        fn unquote_inverts_debug_quoting_of_ascii(text in "[ -~\n\t]{0,40}") {
            // Rust's `{:?}` matches Go's %q for printable ASCII, \n and \t.
            let quoted = format!("{text:?}");
            prop_assert_eq!(unquote_prefix(&quoted), Some((text, "")));
        }
    }
}
