//! go test's flags for `gorepro diagnose`, spelled as go test spells them (`-run RE`, `-short`,
//! `-count=2`), after the packages or after `--`.
//!
//! clap reads gorepro's own options (`--runs`, `--seed`, ...); it cannot read one-dash long
//! flags, so [`go_test_flags_last`] moves them behind a `--` before clap sees the command line,
//! and [`TestFlags::parse`] reads them there, with an error that lists the supported flags for
//! any other.

use std::ffi::OsString;

/// The go test flags `gorepro diagnose` understands.
pub const SUPPORTED: &str = "-run, -skip, -short, -count, -v, -tags, -race";

/// go test's flags that take a value, supported or not: the value moves with its flag.
const VALUE_FLAGS: &[&str] = &[
    "run",
    "skip",
    "count",
    "tags",
    "timeout",
    "bench",
    "benchtime",
    "blockprofile",
    "blockprofilerate",
    "coverpkg",
    "covermode",
    "coverprofile",
    "cpu",
    "cpuprofile",
    "exec",
    "fuzz",
    "fuzzminimizetime",
    "fuzztime",
    "gcflags",
    "ldflags",
    "list",
    "memprofile",
    "memprofilerate",
    "mod",
    "modfile",
    "mutexprofile",
    "mutexprofilefraction",
    "o",
    "outputdir",
    "overlay",
    "p",
    "parallel",
    "pgo",
    "shuffle",
    "toolexec",
    "trace",
    "vet",
];

/// gorepro's own options that take a value (clap's), so their values stay where they are.
const OWN_VALUE_OPTIONS: &[&str] = &["--runs", "--seed", "--gomaxprocs", "--test"];

/// The go test flags of a `gorepro diagnose` command line moved behind a `--` (where clap
/// leaves them alone), each with its value: `gorepro diagnose ./... -run X --runs 3` becomes
/// `gorepro diagnose ./... --runs 3 -- -run X`. Other command lines are returned unchanged.
pub fn go_test_flags_last(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_none_or(|a| a != "diagnose") {
        return args;
    }
    let mut kept: Vec<OsString> = args[..2].to_vec();
    let mut moved: Vec<OsString> = Vec::new();
    let mut rest = args[2..].iter();
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            moved.extend(rest.by_ref().cloned());
            break;
        }
        if OWN_VALUE_OPTIONS.contains(&text.as_ref()) {
            kept.push(arg.clone());
            kept.extend(rest.next().cloned());
        } else if text.starts_with('-') && !text.starts_with("--") && text.len() > 1 && text != "-h"
        {
            moved.push(arg.clone());
            let name = text.trim_start_matches('-');
            let name = name.strip_prefix("test.").unwrap_or(name);
            if !name.contains('=') && VALUE_FLAGS.contains(&name) {
                moved.extend(rest.next().cloned());
            }
        } else {
            kept.push(arg.clone());
        }
    }
    if !moved.is_empty() {
        kept.push("--".into());
        kept.extend(moved);
    }
    kept
}

/// go test's flags as `gorepro diagnose` passes them on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestFlags {
    /// `-run`: the tests, examples and fuzz targets to run (go test's regular expressions, one
    /// per level of subtests, separated by `/`).
    pub run: Option<String>,
    /// `-skip`: the tests not to run.
    pub skip: Option<String>,
    /// `-short`: `testing.Short()` is true.
    pub short: bool,
    /// `-count N`: each test runs N times within one run of the test binary (default 1).
    pub count: Option<u32>,
    /// `-v`: the tests' verbose output, printed on stderr after each run.
    pub verbose: bool,
    /// `-tags`: build tags (a build flag: they select files, as for `go test`).
    pub tags: Vec<String>,
    /// `-race`: built with the race detector (which needs cgo and a C compiler).
    pub race: bool,
}

/// A go test flag `gorepro diagnose` cannot take.
#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    #[error(
        "go test flag -{name} is not supported by gorepro diagnose; the supported ones: {SUPPORTED}"
    )]
    Unsupported { name: String },
    #[error(
        "go test's -timeout is gorepro diagnose's own --timeout (same syntax, default 10m): write --timeout"
    )]
    Timeout,
    #[error("{text:?} is not a go test flag: go test flags follow the packages (or --)")]
    NotAFlag { text: String },
    #[error("go test flag -{name} needs a value")]
    MissingValue { name: String },
    #[error("go test flag -{name}={value:?}: {expected}")]
    BadValue {
        name: String,
        value: String,
        expected: &'static str,
    },
}

impl TestFlags {
    /// Reads go test flags: `-name`, `-name=value` or `-name value` (also `--name` and go test's
    /// own `-test.name`). A later flag overrides an earlier one, as in go test.
    pub fn parse(args: &[String]) -> Result<TestFlags, FlagError> {
        let mut flags = TestFlags::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let Some(flag) = arg
                .strip_prefix("--")
                .or_else(|| arg.strip_prefix('-'))
                .filter(|f| !f.is_empty())
            else {
                return Err(FlagError::NotAFlag { text: arg.clone() });
            };
            let flag = flag.strip_prefix("test.").unwrap_or(flag);
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (flag, None),
            };
            let bad = |value: &str, expected| FlagError::BadValue {
                name: name.into(),
                value: value.into(),
                expected,
            };
            let boolean = |value: Option<String>| match value.as_deref() {
                None | Some("true" | "1" | "t" | "T" | "TRUE" | "True") => Ok(true),
                Some("false" | "0" | "f" | "F" | "FALSE" | "False") => Ok(false),
                Some(other) => Err(bad(other, "true or false")),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next().cloned())
                    .ok_or_else(|| FlagError::MissingValue { name: name.into() })
            };
            match name {
                "run" | "skip" => {
                    let pattern = value()?;
                    check_pattern(&pattern).map_err(|expected| bad(&pattern, expected))?;
                    let slot = if name == "run" {
                        &mut flags.run
                    } else {
                        &mut flags.skip
                    };
                    *slot = Some(pattern).filter(|p| !p.is_empty());
                }
                "count" => {
                    let text = value()?;
                    let count = text
                        .parse()
                        .ok()
                        .filter(|&n: &u32| n >= 1)
                        .ok_or_else(|| bad(&text, "a whole number, 1 or more"))?;
                    flags.count = Some(count).filter(|&n| n != 1);
                }
                "tags" => {
                    flags.tags = value()?
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                "short" => flags.short = boolean(inline)?,
                "v" => flags.verbose = boolean(inline)?,
                "race" => flags.race = boolean(inline)?,
                // The seam for the supervisor's deadline: go test's -timeout.
                "timeout" => return Err(FlagError::Timeout),
                _ => return Err(FlagError::Unsupported { name: name.into() }),
            }
        }
        Ok(flags)
    }

    /// The flags as go test spells them, one word each, in a fixed order (identity, replay).
    pub fn spelled(&self) -> Vec<String> {
        let mut words = Vec::new();
        if let Some(run) = &self.run {
            words.push(format!("-run={run}"));
        }
        if let Some(skip) = &self.skip {
            words.push(format!("-skip={skip}"));
        }
        if self.short {
            words.push("-short".into());
        }
        if let Some(count) = self.count {
            words.push(format!("-count={count}"));
        }
        if self.verbose {
            words.push("-v".into());
        }
        if !self.tags.is_empty() {
            words.push(format!("-tags={}", self.tags.join(",")));
        }
        if self.race {
            words.push("-race".into());
        }
        words
    }

    /// The test binary's own flags for these go test flags, but `-run` (the supervisor reads
    /// it from `GOREPRO_TEST_RUN`) and the build flags.
    pub fn binary_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(skip) = &self.skip {
            args.push(format!("-test.skip={skip}"));
        }
        if self.short {
            args.push("-test.short=true".into());
        }
        if let Some(count) = self.count {
            args.push(format!("-test.count={count}"));
        }
        if self.verbose {
            args.push("-test.v=true".into());
        }
        args
    }

    /// `-run` or `-skip` narrows which tests run.
    pub fn selects(&self) -> bool {
        self.run.is_some() || self.skip.is_some()
    }
}

/// A `-run`/`-skip` pattern the testing package would reject (it exits before any test): each
/// `/`-separated element must be a regular expression. The regex crate's syntax is close to
/// Go's RE2 syntax for what test patterns use.
fn check_pattern(pattern: &str) -> Result<(), &'static str> {
    // The testing package splits on `/` outside brackets and parentheses.
    let mut depth = 0i32;
    let mut start = 0;
    let mut elements = Vec::new();
    for (i, c) in pattern.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            '/' if depth == 0 => {
                elements.push(&pattern[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    elements.push(&pattern[start..]);
    if elements.iter().all(|e| regex::Regex::new(e).is_ok()) {
        Ok(())
    } else {
        Err("a regular expression (one per subtest level, separated by /)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<OsString> {
        text.split(' ').map(OsString::from).collect()
    }

    fn parse(text: &str) -> Result<TestFlags, FlagError> {
        let args: Vec<String> = text.split(' ').map(str::to_string).collect();
        TestFlags::parse(&args)
    }

    #[test]
    fn go_test_flags_move_behind_a_double_dash_with_their_values() {
        assert_eq!(
            go_test_flags_last(words(
                "gorepro diagnose -v ./... -run ^TestA$ --runs 3 -count=2 -tags a,b --json"
            )),
            words("gorepro diagnose ./... --runs 3 --json -- -v -run ^TestA$ -count=2 -tags a,b")
        );
        assert_eq!(
            go_test_flags_last(words("gorepro diagnose ./x -short -- -race")),
            words("gorepro diagnose ./x -- -short -race")
        );
        // An unsupported flag's value moves with it, so the error names the flag, not a
        // package called "5s".
        assert_eq!(
            go_test_flags_last(words("gorepro diagnose . -benchtime 5s")),
            words("gorepro diagnose . -- -benchtime 5s")
        );
        for unchanged in [
            "gorepro diagnose ./x --seed v3:3",
            "gorepro diagnose -h",
            "gorepro run -x",
        ] {
            assert_eq!(go_test_flags_last(words(unchanged)), words(unchanged));
        }
    }

    #[test]
    fn flags_in_every_go_test_spelling() {
        let flags =
            parse("-run ^TestA$ -skip=Slow -short -count 2 -v=true -tags a,b -race").unwrap();
        assert_eq!(
            flags,
            TestFlags {
                run: Some("^TestA$".into()),
                skip: Some("Slow".into()),
                short: true,
                count: Some(2),
                verbose: true,
                tags: vec!["a".into(), "b".into()],
                race: true,
            }
        );
        assert_eq!(
            flags.spelled(),
            [
                "-run=^TestA$",
                "-skip=Slow",
                "-short",
                "-count=2",
                "-v",
                "-tags=a,b",
                "-race"
            ]
        );
        assert_eq!(
            flags.binary_args(),
            [
                "-test.skip=Slow",
                "-test.short=true",
                "-test.count=2",
                "-test.v=true"
            ]
        );
        assert_eq!(
            parse("--test.run=X -short=false -tags integration").unwrap(),
            TestFlags {
                run: Some("X".into()),
                tags: vec!["integration".into()],
                ..TestFlags::default()
            }
        );
        // -count=1 is the default.
        assert_eq!(parse("-count=1").unwrap(), TestFlags::default());
    }

    #[test]
    fn bad_flags_are_named() {
        let error = parse("-bench .").unwrap_err();
        assert_eq!(
            error.to_string(),
            "go test flag -bench is not supported by gorepro diagnose; the supported ones: -run, -skip, -short, -count, -v, -tags, -race"
        );
        assert!(matches!(parse("-timeout 5m"), Err(FlagError::Timeout)));
        assert!(matches!(parse("-run"), Err(FlagError::MissingValue { .. })));
        assert!(matches!(parse("-count 0"), Err(FlagError::BadValue { .. })));
        assert!(matches!(
            parse("-run TestA/(sub"),
            Err(FlagError::BadValue { .. })
        ));
        assert!(parse("-run TestA/[/]x").is_ok());
        assert!(matches!(
            parse("-short=maybe"),
            Err(FlagError::BadValue { .. })
        ));
        assert!(matches!(parse("./..."), Err(FlagError::NotAFlag { .. })));
    }
}
