//! Goroutine dumps: the `goroutine N [state]:` blocks the Go runtime prints for
//! `runtime.Stack(buf, true)`, the goroutine-leak profile at debug=2, fatal
//! errors, unrecovered panics and SIGQUIT.
//!
//! [`parse_dump`] finds every block anywhere in a text and ignores what lies
//! between them (panic headers, register blocks, test output), so a whole
//! stderr can be fed to it. The grammar is `goroutineheader` and `traceback2` in
//! `$GOROOT/src/runtime/traceback.go` (go1.22 to go1.27); go-runtime.md §1 has
//! samples. Parsing never fails: a line that fits nothing is skipped.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// Every goroutine block found in a text, in the order printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dump {
    pub goroutines: Vec<Goroutine>,
}

/// One `goroutine N [...]:` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Goroutine {
    pub id: u64,
    /// The wait reason (`chan send`, `sync.Mutex.Lock`, `chan receive (nil chan)`)
    /// or the status (`running`, `runnable`, `syscall`) with the ` (leaked)`,
    /// ` (scan)` and ` (durable)` suffixes removed. A reason that itself ends in
    /// `(durable)` (`chan send (durable)`) is reduced to its base reason too, so
    /// one primitive always has one spelling; `durable` keeps the difference.
    pub state: String,
    /// ` (leaked)`: the goroutine-leak GC found it blocked on an unreachable
    /// primitive (go1.26 with `GOEXPERIMENT=goroutineleakprofile`, go1.27).
    pub leaked: bool,
    /// A durable wait inside a synctest bubble: the ` (durable)` suffix, a reason
    /// ending in `(durable)` (go1.25+), or the go1.24 `(synctest)` reason forms.
    pub durable: bool,
    /// `, N minutes`: blocked for at least N minutes. Often absent even for long
    /// waits, because the runtime stamps the wait start only during a GC.
    pub minutes: Option<u32>,
    /// `, locked to thread`: `runtime.LockOSThread` is in effect.
    pub locked_to_thread: bool,
    /// `, synctest bubble N` (go1.25+).
    pub synctest_bubble: Option<u64>,
    /// pprof labels exactly as printed, braces included: `{"k": "v"}` from the
    /// go1.26 `labels:{…}` form inside the brackets, or `{k: v}` from the go1.27
    /// form after them.
    pub labels: Option<String>,
    /// Innermost first. Ancestor stacks (`[originating from goroutine N]:`) are
    /// not included.
    pub frames: Vec<Frame>,
    /// Sum of the `...N frames elided...` lines (printed when a stack is deeper
    /// than 100 frames).
    pub elided_frames: u32,
    /// `goroutine running on other thread; stack unavailable`.
    pub stack_unavailable: bool,
    /// The `created by` trailer; absent for goroutine 1 and runtime-created ones.
    pub created_by: Option<Creation>,
}

/// One stack frame: a `func(args)` line and its `\tfile:line` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// As printed: `main.(*T).M`, `main.main.func1`, `main.Map[...]`, `panic`.
    pub function: String,
    pub file: String,
    pub line: u32,
    /// Inlined into its caller: the runtime prints `(...)` for the arguments and
    /// no `+0x` offset for such frames.
    pub inlined: bool,
}

/// The `created by <func>[ in goroutine N]` trailer and its location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Creation {
    pub function: String,
    /// Empty with `line` 0 when the location line is missing (truncated text).
    pub file: String,
    pub line: u32,
    /// The creating goroutine (`in goroutine N`, printed since go1.21).
    pub goroutine: Option<u64>,
}

/// The wait reasons that mean "blocked on a user-visible synchronization
/// primitive" (go-runtime.md §2). `semacquire` is here because it was the
/// `WaitGroup.Wait` reason up to go1.23.
const SYNC_WAIT_REASONS: [&str; 12] = [
    "chan send",
    "chan receive",
    "chan send (nil chan)",
    "chan receive (nil chan)",
    "select",
    "select (no cases)",
    "sync.Mutex.Lock",
    "sync.RWMutex.RLock",
    "sync.RWMutex.Lock",
    "sync.Cond.Wait",
    "sync.WaitGroup.Wait",
    "semacquire",
];

impl Goroutine {
    /// Whether the goroutine waits on a channel, `select`, Mutex, RWMutex, Cond,
    /// WaitGroup or semaphore (durable or not, leaked or not).
    pub fn is_blocked_on_sync(&self) -> bool {
        SYNC_WAIT_REASONS.contains(&self.state.as_str())
    }
}

/// Parses every goroutine block in `text`.
pub fn parse_dump(text: &str) -> Dump {
    let lines: Vec<&str> = text.lines().collect();
    parse_dump_lines(&lines)
}

/// [`parse_dump`] over text already split into lines, so the stderr parser
/// splits only once.
pub(crate) fn parse_dump_lines(lines: &[&str]) -> Dump {
    let mut goroutines = Vec::new();
    let mut index = 0;
    while let Some(line) = lines.get(index) {
        index += 1;
        if let Some(header) = parse_header(line) {
            let (goroutine, next) = parse_block(header, lines, index);
            goroutines.push(goroutine);
            index = next;
        }
    }
    Dump { goroutines }
}

/// The goroutine id if `line` is a goroutine header.
pub(crate) fn header_goroutine_id(line: &str) -> Option<u64> {
    parse_header(line).map(|header| header.id)
}

/// `goroutine <id>[ gp=0x… m=<id> mp=0x…| gp=0x… m=nil] [`. The rest of the
/// header is split by hand because labels may contain `]` and `{`.
static HEADER_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^goroutine (\d+)(?: gp=0x[0-9a-f]+ m=(?:\d+ mp=0x[0-9a-f]+|nil))? \[")
        .expect("header regex is valid")
});

fn parse_header(line: &str) -> Option<Goroutine> {
    // Cheap test first: this runs on every line of the input.
    if !line.starts_with("goroutine ") {
        return None;
    }
    let prefix = HEADER_PREFIX.captures(line)?;
    let id = prefix[1].parse().ok()?;
    let body = line[prefix.get(0)?.end()..].strip_suffix(':')?;
    let (bracket, labels) = split_labels(body)?;

    let mut pieces = bracket.split(", ");
    let mut state = pieces.next().unwrap_or_default();
    let (mut leaked, mut durable) = (false, false);
    loop {
        if let Some(base) = state.strip_suffix(" (leaked)") {
            leaked = true;
            state = base;
        } else if let Some(base) = state.strip_suffix(" (scan)") {
            state = base;
        } else if let Some(base) = state
            .strip_suffix(" (durable)")
            .or_else(|| state.strip_suffix(" (synctest)"))
        {
            durable = true;
            state = base;
        } else {
            break;
        }
    }

    let mut goroutine = Goroutine {
        id,
        state: state.to_owned(),
        leaked,
        durable,
        minutes: None,
        locked_to_thread: false,
        synctest_bubble: None,
        labels: labels.map(str::to_owned),
        frames: Vec::new(),
        elided_frames: 0,
        stack_unavailable: false,
        created_by: None,
    };
    for piece in pieces {
        if piece == "locked to thread" {
            goroutine.locked_to_thread = true;
        } else if let Some(count) = piece.strip_suffix(" minutes") {
            // The runtime prints an int64; clamp instead of dropping absurd values.
            goroutine.minutes = count
                .parse::<u64>()
                .ok()
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        } else if let Some(bubble) = piece.strip_prefix("synctest bubble ") {
            goroutine.synctest_bubble = bubble.parse().ok();
        }
    }
    Some(goroutine)
}

/// Splits `<state>]`, `<state>] {labels}` (go1.27) or `<state> labels:{…}]`
/// (go1.26) into the bracket contents and the `{…}` label text.
fn split_labels(body: &str) -> Option<(&str, Option<&str>)> {
    // Wait reasons never contain `]`, so the first `]` closes the bracket unless
    // the go1.26 label form (which may itself contain `]`) starts before it.
    let close = body.find(']');
    if let Some(start) = body.find(" labels:{")
        && close.is_none_or(|close| start < close)
    {
        let labels = body[start + " labels:".len()..].strip_suffix(']')?;
        return Some((&body[..start], Some(labels)));
    }
    let close = close?;
    let after = &body[close + 1..];
    if after.is_empty() {
        return Some((&body[..close], None));
    }
    let labels = after.strip_prefix(' ')?;
    (labels.starts_with('{') && labels.ends_with('}')).then_some((&body[..close], Some(labels)))
}

/// Reads the lines after a header up to a blank line or the next header, and
/// returns the goroutine and the index of the first line not consumed.
fn parse_block(mut goroutine: Goroutine, lines: &[&str], mut index: usize) -> (Goroutine, usize) {
    let mut in_ancestors = false;
    while let Some(&line) = lines.get(index) {
        if line.is_empty() || parse_header(line).is_some() {
            break;
        }
        index += 1;
        if line.starts_with("[originating from goroutine ") {
            // GODEBUG=tracebackancestors: creation stacks of the ancestors, which
            // would otherwise read as frames of this goroutine.
            in_ancestors = true;
        } else if in_ancestors {
            continue;
        } else if let Some(created) = line.strip_prefix("created by ") {
            let (function, creator) = match created.rsplit_once(" in goroutine ") {
                Some((function, id)) => match id.parse() {
                    Ok(id) => (function, Some(id)),
                    Err(_) => (created, None),
                },
                None => (created, None),
            };
            let location = lines.get(index).and_then(|next| parse_location(next));
            if location.is_some() {
                index += 1;
            }
            let (file, line) =
                location.map_or((String::new(), 0), |loc| (loc.file.to_owned(), loc.line));
            goroutine.created_by = Some(Creation {
                function: function.to_owned(),
                file,
                line,
                goroutine: creator,
            });
        } else if let Some(elided) = parse_elision(line) {
            goroutine.elided_frames = goroutine.elided_frames.saturating_add(elided);
        } else if line == "\tgoroutine running on other thread; stack unavailable" {
            goroutine.stack_unavailable = true;
        } else if let Some((function, args)) = parse_call(line)
            && let Some(location) = lines.get(index).and_then(|next| parse_location(next))
        {
            index += 1;
            goroutine.frames.push(Frame {
                function: function.to_owned(),
                file: location.file.to_owned(),
                line: location.line,
                inlined: args == "..." && !location.has_pc_offset,
            });
        }
        // Anything else (cgo `non-Go function` lines, runtime diagnostics,
        // interleaved test output) carries nothing we model.
    }
    (goroutine, index)
}

/// `...N frames elided...`
fn parse_elision(line: &str) -> Option<u32> {
    let count = line
        .strip_prefix("...")?
        .strip_suffix(" frames elided...")?;
    let count: u64 = count.parse().ok()?;
    Some(u32::try_from(count).unwrap_or(u32::MAX))
}

/// `<func>(<args>)`. Arguments are hex words, `?`, `_`, `...` and `{…}`, never a
/// parenthesis, so the last `(` opens them even for `main.(*T).M(…)`.
fn parse_call(line: &str) -> Option<(&str, &str)> {
    let inner = line.strip_suffix(')')?;
    let (function, args) = inner.rsplit_once('(')?;
    let plausible = !function.is_empty() && !function.starts_with(char::is_whitespace);
    plausible.then_some((function, args))
}

struct Location<'a> {
    file: &'a str,
    line: u32,
    has_pc_offset: bool,
}

/// `\t<file>:<line>[ +0x…][ fp=0x… sp=0x… pc=0x…]`. The file may contain spaces,
/// so the position ends at the first field marker, not the first space.
fn parse_location(line: &str) -> Option<Location<'_>> {
    let rest = line.strip_prefix('\t')?;
    let offset = rest.find(" +0x");
    let end = [offset, rest.find(" fp=")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    let (file, number) = rest[..end].rsplit_once(':')?;
    if file.is_empty() || file.starts_with('\t') {
        return None;
    }
    Some(Location {
        file,
        line: number.parse().ok()?,
        has_pc_offset: offset.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEADLOCK_127: &str = include_str!("../../tests/fixtures/parsers/go1.27/deadlock.txt");
    const SIGQUIT_127: &str = include_str!("../../tests/fixtures/parsers/go1.27/sigquit.txt");
    const SIGQUIT_126: &str = include_str!("../../tests/fixtures/parsers/go1.26/sigquit.txt");
    const LEAK_126: &str = include_str!("../../tests/fixtures/parsers/go1.26/leak.txt");
    const LEAK_127: &str = include_str!("../../tests/fixtures/parsers/go1.27/leak.txt");
    const STACK_127: &str = include_str!("../../tests/fixtures/parsers/go1.27/stack.txt");
    const ELIDED_127: &str = include_str!("../../tests/fixtures/parsers/go1.27/elided.txt");
    const MINUTES_126: &str = include_str!("../../tests/fixtures/parsers/go1.26/minutes.txt");
    const LABELS_126: &str = include_str!("../../tests/fixtures/parsers/go1.26/labels.txt");
    const LABELS_127: &str = include_str!("../../tests/fixtures/parsers/go1.27/labels.txt");
    const SYNCTEST_127: &str = include_str!("../../tests/fixtures/parsers/go1.27/synctest.txt");
    const ANCESTORS_127: &str = include_str!("../../tests/fixtures/parsers/go1.27/ancestors.txt");
    const UNAVAILABLE_127: &str =
        include_str!("../../tests/fixtures/parsers/go1.27/stack-unavailable.txt");

    fn header(line: &str) -> Goroutine {
        parse_header(line).unwrap_or_else(|| panic!("not a header: {line:?}"))
    }

    fn find(dump: &Dump, id: u64) -> &Goroutine {
        dump.goroutines
            .iter()
            .find(|g| g.id == id)
            .expect("goroutine present")
    }

    fn frame(function: &str, file: &str, line: u32, inlined: bool) -> Frame {
        Frame {
            function: function.into(),
            file: file.into(),
            line,
            inlined,
        }
    }

    #[test]
    fn plain_headers() {
        let g = header("goroutine 1 [running]:");
        assert_eq!((g.id, g.state.as_str()), (1, "running"));
        assert!(!g.leaked && !g.durable && !g.locked_to_thread);
        assert_eq!((g.minutes, g.synctest_bubble, g.labels), (None, None, None));
        assert_eq!(header("goroutine 20 [chan send]:").state, "chan send");
        assert_eq!(
            header("goroutine 25 [chan receive (nil chan)]:").state,
            "chan receive (nil chan)"
        );
        assert_eq!(
            header("goroutine 11 [select (no cases)]:").state,
            "select (no cases)"
        );
        assert_eq!(
            header("goroutine 3 [GC worker (idle)]:").state,
            "GC worker (idle)"
        );
    }

    #[test]
    fn sigquit_headers_with_gp_and_m() {
        let g = header("goroutine 20 gp=0x1804ae8825a0 m=nil [chan send]:");
        assert_eq!((g.id, g.state.as_str()), (20, "chan send"));
        let g = header("goroutine 8 gp=0x1712e5ca5a40 m=0 mp=0x61c4e0 [syscall]:");
        assert_eq!((g.id, g.state.as_str()), (8, "syscall"));
        let g = header("goroutine 0 gp=0x60c960 m=0 mp=0x60d720 [idle]:");
        assert_eq!((g.id, g.state.as_str()), (0, "idle"));
    }

    #[test]
    fn leaked_suffix() {
        let g = header("goroutine 19 [chan send (leaked)]:");
        assert_eq!((g.state.as_str(), g.leaked), ("chan send", true));
        let g = header("goroutine 25 [chan receive (nil chan) (leaked)]:");
        assert_eq!(
            (g.state.as_str(), g.leaked),
            ("chan receive (nil chan)", true)
        );
        let g = header("goroutine 14 [select (no cases) (leaked)]:");
        assert_eq!((g.state.as_str(), g.leaked), ("select (no cases)", true));
    }

    #[test]
    fn durable_suffix_and_durable_reasons() {
        let g = header("goroutine 10 [sleep (durable), synctest bubble 1]:");
        assert_eq!(
            (g.state.as_str(), g.durable, g.synctest_bubble),
            ("sleep", true, Some(1))
        );
        let g = header("goroutine 9 [chan send (durable), synctest bubble 1]:");
        assert_eq!((g.state.as_str(), g.durable), ("chan send", true));
        assert!(g.is_blocked_on_sync());
        let g = header("goroutine 19 [synctest.Run (durable), synctest bubble 12]:");
        assert_eq!(
            (g.state.as_str(), g.durable, g.synctest_bubble),
            ("synctest.Run", true, Some(12))
        );
        let g = header("goroutine 21 [sync.Mutex.Lock, synctest bubble 1]:");
        assert_eq!(
            (g.state.as_str(), g.durable, g.synctest_bubble),
            ("sync.Mutex.Lock", false, Some(1))
        );
        let g = header("goroutine 21 [running, synctest bubble 1]:");
        assert_eq!((g.state.as_str(), g.durable), ("running", false));
        // go1.24 spelled durable channel waits `(synctest)` and had no bubble suffix.
        let g = header("goroutine 7 [chan receive (synctest)]:");
        assert_eq!(
            (g.state.as_str(), g.durable, g.synctest_bubble),
            ("chan receive", true, None)
        );
    }

    #[test]
    fn scan_suffix_is_dropped() {
        let g = header("goroutine 4 [chan receive (scan)]:");
        assert_eq!(g.state, "chan receive");
    }

    #[test]
    fn minutes_and_locked_to_thread() {
        let g = header("goroutine 19 [chan receive, 1 minutes]:");
        assert_eq!((g.state.as_str(), g.minutes), ("chan receive", Some(1)));
        let g = header("goroutine 32 [chan receive, locked to thread]:");
        assert!(g.locked_to_thread);
        let g = header("goroutine 5 [select, 1234 minutes, locked to thread, synctest bubble 3]:");
        assert_eq!(
            (
                g.state.as_str(),
                g.minutes,
                g.locked_to_thread,
                g.synctest_bubble
            ),
            ("select", Some(1234), true, Some(3))
        );
        let g = header("goroutine 5 [select, 99999999999 minutes]:");
        assert_eq!(g.minutes, Some(u32::MAX));
    }

    #[test]
    fn labels_go127_form() {
        let g = header(r#"goroutine 36 [chan receive] {"req id": "a b", worker: w1}:"#);
        assert_eq!(g.state, "chan receive");
        assert_eq!(
            g.labels.as_deref(),
            Some(r#"{"req id": "a b", worker: w1}"#)
        );
        // A label value containing brackets must not end the state early.
        let g = header(r#"goroutine 7 [chan send, 2 minutes] {k: "x] [y}"}:"#);
        assert_eq!((g.state.as_str(), g.minutes), ("chan send", Some(2)));
        assert_eq!(g.labels.as_deref(), Some(r#"{k: "x] [y}"}"#));
    }

    #[test]
    fn labels_go126_form() {
        let g = header(r#"goroutine 35 [chan receive labels:{"req id": "a b", "worker": "w1"}]:"#);
        assert_eq!(g.state, "chan receive");
        assert_eq!(
            g.labels.as_deref(),
            Some(r#"{"req id": "a b", "worker": "w1"}"#)
        );
        let g = header(r#"goroutine 35 [chan receive, locked to thread labels:{"k": "]"}]:"#);
        assert_eq!(
            (g.state.as_str(), g.locked_to_thread),
            ("chan receive", true)
        );
        assert_eq!(g.labels.as_deref(), Some(r#"{"k": "]"}"#));
    }

    #[test]
    fn labels_from_real_dumps() {
        let dump = parse_dump(LABELS_127);
        assert_eq!(dump.goroutines.len(), 2);
        for g in &dump.goroutines {
            assert_eq!(
                g.labels.as_deref(),
                Some(r#"{"req id": "a b", worker: w1}"#)
            );
        }
        assert_eq!(find(&dump, 7).state, "chan send");
        let dump = parse_dump(LABELS_126);
        assert_eq!(dump.goroutines.len(), 2);
        assert_eq!(
            find(&dump, 7).labels.as_deref(),
            Some(r#"{"req id": "a b", "worker": "w1"}"#)
        );
    }

    #[test]
    fn not_headers() {
        for line in [
            "goroutine profile: total 19",
            "goroutine 1 [running]",
            "goroutine x [running]:",
            "goroutine 99999999999999999999999 [running]:",
            " goroutine 1 [running]:",
            "goroutine 1 [running] junk:",
            "goroutine 1 [running labels:{:",
            "Goroutine 8 (running) created at:",
        ] {
            assert!(parse_header(line).is_none(), "{line:?}");
        }
    }

    #[test]
    fn deadlock_dump() {
        let dump = parse_dump(DEADLOCK_127);
        let states: Vec<(u64, &str)> = dump
            .goroutines
            .iter()
            .map(|g| (g.id, g.state.as_str()))
            .collect();
        assert_eq!(
            states,
            [
                (1, "chan receive"),
                (19, "chan send"),
                (20, "chan receive (nil chan)"),
                (21, "sync.Mutex.Lock"),
                (22, "sync.WaitGroup.Wait"),
                (23, "select (no cases)"),
                (24, "sync.Cond.Wait"),
                (25, "chan send"),
            ]
        );
        assert!(
            dump.goroutines[1..]
                .iter()
                .all(Goroutine::is_blocked_on_sync)
        );

        let main = find(&dump, 1);
        assert_eq!(main.frames, [frame("main.main", "fx/main.go", 80, false)]);
        assert_eq!(main.created_by, None);

        let mutex = find(&dump, 21);
        assert_eq!(
            mutex.frames,
            [
                frame(
                    "internal/sync.runtime_SemacquireMutex",
                    "runtime/sema.go",
                    95,
                    false
                ),
                frame(
                    "internal/sync.(*Mutex).lockSlow",
                    "internal/sync/mutex.go",
                    149,
                    false
                ),
                frame(
                    "internal/sync.(*Mutex).Lock",
                    "internal/sync/mutex.go",
                    70,
                    true
                ),
                frame("sync.(*Mutex).Lock", "sync/mutex.go", 46, true),
                frame("main.(*box).lockForever", "fx/main.go", 22, false),
            ]
        );
        assert_eq!(
            mutex.created_by,
            Some(Creation {
                function: "main.spawnBlocked".into(),
                file: "fx/main.go".into(),
                line: 54,
                goroutine: Some(1),
            })
        );
    }

    #[test]
    fn inlined_generic_and_closure_frames() {
        let dump = parse_dump(DEADLOCK_127);
        assert_eq!(
            find(&dump, 25).frames,
            [
                frame("main.sendForever", "fx/main.go", 25, true),
                frame("main.spawnBlocked.func3.1", "fx/main.go", 65, true),
                frame("main.Map[...]", "fx/main.go", 37, true),
                frame("main.spawnBlocked.func3", "fx/main.go", 65, false),
            ]
        );
    }

    #[test]
    fn frame_without_offset_is_not_inlined() {
        // A runnable goroutine at its entry point prints `()` and no `+0x`.
        let dump = parse_dump("goroutine 8 [runnable]:\nmain.main.func7()\n\tfx/main.go:139\n");
        assert_eq!(
            dump.goroutines[0].frames,
            [frame("main.main.func7", "fx/main.go", 139, false)]
        );
    }

    #[test]
    fn sigquit_dump_with_fp_fields_and_registers() {
        for text in [SIGQUIT_127, SIGQUIT_126] {
            let dump = parse_dump(text);
            let idle = &dump.goroutines[0];
            assert_eq!((idle.id, idle.state.as_str()), (0, "idle"));
            assert_eq!(idle.frames[0].function, "runtime.futex");
            assert!(idle.frames[0].file.ends_with(".s"));
            assert!(dump.goroutines.iter().any(|g| g.state == "force gc (idle)"));
            let locked = dump
                .goroutines
                .iter()
                .find(|g| g.locked_to_thread)
                .expect("locked goroutine");
            assert_eq!(locked.state, "chan receive");
            // The gowrap frames appear at level 2; runtime.goexit closes each stack.
            let sender = dump
                .goroutines
                .iter()
                .find(|g| {
                    g.frames
                        .iter()
                        .any(|f| f.function == "main.spawnBlocked.gowrap1")
                })
                .expect("gowrap frame");
            assert_eq!(sender.state, "chan send");
            assert_eq!(
                sender.frames.last().map(|f| f.function.as_str()),
                Some("runtime.goexit")
            );
            // The register block after the last goroutine adds nothing.
            let last = dump.goroutines.last().expect("goroutines");
            assert_eq!(
                last.frames.last().map(|f| f.function.as_str()),
                Some("runtime.goexit")
            );
            assert!(last.created_by.is_some());
        }
    }

    #[test]
    fn leak_profile_debug2() {
        for text in [LEAK_126, LEAK_127] {
            let dump = parse_dump(text);
            assert_eq!(dump.goroutines.len(), 8);
            assert!(!dump.goroutines[0].leaked);
            assert!(
                dump.goroutines[1..]
                    .iter()
                    .all(|g| g.leaked && g.is_blocked_on_sync())
            );
            assert!(
                dump.goroutines
                    .iter()
                    .any(|g| g.state == "chan receive (nil chan)")
            );
        }
    }

    #[test]
    fn runtime_stack_output() {
        let dump = parse_dump(STACK_127);
        assert_eq!(dump.goroutines[0].state, "running");
        assert_eq!(
            dump.goroutines[0].frames[0],
            frame("main.stackDump", "fx/main.go", 72, true)
        );
        let locked = find(&dump, 17);
        assert!(locked.locked_to_thread);
        assert_eq!(locked.state, "chan receive");
    }

    #[test]
    fn elided_frames() {
        let dump = parse_dump(ELIDED_127);
        let deep = dump
            .goroutines
            .iter()
            .find(|g| g.elided_frames > 0)
            .expect("elided goroutine");
        assert_eq!(deep.elided_frames, 51);
        assert_eq!(deep.state, "chan send");
        assert_eq!(deep.frames.len(), 100);
        assert!(deep.created_by.is_some());
    }

    #[test]
    fn minutes_from_real_dump() {
        let dump = parse_dump(MINUTES_126);
        assert_eq!(find(&dump, 19).minutes, Some(1));
        assert_eq!(find(&dump, 1).minutes, None);
    }

    #[test]
    fn synctest_dump() {
        let dump = parse_dump(SYNCTEST_127);
        let summary: Vec<(&str, bool, Option<u64>)> = dump
            .goroutines
            .iter()
            .map(|g| (g.state.as_str(), g.durable, g.synctest_bubble))
            .collect();
        assert_eq!(
            summary,
            [
                ("chan receive", false, None),
                ("synctest.Run", true, Some(1)),
                ("chan receive", true, Some(1)),
                ("sleep", true, Some(1)),
                ("chan send", true, Some(1)),
                ("sleep", true, Some(1)),
                ("sync.Mutex.Lock", false, Some(1)),
            ]
        );
    }

    #[test]
    fn ancestors_are_skipped() {
        let dump = parse_dump(ANCESTORS_127);
        let child = find(&dump, 7);
        assert_eq!(
            child.frames,
            [frame("main.main.func3", "fx/main.go", 109, false)]
        );
        assert_eq!(child.created_by.as_ref().map(|c| c.line), Some(109));
        assert_eq!(
            find(&dump, 1).frames,
            [frame("main.main", "fx/main.go", 110, false)]
        );

        let text = "goroutine 9 [chan send]:\nmain.leaf()\n\t/x/a.go:3 +0x1\ncreated by main.mid in goroutine 8\n\t/x/a.go:9 +0x2\n[originating from goroutine 8]:\nmain.mid(...)\n\t/x/a.go:9 +0x2\n...additional frames elided...\n[originating from goroutine 1]:\nmain.main(...)\n\t/x/a.go:20 +0x3\n";
        let g = &parse_dump(text).goroutines[0];
        assert_eq!(g.frames, [frame("main.leaf", "/x/a.go", 3, false)]);
        assert_eq!(g.elided_frames, 0);
        assert_eq!(g.created_by.as_ref().and_then(|c| c.goroutine), Some(8));
    }

    #[test]
    fn stack_unavailable() {
        let dump = parse_dump(UNAVAILABLE_127);
        let g = find(&dump, 22);
        assert!(g.stack_unavailable);
        assert!(g.frames.is_empty());
        assert_eq!(
            g.created_by.as_ref().map(|c| c.function.as_str()),
            Some("main.main")
        );
        assert!(
            dump.goroutines
                .iter()
                .filter(|g| g.id != 22)
                .all(|g| !g.stack_unavailable)
        );
    }

    #[test]
    fn created_by_variants() {
        let text = "goroutine 3 [select]:\nmain.f()\n\t/a b/c.go:1 +0x1\ncreated by main.g\n\t/a b/c.go:2 +0x2\n\ngoroutine 4 [select]:\ncreated by main.(*T).run.gowrap2 in goroutine 3\n";
        let dump = parse_dump(text);
        assert_eq!(
            dump.goroutines[0].frames,
            [frame("main.f", "/a b/c.go", 1, false)]
        );
        assert_eq!(
            dump.goroutines[0].created_by,
            Some(Creation {
                function: "main.g".into(),
                file: "/a b/c.go".into(),
                line: 2,
                goroutine: None
            })
        );
        assert_eq!(
            dump.goroutines[1].created_by,
            Some(Creation {
                function: "main.(*T).run.gowrap2".into(),
                file: String::new(),
                line: 0,
                goroutine: Some(3),
            })
        );
    }

    #[test]
    fn blocks_inside_other_text() {
        let text = "=== RUN   TestX\nsome output()\n\tnot/a/frame\ngoroutine 5 [chan send]:\nmain.f(0x1, {0x2, 0x3})\n\t/m/x.go:7 +0x1a\nFAIL\tpkg\t0.01s\ngoroutine 6 [running]:\nmain.g()\n\t/m/x.go:9 +0x1\n";
        let dump = parse_dump(text);
        assert_eq!(dump.goroutines.len(), 2);
        assert_eq!(
            dump.goroutines[0].frames,
            [frame("main.f", "/m/x.go", 7, false)]
        );
        assert_eq!(
            dump.goroutines[1].frames,
            [frame("main.g", "/m/x.go", 9, false)]
        );
    }

    #[test]
    fn crlf_lines() {
        let dump = parse_dump("goroutine 5 [chan send]:\r\nmain.f()\r\n\t/m/x.go:7 +0x1a\r\n");
        assert_eq!(
            dump.goroutines[0].frames,
            [frame("main.f", "/m/x.go", 7, false)]
        );
    }

    #[test]
    fn blocked_on_sync_reasons() {
        for reason in SYNC_WAIT_REASONS {
            assert!(
                header(&format!("goroutine 2 [{reason}]:")).is_blocked_on_sync(),
                "{reason}"
            );
        }
        for reason in [
            "running",
            "sleep",
            "IO wait",
            "syscall",
            "synctest.Run",
            "runnable",
        ] {
            assert!(
                !header(&format!("goroutine 2 [{reason}]:")).is_blocked_on_sync(),
                "{reason}"
            );
        }
    }

    #[test]
    fn one_mebibyte_parses_quickly() {
        let mut text = String::new();
        while text.len() < 1 << 20 {
            text.push_str(DEADLOCK_127);
            text.push('\n');
        }
        let start = std::time::Instant::now();
        let dump = parse_dump(&text);
        let elapsed = start.elapsed();
        assert_eq!(
            dump.goroutines.len(),
            8 * text.matches("goroutine 1 [").count()
        );
        // Generous bound for unoptimised builds; a release build takes a few ms.
        assert!(elapsed.as_millis() < 2_000, "took {elapsed:?}");
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            parse_dump(&text);
        }

        #[test]
        fn dump_like_text_never_panics(
            text in r"(goroutine [0-9]{1,25}( gp=0x[0-9a-f]{1,4} m=(nil|1 mp=0x1))? \[[a-z .(),0-9{}:\x22\]]{0,30}\][ {}a-z:\x22]{0,8}:?\n|[a-z.()*\[\]]{0,12}\(\.{0,3}\)\n|\t[a-z/ ]{0,8}:[0-9]{0,12}( \+0x1)?( fp=0x1)?\n|created by [a-z. ]{0,20}( in goroutine [0-9]{0,22})?\n|\.\.\.[0-9]{0,12} frames elided\.\.\.\n|\[originating from goroutine 1\]:\n|\n){0,40}"
        ) {
            parse_dump(&text);
        }

        #[test]
        fn mutated_fixture_never_panics(
            cut in 0usize..SIGQUIT_127.len(),
            len in 0usize..400,
            junk in any::<String>(),
        ) {
            let bytes = SIGQUIT_127.as_bytes();
            let end = (cut + len).min(bytes.len());
            let mut mutated = String::from_utf8_lossy(&bytes[..cut]).into_owned();
            mutated.push_str(&junk);
            mutated.push_str(&String::from_utf8_lossy(&bytes[end..]));
            parse_dump(&mutated);
            parse_dump(&String::from_utf8_lossy(&bytes[..cut]));
        }
    }
}
