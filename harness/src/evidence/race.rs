//! Data race reports of `-race` builds: the blocks between `WARNING: DATA RACE` and the
//! closing `==================` that ThreadSanitizer's Go runtime prints on stderr
//! (go-runtime.md §3), one per racing pair of program counters. Each names the two
//! conflicting accesses (`Read at 0x… by goroutine 8:` and `Previous write at 0x… by
//! goroutine 9:`) with their stacks, then where the goroutines were created. Goroutine ids
//! and addresses vary from run to run; the source lines do not. Parsing never fails: a line
//! that fits nothing is skipped.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::dump::Frame;

/// One `WARNING: DATA RACE` report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RaceReport {
    /// The current access first, then the previous one.
    pub accesses: Vec<RaceAccess>,
    /// `Goroutine N (running|finished) created at:` blocks.
    pub creations: Vec<RaceCreation>,
}

/// One of the two conflicting accesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaceAccess {
    /// `Previous write at …`: the earlier access of the pair.
    pub previous: bool,
    /// `read`, `write`, `atomic read`, `atomic write` (lowercase).
    pub kind: String,
    /// None for `by main goroutine`.
    pub goroutine: Option<u64>,
    /// Innermost first.
    pub frames: Vec<Frame>,
}

/// Where a goroutine of the report was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaceCreation {
    pub goroutine: u64,
    /// `running` or `finished`.
    pub state: String,
    pub frames: Vec<Frame>,
}

static ACCESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?i:(previous) )?(?i)(read|write|atomic read|atomic write)(?: of size \d+)? at 0x[0-9a-f]+ by (?:goroutine (\d+)|main goroutine):$",
    )
    .expect("access regex is valid")
});

static CREATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Goroutine (\d+) \(([a-z]+)\) created at:$").expect("creation regex is valid")
});

/// What the frames being read belong to.
enum Target {
    None,
    Access,
    Creation,
}

/// Every race report in a stderr text, in order.
pub fn parse_races(lines: &[&str]) -> Vec<RaceReport> {
    let mut reports = Vec::new();
    let mut current: Option<RaceReport> = None;
    let mut target = Target::None;
    for (index, &line) in lines.iter().enumerate() {
        if line == "WARNING: DATA RACE" {
            reports.extend(current.take());
            current = Some(RaceReport::default());
            target = Target::None;
            continue;
        }
        let Some(report) = current.as_mut() else {
            continue;
        };
        if line.starts_with("==================") {
            reports.extend(current.take());
            continue;
        }
        if let Some(c) = ACCESS.captures(line) {
            report.accesses.push(RaceAccess {
                previous: c.get(1).is_some(),
                kind: c[2].to_ascii_lowercase(),
                goroutine: c.get(3).and_then(|g| g.as_str().parse().ok()),
                frames: Vec::new(),
            });
            target = Target::Access;
        } else if let Some(c) = CREATION.captures(line) {
            let Ok(goroutine) = c[1].parse() else {
                continue;
            };
            report.creations.push(RaceCreation {
                goroutine,
                state: c[2].to_string(),
                frames: Vec::new(),
            });
            target = Target::Creation;
        } else if let Some(call) = frame_function(line) {
            let location = lines.get(index + 1).and_then(|next| frame_location(next));
            let (file, line_number) = location.unwrap_or_default();
            let frame = Frame {
                function: call.to_string(),
                file: file.to_string(),
                line: line_number,
                inlined: false,
            };
            let frames = match target {
                Target::Access => report.accesses.last_mut().map(|a| &mut a.frames),
                Target::Creation => report.creations.last_mut().map(|c| &mut c.frames),
                Target::None => None,
            };
            if let Some(frames) = frames {
                frames.push(frame);
            }
        }
    }
    // A report cut off by the output cap still counts.
    reports.extend(current);
    reports
}

/// `  main.worker()` (two spaces, a call): the function name.
fn frame_function(line: &str) -> Option<&str> {
    let call = line.strip_prefix("  ")?;
    if call.starts_with(' ') {
        return None;
    }
    let open = call.rfind('(')?;
    call.ends_with(')').then(|| &call[..open])
}

/// `      pkg/file.go:13 +0x8d`: the file and line.
fn frame_location(line: &str) -> Option<(&str, u32)> {
    let text = line.strip_prefix("      ")?.trim_start();
    let text = text.split(" +0x").next()?;
    let (file, number) = text.rsplit_once(':')?;
    Some((file, number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real report from go1.26.8 (`-race`, 4 goroutines doing `hits++`).
    const REPORT: &str = "==================
WARNING: DATA RACE
Read at 0x0000006212d8 by goroutine 8:
  main.worker()
      example.com/racex/main.go:13 +0x8d
  main.main.gowrap1()
      example.com/racex/main.go:21 +0x2e

Previous write at 0x0000006212d8 by goroutine 11:
  main.worker()
      example.com/racex/main.go:13 +0xa5
  main.main.gowrap1()
      example.com/racex/main.go:21 +0x2e

Goroutine 8 (running) created at:
  main.main()
      example.com/racex/main.go:21 +0x56

Goroutine 11 (finished) created at:
  main.main()
      example.com/racex/main.go:21 +0x56
==================
4000
Found 1 data race(s)
";

    fn parse(text: &str) -> Vec<RaceReport> {
        parse_races(&text.lines().collect::<Vec<_>>())
    }

    #[test]
    fn a_real_report_parses_completely() {
        let reports = parse(REPORT);
        assert_eq!(reports.len(), 1);
        let report = &reports[0];
        let accesses: Vec<_> = report
            .accesses
            .iter()
            .map(|a| (a.previous, a.kind.as_str(), a.goroutine))
            .collect();
        assert_eq!(
            accesses,
            [(false, "read", Some(8)), (true, "write", Some(11))]
        );
        assert_eq!(
            report.accesses[1].frames[0],
            Frame {
                function: "main.worker".into(),
                file: "example.com/racex/main.go".into(),
                line: 13,
                inlined: false,
            }
        );
        assert_eq!(report.accesses[0].frames.len(), 2);
        let creations: Vec<_> = report
            .creations
            .iter()
            .map(|c| (c.goroutine, c.state.as_str(), c.frames[0].line))
            .collect();
        assert_eq!(creations, [(8, "running", 21), (11, "finished", 21)]);
    }

    #[test]
    fn main_goroutine_atomic_and_sized_accesses() {
        let text = "WARNING: DATA RACE\nAtomic write of size 8 at 0x1 by main goroutine:\n  main.main()\n      m.go:5 +0x1\nPrevious read at 0x1 by goroutine 3:\n==================\n";
        let report = &parse(text)[0];
        assert_eq!(report.accesses[0].kind, "atomic write");
        assert_eq!(report.accesses[0].goroutine, None);
        assert_eq!(report.accesses[1].kind, "read");
        assert!(report.accesses[1].previous);
    }

    #[test]
    fn odd_text_never_panics_and_cut_reports_count() {
        assert!(parse("").is_empty());
        assert!(parse("  main.worker()\n      x.go:1\n").is_empty());
        let cut = parse(
            "WARNING: DATA RACE\nRead at 0x1 by goroutine 99999999999999999999999:\n  f(\n      :x\n  g()\n",
        );
        assert_eq!(cut.len(), 1);
        assert_eq!(cut[0].accesses[0].goroutine, None);
        assert_eq!(cut[0].accesses[0].frames[0].line, 0);
    }
}
