//! Goroutines the user expects to stay: `gorepro diagnose --ignore RULE` and the module's
//! `.goreproignore` file, in the spirit of goleak's `IgnoreTopFunction` and
//! `IgnoreAnyFunction`.
//!
//! A rule is `top:FUNCTION` (the goroutine's innermost frame is FUNCTION), `any:FUNCTION` (FUNCTION
//! is on its stack, anywhere) or a bare `FUNCTION`, which means `top:`. FUNCTION is written as a
//! goroutine dump writes it, fully qualified: `example.com/cache.(*Cache).janitor`,
//! `internal/poll.runtime_pollWait`. The file holds one rule per line; blank lines and lines
//! starting with `#` are skipped. The supervisor leaves an ignored goroutine out of everything
//! it decides (never stuck, never a leak, never keeping a run from ending clean) and lists it
//! in `verdict.json`, so a report can say how many goroutines it ignored.

use std::path::{Path, PathBuf};

/// The file of rules in a module's root.
pub const IGNORE_FILE: &str = ".goreproignore";

/// Where a rule looks for its function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The innermost frame.
    Top,
    /// Any frame.
    Any,
}

/// One rule: goroutines whose stack matches are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    pub matches: Match,
    pub function: String,
}

impl std::str::FromStr for IgnoreRule {
    type Err = String;

    /// `top:FUNCTION`, `any:FUNCTION` or `FUNCTION`.
    fn from_str(text: &str) -> Result<IgnoreRule, String> {
        let text = text.trim();
        let (matches, function) = match text.split_once(':') {
            Some(("top", function)) => (Match::Top, function.trim()),
            Some(("any", function)) => (Match::Any, function.trim()),
            Some((other, _)) => {
                return Err(format!(
                    "{text:?}: a rule is top:FUNCTION, any:FUNCTION or FUNCTION, not {other}:"
                ));
            }
            None => (Match::Top, text),
        };
        // A dump names a function with its package path and at least one dot after it.
        let name = function.rsplit('/').next().unwrap_or(function);
        if function.is_empty() || function.contains(char::is_whitespace) || !name.contains('.') {
            return Err(format!(
                "{text:?}: FUNCTION is a fully qualified name as a goroutine dump writes it, such as example.com/cache.(*Cache).janitor"
            ));
        }
        Ok(IgnoreRule {
            matches,
            function: function.to_string(),
        })
    }
}

impl std::fmt::Display for IgnoreRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.matches {
            Match::Top => "top",
            Match::Any => "any",
        };
        write!(f, "{kind}:{}", self.function)
    }
}

/// `.goreproignore` holds a rule gorepro cannot read.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreFileError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Rule {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// The rules of the `.goreproignore` in `module_root`; none when there is no such file.
pub fn load(module_root: &Path) -> Result<Vec<IgnoreRule>, IgnoreFileError> {
    let path = module_root.join(IGNORE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(IgnoreFileError::Read { path, source }),
    };
    parse_file(&path, &text)
}

fn parse_file(path: &Path, text: &str) -> Result<Vec<IgnoreRule>, IgnoreFileError> {
    let mut rules = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        rules.push(line.parse().map_err(|message| IgnoreFileError::Rule {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        })?);
    }
    Ok(rules)
}

/// The rules as the supervisor reads them from `GOREPRO_IGNORE`: one per line.
pub fn env_value(rules: &[IgnoreRule]) -> String {
    rules
        .iter()
        .map(IgnoreRule::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_in_every_spelling() {
        let rule = |text: &str| text.parse::<IgnoreRule>();
        assert_eq!(
            rule("example.com/cache.(*Cache).janitor").unwrap(),
            IgnoreRule {
                matches: Match::Top,
                function: "example.com/cache.(*Cache).janitor".into()
            }
        );
        assert_eq!(
            rule(" any: internal/poll.runtime_pollWait ").unwrap(),
            IgnoreRule {
                matches: Match::Any,
                function: "internal/poll.runtime_pollWait".into()
            }
        );
        assert_eq!(rule("top:pool.worker").unwrap().matches, Match::Top);
        assert_eq!(
            rule("top:pool.worker").unwrap().to_string(),
            "top:pool.worker"
        );
        for bad in [
            "",
            "top:",
            "first:pool.worker",
            "worker",
            "example.com/x",
            "a.b c",
        ] {
            assert!(rule(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(
            rule("first:pool.worker").unwrap_err(),
            r#""first:pool.worker": a rule is top:FUNCTION, any:FUNCTION or FUNCTION, not first:"#
        );
    }

    #[test]
    fn the_file_skips_comments_and_names_the_bad_line() {
        let path = Path::new("/m/.goreproignore");
        let rules = parse_file(
            path,
            "# expected goroutines\n\ncache.(*Cache).janitor\nany:net/http.(*Server).Serve\n",
        )
        .unwrap();
        assert_eq!(
            env_value(&rules),
            "top:cache.(*Cache).janitor\nany:net/http.(*Server).Serve"
        );
        let err = parse_file(path, "cache.janitor\n\nnot a rule\n").unwrap_err();
        assert!(
            err.to_string().starts_with("/m/.goreproignore:3: "),
            "{err}"
        );
    }

    #[test]
    fn no_file_is_no_rules() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        std::fs::write(dir.path().join(IGNORE_FILE), "any:x.y\n").unwrap();
        assert_eq!(load(dir.path()).unwrap().len(), 1);
    }
}
