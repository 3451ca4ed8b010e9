//! What a crashed or killed Go process printed on stderr: the `panic:` header,
//! the `fatal error:` line, the SIGQUIT banner, race reports and every
//! goroutine block (via [`parse_dump`](super::dump::parse_dump)).
//!
//! Panic values are printed by `printpanics`/`printpanicval` in
//! `$GOROOT/src/runtime/panic.go` and `error.go`; fatal errors by `fatal`/`throw`.
//! [`PanicKind`] and [`FatalKind`] name the messages a concurrency bug produces
//! (go-runtime.md §3). Parsing never fails.

use serde::Serialize;

use super::dump::{Dump, header_goroutine_id, parse_dump_lines};
use super::race::{RaceReport, parse_races};

/// Everything the harness reads from a Go process's stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StderrReport {
    /// The first `panic: ` header.
    pub panic: Option<Panic>,
    /// The message of the first `fatal error: <msg>` line.
    pub fatal: Option<String>,
    /// The goroutine that raised it: the first goroutine header after that line (the runtime
    /// prints the throwing goroutine first; others may be `[running]` too).
    pub fatal_goroutine: Option<u64>,
    /// `SIGQUIT: quit` was printed: the dump came from our quit signal.
    pub sigquit: bool,
    /// Every goroutine block in the stderr.
    pub dump: Dump,
    /// `WARNING: DATA RACE` reports (`-race` builds).
    pub races: Vec<RaceReport>,
    /// The last `exit status N` or `signal: <name>` line: `go test` prints the
    /// test binary's exit error this way when the binary was killed by a signal
    /// or printed nothing (cmd/go/internal/test/test.go), as does `go run`.
    pub exit_status_line: Option<String>,
}

/// An unrecovered panic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Panic {
    /// The panic value, continuation lines joined with `'\n'`, the go1.23+ tab
    /// indent and the `[recovered…]` marker removed.
    pub message: String,
    /// The value was recovered before the process died: `[recovered]`, or
    /// `[recovered, repanicked]` (go1.25+, e.g. `WaitGroup.Go`, synctest, tRunner).
    pub recovered: bool,
    /// `[recovered, repanicked]`: the same value was panicked again after recovery.
    pub repanicked: bool,
    /// Values of the panics printed after this one as `\tpanic: …` lines: raised
    /// by a deferred call while this one unwound, or after it was recovered. The
    /// last one is what killed the process. Markers removed.
    pub later_panics: Vec<String>,
    /// The goroutine that panicked: the first goroutine header after the panic
    /// line, normally `[running]`. None with `GOTRACEBACK=none`.
    pub goroutine: Option<u64>,
}

/// What a panic message says, for the messages concurrency bugs produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PanicKind {
    /// `runtime error: …` (runtime/error.go). The payload is the error's stable
    /// part: `index out of range`, `slice bounds out of range`,
    /// `nil pointer dereference`, `integer divide by zero`, or else the whole text
    /// after `runtime error: `.
    RuntimeError(String),
    /// `sync: negative WaitGroup counter` (sync/waitgroup.go, `Add`).
    WaitGroupNegative,
    /// `sync: WaitGroup is reused before previous Wait has returned`
    /// (sync/waitgroup.go, `Wait`; raised in the waiter).
    WaitGroupReused,
    /// `sync: WaitGroup misuse: Add called concurrently with Wait` (sync/waitgroup.go, `Add`).
    WaitGroupMisuse,
    /// `send on closed channel` (runtime/chan.go, `chansend`).
    SendOnClosed,
    /// `close of closed channel` (runtime/chan.go, `closechan`).
    CloseOfClosed,
    /// `close of nil channel` (runtime/chan.go, `closechan`).
    CloseOfNil,
    /// `sync.Cond is copied` (sync/cond.go, `copyChecker`).
    CondCopied,
    /// `deadlock: all goroutines in bubble are blocked` (runtime/synctest.go).
    SynctestDeadlock,
    /// `deadlock: main bubble goroutine has exited but blocked goroutines remain`
    /// (runtime/synctest.go, go1.25+).
    SynctestLeak,
    /// `test timed out after <d>` (testing/testing.go, the `-timeout` alarm).
    TestTimeout,
    Other,
}

impl PanicKind {
    /// Classifies a panic value as printed after `panic: `.
    pub fn from_message(message: &str) -> Self {
        if let Some(error) = message.strip_prefix("runtime error: ") {
            return Self::RuntimeError(runtime_error_category(error).to_owned());
        }
        if message.starts_with("test timed out after ") {
            return Self::TestTimeout;
        }
        match message {
            "sync: negative WaitGroup counter" => Self::WaitGroupNegative,
            "sync: WaitGroup is reused before previous Wait has returned" => Self::WaitGroupReused,
            "sync: WaitGroup misuse: Add called concurrently with Wait" => Self::WaitGroupMisuse,
            "send on closed channel" => Self::SendOnClosed,
            "close of closed channel" => Self::CloseOfClosed,
            "close of nil channel" => Self::CloseOfNil,
            "sync.Cond is copied" => Self::CondCopied,
            "deadlock: all goroutines in bubble are blocked" => Self::SynctestDeadlock,
            "deadlock: main bubble goroutine has exited but blocked goroutines remain" => {
                Self::SynctestLeak
            }
            _ => Self::Other,
        }
    }

    /// Stable kebab-case id, equal to the serialized variant name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RuntimeError(_) => "runtime-error",
            Self::WaitGroupNegative => "wait-group-negative",
            Self::WaitGroupReused => "wait-group-reused",
            Self::WaitGroupMisuse => "wait-group-misuse",
            Self::SendOnClosed => "send-on-closed",
            Self::CloseOfClosed => "close-of-closed",
            Self::CloseOfNil => "close-of-nil",
            Self::CondCopied => "cond-copied",
            Self::SynctestDeadlock => "synctest-deadlock",
            Self::SynctestLeak => "synctest-leak",
            Self::TestTimeout => "test-timeout",
            Self::Other => "other",
        }
    }
}

/// Strips the variable part (indices, lengths, type names) off a runtime error.
fn runtime_error_category(error: &str) -> &str {
    const CATEGORIES: [(&str, &str); 6] = [
        ("index out of range", "index out of range"),
        ("slice bounds out of range", "slice bounds out of range"),
        (
            "invalid memory address or nil pointer dereference",
            "nil pointer dereference",
        ),
        ("integer divide by zero", "integer divide by zero"),
        ("hash of unhashable type", "hash of unhashable type"),
        ("comparing uncomparable type", "comparing uncomparable type"),
    ];
    CATEGORIES
        .iter()
        .find(|(prefix, _)| error.starts_with(prefix))
        .map_or(error, |(_, category)| category)
}

/// What a `fatal error:` message says. Fatal errors cannot be recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FatalKind {
    /// `all goroutines are asleep - deadlock!` (runtime/proc.go, `checkdead`).
    Deadlock,
    /// `no goroutines (main called runtime.Goexit) - deadlock!` (runtime/proc.go, `checkdead`).
    NoGoroutines,
    /// `sync: unlock of unlocked mutex` (internal/sync/mutex.go; sync/mutex.go before 1.24).
    UnlockOfUnlocked,
    /// `sync: RUnlock of unlocked RWMutex` (sync/rwmutex.go).
    #[serde(rename = "runlock-of-unlocked")]
    RUnlockOfUnlocked,
    /// `sync: Unlock of unlocked RWMutex` (sync/rwmutex.go).
    UnlockOfUnlockedRw,
    /// `concurrent map writes` (internal/runtime/maps; runtime/map.go before 1.24).
    ConcurrentMapWrites,
    /// `concurrent map read and map write` (same files).
    ConcurrentMapReadWrite,
    /// `concurrent map iteration and map write` (same files).
    ConcurrentMapIterationWrite,
    /// A synctest bubble's isolation was broken: `<op> on synctest channel from
    /// outside bubble` (runtime/chan.go, select.go), `semaphore wake of synctest
    /// goroutine from outside bubble` (runtime/sema.go), `sync: WaitGroup.Add
    /// called from inside and outside synctest bubble` or `… from multiple
    /// synctest bubbles` (sync/waitgroup.go).
    SynctestIsolation,
    Other,
}

impl FatalKind {
    /// Classifies a fatal error message as printed after `fatal error: `.
    pub fn from_message(message: &str) -> Self {
        let breaks_bubble_isolation = message.ends_with(" on synctest channel from outside bubble")
            || message == "semaphore wake of synctest goroutine from outside bubble"
            || (message.starts_with("sync: WaitGroup.Add called from ")
                && message.contains(" synctest bubble"));
        if breaks_bubble_isolation {
            return Self::SynctestIsolation;
        }
        match message {
            "all goroutines are asleep - deadlock!" => Self::Deadlock,
            "no goroutines (main called runtime.Goexit) - deadlock!" => Self::NoGoroutines,
            "sync: unlock of unlocked mutex" => Self::UnlockOfUnlocked,
            "sync: RUnlock of unlocked RWMutex" => Self::RUnlockOfUnlocked,
            "sync: Unlock of unlocked RWMutex" => Self::UnlockOfUnlockedRw,
            "concurrent map writes" => Self::ConcurrentMapWrites,
            "concurrent map read and map write" => Self::ConcurrentMapReadWrite,
            "concurrent map iteration and map write" => Self::ConcurrentMapIterationWrite,
            _ => Self::Other,
        }
    }

    /// Stable kebab-case id, equal to the serialized variant name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deadlock => "deadlock",
            Self::NoGoroutines => "no-goroutines",
            Self::UnlockOfUnlocked => "unlock-of-unlocked",
            Self::RUnlockOfUnlocked => "runlock-of-unlocked",
            Self::UnlockOfUnlockedRw => "unlock-of-unlocked-rw",
            Self::ConcurrentMapWrites => "concurrent-map-writes",
            Self::ConcurrentMapReadWrite => "concurrent-map-read-write",
            Self::ConcurrentMapIterationWrite => "concurrent-map-iteration-write",
            Self::SynctestIsolation => "synctest-isolation",
            Self::Other => "other",
        }
    }
}

impl Panic {
    /// The kind of the first (root) panic value.
    pub fn kind(&self) -> PanicKind {
        PanicKind::from_message(&self.message)
    }
}

impl StderrReport {
    /// The kind of the fatal error, if there was one.
    pub fn fatal_kind(&self) -> Option<FatalKind> {
        self.fatal.as_deref().map(FatalKind::from_message)
    }
}

/// Parses a process's stderr.
pub fn parse_stderr(text: &str) -> StderrReport {
    let lines: Vec<&str> = text.lines().collect();
    let mut report = StderrReport {
        dump: parse_dump_lines(&lines),
        races: parse_races(&lines),
        ..StderrReport::default()
    };
    for (index, &line) in lines.iter().enumerate() {
        if report.panic.is_none()
            && let Some(value) = line.strip_prefix("panic: ")
        {
            report.panic = Some(parse_panic(
                value,
                lines.get(index + 1..).unwrap_or_default(),
            ));
        }
        if report.fatal.is_none()
            && let Some(message) = line.strip_prefix("fatal error: ")
        {
            report.fatal = Some(message.to_owned());
            report.fatal_goroutine = lines
                .get(index + 1..)
                .unwrap_or_default()
                .iter()
                .find_map(|line| header_goroutine_id(line));
        }
        if line == "SIGQUIT: quit" {
            report.sigquit = true;
        }
        if is_exit_status_line(line) {
            report.exit_status_line = Some(line.to_owned());
        }
    }
    report
}

/// `exit status N` or `signal: <name>`, the text of Go's `os/exec.ExitError`.
fn is_exit_status_line(line: &str) -> bool {
    line.strip_prefix("exit status ").is_some_and(|code| {
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    }) || line
        .strip_prefix("signal: ")
        .is_some_and(|name| !name.is_empty())
}

/// Reads the panic chain that starts with `panic: <first>` and continues on the
/// following lines up to the blank line before the goroutine dump.
fn parse_panic(first: &str, following: &[&str]) -> Panic {
    let mut values: Vec<Vec<&str>> = vec![vec![first]];
    for &line in following {
        if ends_panic_text(line) {
            break;
        }
        // A chained panic: printpanics prints "\t" before every panic after the
        // first. A value line reading "panic: …" would look the same; accept that.
        if let Some(value) = line.strip_prefix("\tpanic: ") {
            values.push(vec![value]);
        } else if let Some(current) = values.last_mut() {
            current.push(line);
        }
    }
    let mut values = values.into_iter().map(|lines| join_value(&lines));
    let (message, recovered, repanicked) = values.next().unwrap_or_default();
    let goroutine = following.iter().find_map(|line| header_goroutine_id(line));
    Panic {
        message,
        recovered,
        repanicked,
        later_panics: values.map(|(message, _, _)| message).collect(),
        goroutine,
    }
}

/// Lines that cannot belong to a panic value. Normally a blank line ends it;
/// the others matter when the runtime printed no dump (`GOTRACEBACK=none`) or
/// a nil dereference adds its `[signal …]` line right after the value.
fn ends_panic_text(line: &str) -> bool {
    line.is_empty()
        || line.starts_with("[signal ")
        || line.starts_with("panic: ")
        || line.starts_with("fatal error: ")
        || line.starts_with("FAIL\t")
        || line == "FAIL"
        || is_exit_status_line(line)
        || header_goroutine_id(line).is_some()
}

/// Joins one value's lines and splits off its `[recovered…]` marker. Since
/// go1.23 continuation lines are tab-indented; go1.22 printed them verbatim, so
/// the indent is removed only when every continuation line has it.
fn join_value(lines: &[&str]) -> (String, bool, bool) {
    let (first, rest) = lines.split_first().map_or(("", &[][..]), |(f, r)| (*f, r));
    let indented = rest.iter().all(|line| line.starts_with('\t'));
    let mut value = first.to_owned();
    for line in rest {
        value.push('\n');
        value.push_str(if indented {
            line.get(1..).unwrap_or_default()
        } else {
            line
        });
    }
    if let Some(base) = value.strip_suffix(" [recovered, repanicked]") {
        (base.to_owned(), true, true)
    } else if let Some(base) = value.strip_suffix(" [recovered]") {
        (base.to_owned(), true, false)
    } else {
        (value, false, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    macro_rules! fixture {
        ($version:literal, $name:literal) => {
            include_str!(concat!(
                "../../tests/fixtures/parsers/",
                $version,
                "/",
                $name,
                ".txt"
            ))
        };
    }

    fn panic_of(text: &str) -> Panic {
        parse_stderr(text).panic.expect("a panic")
    }

    #[test]
    fn plain_panic_with_all_goroutines() {
        for text in [
            fixture!("go1.26", "panic-plain"),
            fixture!("go1.27", "panic-plain"),
        ] {
            let report = parse_stderr(text);
            let panic = report.panic.expect("panic");
            assert_eq!(panic.message, "boom");
            assert!(!panic.recovered && !panic.repanicked);
            assert!(panic.later_panics.is_empty());
            assert_eq!(panic.goroutine, Some(1));
            assert_eq!(panic.kind(), PanicKind::Other);
            assert_eq!(report.fatal, None);
            assert_eq!(report.dump.goroutines.len(), 8);
            assert_eq!(report.dump.goroutines[0].state, "running");
        }
    }

    #[test]
    fn runtime_errors() {
        let panic = panic_of(fixture!("go1.27", "panic-runtime"));
        assert_eq!(
            panic.message,
            "runtime error: index out of range [7] with length 3"
        );
        assert_eq!(
            panic.kind(),
            PanicKind::RuntimeError("index out of range".into())
        );
        assert_eq!(panic.kind().as_str(), "runtime-error");

        let report = parse_stderr(fixture!("go1.26", "panic-nil"));
        let panic = report.panic.expect("panic");
        // The `[signal SIGSEGV …]` line follows the value without a blank line.
        assert_eq!(
            panic.message,
            "runtime error: invalid memory address or nil pointer dereference"
        );
        assert_eq!(
            panic.kind(),
            PanicKind::RuntimeError("nil pointer dereference".into())
        );
        assert_eq!(panic.goroutine, Some(1));

        assert_eq!(
            PanicKind::from_message(
                "runtime error: slice bounds out of range [:5] with capacity 3"
            ),
            PanicKind::RuntimeError("slice bounds out of range".into())
        );
        assert_eq!(
            PanicKind::from_message("runtime error: makeslice: len out of range"),
            PanicKind::RuntimeError("makeslice: len out of range".into())
        );
    }

    #[test]
    fn error_value() {
        assert_eq!(
            panic_of(fixture!("go1.27", "panic-error")).message,
            "wrapped failure"
        );
    }

    #[test]
    fn multi_line_value_go123_indented() {
        // panic("first line\nsecond line\n\tthird line")
        for text in [
            fixture!("go1.26", "panic-multiline"),
            fixture!("go1.27", "panic-multiline"),
        ] {
            let panic = panic_of(text);
            assert_eq!(panic.message, "first line\nsecond line\n\tthird line");
            assert_eq!(panic.goroutine, Some(1));
        }
    }

    #[test]
    fn multi_line_value_go122_not_indented() {
        // Hand-written: go1.22 printed continuation lines verbatim (go-runtime.md §1.4).
        let text = "panic: first line\nsecond line\n\tthird line\n\ngoroutine 1 [running]:\nmain.main()\n\t/m/main.go:9 +0x1d\nexit status 2\n";
        let report = parse_stderr(text);
        let panic = report.panic.expect("panic");
        assert_eq!(panic.message, "first line\nsecond line\n\tthird line");
        assert_eq!(panic.goroutine, Some(1));
        assert_eq!(report.exit_status_line.as_deref(), Some("exit status 2"));
    }

    #[test]
    fn recovered_and_repanicked() {
        for text in [
            fixture!("go1.26", "panic-repanic"),
            fixture!("go1.27", "panic-repanic"),
        ] {
            let panic = panic_of(text);
            assert_eq!(panic.message, "again");
            assert!(panic.recovered && panic.repanicked);
            assert!(panic.later_panics.is_empty());
        }
        let panic = panic_of(
            "panic: deadlock: all goroutines in bubble are blocked [recovered, repanicked]\n\ngoroutine 8 [chan receive (durable), synctest bubble 1]:\n",
        );
        assert_eq!(panic.kind(), PanicKind::SynctestDeadlock);
        assert_eq!(panic.goroutine, Some(8));
    }

    #[test]
    fn recovered_then_new_panic() {
        // Real on go1.26/1.27 when the recovering defer panics with another value.
        for text in [
            fixture!("go1.26", "panic-repanic-other"),
            fixture!("go1.27", "panic-repanic-other"),
        ] {
            let panic = panic_of(text);
            assert_eq!(panic.message, "first");
            assert!(panic.recovered && !panic.repanicked);
            assert_eq!(panic.later_panics, ["second"]);
        }
        // Hand-written go1.24 form: the same value re-panicked, before `repanicked` existed.
        let panic = panic_of(
            "panic: sync: negative WaitGroup counter [recovered]\n\tpanic: sync: negative WaitGroup counter\n\ngoroutine 7 [running]:\n",
        );
        assert_eq!(panic.kind(), PanicKind::WaitGroupNegative);
        assert!(panic.recovered && !panic.repanicked);
        assert_eq!(panic.later_panics, ["sync: negative WaitGroup counter"]);
        assert_eq!(panic.goroutine, Some(7));
    }

    #[test]
    fn panic_in_defer_during_multi_line_panic() {
        // Recorded from `go test` on go1.26: a deferred panic inside a test.
        let text = "--- FAIL: TestPanics (0.00s)\npanic: first\n\tsecond\n\tpanic: in defer [recovered, repanicked]\n\ngoroutine 5 [running]:\ntesting.tRunner.func1.2({0x551fe0, 0x5958d0})\n\t/usr/local/go/src/testing/testing.go:1974 +0x232\nFAIL\tst\t0.007s\nFAIL\n";
        let report = parse_stderr(text);
        let panic = report.panic.expect("panic");
        assert_eq!(panic.message, "first\nsecond");
        assert!(!panic.recovered && !panic.repanicked);
        assert_eq!(panic.later_panics, ["in defer"]);
        assert_eq!(panic.goroutine, Some(5));
        assert_eq!(report.dump.goroutines[0].frames.len(), 1);
    }

    #[test]
    fn panic_in_child_goroutine() {
        for text in [
            fixture!("go1.26", "panic-child"),
            fixture!("go1.27", "panic-child"),
        ] {
            let report = parse_stderr(text);
            let panic = report.panic.expect("panic");
            assert_eq!(panic.message, "child boom");
            assert_eq!(panic.goroutine, Some(report.dump.goroutines[0].id));
            assert_ne!(panic.goroutine, Some(1));
            assert_eq!(report.dump.goroutines.len(), 2);
        }
    }

    #[test]
    fn panic_kinds_from_real_runs() {
        let cases = [
            (
                fixture!("go1.27", "wg-negative"),
                PanicKind::WaitGroupNegative,
            ),
            (fixture!("go1.27", "wg-reuse"), PanicKind::WaitGroupReused),
            (fixture!("go1.26", "wg-reuse"), PanicKind::WaitGroupReused),
            (fixture!("go1.27", "send-closed"), PanicKind::SendOnClosed),
            (fixture!("go1.27", "close-closed"), PanicKind::CloseOfClosed),
            (fixture!("go1.27", "close-nil"), PanicKind::CloseOfNil),
            (fixture!("go1.26", "close-nil"), PanicKind::CloseOfNil),
        ];
        for (text, kind) in cases {
            assert_eq!(panic_of(text).kind(), kind, "{text}");
        }
    }

    #[test]
    fn panic_kinds_from_messages() {
        let cases = [
            (
                "sync: WaitGroup misuse: Add called concurrently with Wait",
                PanicKind::WaitGroupMisuse,
            ),
            ("sync.Cond is copied", PanicKind::CondCopied),
            (
                "deadlock: main bubble goroutine has exited but blocked goroutines remain",
                PanicKind::SynctestLeak,
            ),
            (
                "test timed out after 2s\nrunning tests:\n\tTestX (2s)",
                PanicKind::TestTimeout,
            ),
            ("boom", PanicKind::Other),
        ];
        for (message, kind) in cases {
            assert_eq!(PanicKind::from_message(message), kind, "{message}");
        }
    }

    #[test]
    fn test_timeout_panic() {
        let text = "panic: test timed out after 2s\n\trunning tests:\n\t\tTestBlockedSend (2s)\n\ngoroutine 17 [running]:\ntesting.(*M).startAlarm.func1()\n\t/go/src/testing/testing.go:2484 +0x345\n";
        let panic = panic_of(text);
        assert_eq!(
            panic.message,
            "test timed out after 2s\nrunning tests:\n\tTestBlockedSend (2s)"
        );
        assert_eq!(panic.kind(), PanicKind::TestTimeout);
    }

    #[test]
    fn fatal_kinds_from_real_runs() {
        let cases = [
            (fixture!("go1.27", "deadlock"), FatalKind::Deadlock),
            (fixture!("go1.26", "deadlock"), FatalKind::Deadlock),
            (fixture!("go1.27", "goexit"), FatalKind::NoGoroutines),
            (
                fixture!("go1.27", "unlock-unlocked"),
                FatalKind::UnlockOfUnlocked,
            ),
            (
                fixture!("go1.27", "runlock-unlocked"),
                FatalKind::RUnlockOfUnlocked,
            ),
            (
                fixture!("go1.27", "unlock-unlocked-rw"),
                FatalKind::UnlockOfUnlockedRw,
            ),
            (
                fixture!("go1.27", "map-writes"),
                FatalKind::ConcurrentMapWrites,
            ),
            (
                fixture!("go1.26", "map-writes"),
                FatalKind::ConcurrentMapWrites,
            ),
            (
                fixture!("go1.27", "map-readwrite"),
                FatalKind::ConcurrentMapReadWrite,
            ),
        ];
        for (text, kind) in cases {
            let report = parse_stderr(text);
            assert_eq!(report.fatal_kind(), Some(kind), "{text}");
            assert_eq!(report.panic, None);
        }
    }

    #[test]
    fn fatal_kinds_from_messages() {
        let cases = [
            (
                "concurrent map iteration and map write",
                FatalKind::ConcurrentMapIterationWrite,
            ),
            (
                "send on synctest channel from outside bubble",
                FatalKind::SynctestIsolation,
            ),
            (
                "select on synctest channel from outside bubble",
                FatalKind::SynctestIsolation,
            ),
            (
                "semaphore wake of synctest goroutine from outside bubble",
                FatalKind::SynctestIsolation,
            ),
            (
                "sync: WaitGroup.Add called from inside and outside synctest bubble",
                FatalKind::SynctestIsolation,
            ),
            (
                "sync: WaitGroup.Add called from multiple synctest bubbles",
                FatalKind::SynctestIsolation,
            ),
            (
                "unexpected signal during runtime execution",
                FatalKind::Other,
            ),
        ];
        for (message, kind) in cases {
            assert_eq!(FatalKind::from_message(message), kind, "{message}");
        }
    }

    #[test]
    fn deadlock_report() {
        let report = parse_stderr(fixture!("go1.27", "deadlock"));
        assert_eq!(
            report.fatal.as_deref(),
            Some("all goroutines are asleep - deadlock!")
        );
        assert!(!report.sigquit);
        assert_eq!(report.dump.goroutines.len(), 8);
        assert_eq!(report.exit_status_line, None);
    }

    #[test]
    fn unlock_of_unlocked_dumps_all_goroutines_with_gotraceback_all() {
        let report = parse_stderr(fixture!("go1.26", "unlock-unlocked"));
        assert_eq!(report.fatal_kind(), Some(FatalKind::UnlockOfUnlocked));
        assert_eq!(
            report.dump.goroutines[0].frames[0].function,
            "internal/sync.fatal"
        );
        assert_eq!(report.dump.goroutines.len(), 8);
    }

    #[test]
    fn sigquit_report() {
        for text in [fixture!("go1.26", "sigquit"), fixture!("go1.27", "sigquit")] {
            let report = parse_stderr(text);
            assert!(report.sigquit);
            assert_eq!((report.panic, report.fatal), (None, None));
            assert!(report.dump.goroutines.len() > 10);
        }
    }

    #[test]
    fn race_reports_and_exit_lines() {
        let text = "==================\nWARNING: DATA RACE\nRead at 0x00c000012345 by goroutine 8:\n  main.main.func1()\n==================\n==================\nWARNING: DATA RACE\nWrite at 0x1 by goroutine 9:\n==================\nFound 2 data race(s)\nexit status 66\nsignal: killed\n";
        let report = parse_stderr(text);
        assert_eq!(report.races.len(), 2);
        assert!(report.dump.goroutines.is_empty());
        assert_eq!(report.exit_status_line.as_deref(), Some("signal: killed"));
        assert!(!is_exit_status_line("exit status "));
        assert!(!is_exit_status_line("exit status 2x"));
    }

    #[test]
    fn panic_without_dump() {
        // GOTRACEBACK=none prints only the value.
        let report = parse_stderr("panic: first line\n\tsecond line\n");
        let panic = report.panic.expect("panic");
        assert_eq!(panic.message, "first line\nsecond line");
        assert_eq!(panic.goroutine, None);
        assert_eq!(panic_of("panic: ").message, "");
    }

    #[test]
    fn ids_match_serialized_names() {
        let panics = [
            PanicKind::RuntimeError("x".into()),
            PanicKind::WaitGroupNegative,
            PanicKind::WaitGroupReused,
            PanicKind::WaitGroupMisuse,
            PanicKind::SendOnClosed,
            PanicKind::CloseOfClosed,
            PanicKind::CloseOfNil,
            PanicKind::CondCopied,
            PanicKind::SynctestDeadlock,
            PanicKind::SynctestLeak,
            PanicKind::TestTimeout,
            PanicKind::Other,
        ];
        for kind in panics {
            let json = serde_json::to_value(&kind).expect("serializable");
            let name = json
                .as_str()
                .map(str::to_owned)
                .or_else(|| json.as_object().and_then(|o| o.keys().next().cloned()));
            assert_eq!(name.as_deref(), Some(kind.as_str()));
        }
        let fatals = [
            FatalKind::Deadlock,
            FatalKind::NoGoroutines,
            FatalKind::UnlockOfUnlocked,
            FatalKind::RUnlockOfUnlocked,
            FatalKind::UnlockOfUnlockedRw,
            FatalKind::ConcurrentMapWrites,
            FatalKind::ConcurrentMapReadWrite,
            FatalKind::ConcurrentMapIterationWrite,
            FatalKind::SynctestIsolation,
            FatalKind::Other,
        ];
        for kind in fatals {
            assert_eq!(serde_json::to_value(kind).ok(), Some(kind.as_str().into()));
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            parse_stderr(&text);
        }

        #[test]
        fn panic_like_text_never_panics(
            text in r"(panic: [a-z \[\],]{0,30}\n|\tpanic: [a-z\[\] ,]{0,20}\n|\t[a-z]{0,5}\n|fatal error: [a-z]{0,9}\n|goroutine [0-9]{1,3} \[running\]:\n|\n|exit status [0-9]{0,3}\n|\[signal x\]\n){0,20}"
        ) {
            parse_stderr(&text);
        }

        #[test]
        fn mutated_fixture_never_panics(
            cut in 0usize..fixture!("go1.27", "panic-repanic-other").len(),
            len in 0usize..100,
            junk in any::<String>(),
        ) {
            let bytes = fixture!("go1.27", "panic-repanic-other").as_bytes();
            let end = (cut + len).min(bytes.len());
            let mut mutated = String::from_utf8_lossy(&bytes[..cut]).into_owned();
            mutated.push_str(&junk);
            mutated.push_str(&String::from_utf8_lossy(&bytes[end..]));
            parse_stderr(&mutated);
        }
    }
}
