//! Scenario specs: the data half of a scenario (the Go half lives in `go-samples/`).
//!
//! A spec is a TOML file in `scenarios/` naming the bug class it reproduces, the Go package
//! that reproduces it, the parameter domain with defaults, the expected diagnosis of its `buggy`
//! and `fixed` variants, and the explanation and fix shown to people. Loading checks all of it
//! and reports problems with the file and line; nothing here ever reaches the classifier.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::vocabulary::when::{self, Expr};
use crate::vocabulary::{Outcome, taxonomy};

/// One loaded, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    /// The taxonomy id of the bug class the `buggy` variant reproduces.
    pub class: &'static str,
    /// The Go package directory, relative to `go-samples/`.
    pub package: String,
    pub params: Vec<ParamSpec>,
    pub buggy: Expectation,
    pub fixed: Expectation,
    pub explanation: String,
    pub fix: String,
    /// Build with the race detector (`-race`, which needs cgo). Spec: `[build] race`.
    pub race: bool,
    /// Build with gorepro's hook in package sync, which `support/synchook` uses to hold a
    /// goroutine inside `WaitGroup.Add` (see [`crate::codegen::hook_waitgroup`]). Spec:
    /// `[build] sync_hook`.
    pub sync_hook: bool,
    /// `GODEBUG` for the program's run, e.g. `asyncpreemptoff=1`. Spec: `[run] godebug`.
    pub godebug: Option<String>,
    pub spec_path: PathBuf,
}

/// One integer parameter, rendered into the program as an exported Go constant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: String,
    pub doc: String,
    pub default: i64,
    pub min: i64,
    pub max: i64,
}

impl ParamSpec {
    /// `timeout_ms` becomes the Go constant `TimeoutMs`.
    pub fn go_name(&self) -> String {
        self.name
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// What the spec says the diagnosis of one variant must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub outcome: Outcome,
    pub class: Option<&'static str>,
    pub stuck: Vec<ExpectedStuck>,
    /// The `go vet` analyzers that must report on this variant; any other finding is a
    /// mismatch (a scenario meant to trip vet says so here).
    pub vet: Vec<String>,
    /// `[[expect.<variant>.when]]`: the first clause whose condition holds at the run's
    /// parameters replaces this expectation (see [`Scenario::expectation_at`]).
    pub when: Vec<Clause>,
}

/// A parameter-dependent expectation: `if` a condition over the parameters, then this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub condition: Expr,
    pub then: Expectation,
}

/// A stuck goroutine the diagnosis must list: its wait reason and, optionally, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedStuck {
    pub wait: String,
    /// `buggy.go:23` or `buggy.go`, relative to the scenario's package directory.
    pub at: Option<String>,
    pub count: Option<usize>,
    /// `count_of = "items - capacity"`: the count as a function of the parameters.
    pub count_of: Option<Expr>,
}

/// Which of a scenario's two programs to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Buggy,
    Fixed,
}

impl Variant {
    pub const ALL: [Variant; 2] = [Variant::Buggy, Variant::Fixed];

    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Buggy => "buggy",
            Variant::Fixed => "fixed",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parameter values for one run: every parameter of the scenario, defaults filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Params(pub BTreeMap<String, i64>);

/// A spec or a parameter choice the harness cannot accept.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("scenario id {id:?} is defined twice: {} and {}", first.display(), second.display())]
    Duplicate {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("no scenario {id:?}; known: {known}")]
    Unknown { id: String, known: String },
    #[error("scenario {scenario:?} has no parameter {name:?}; its parameters: {known}")]
    UnknownParam {
        scenario: String,
        name: String,
        known: String,
    },
    #[error(
        "parameter {name}={value} of scenario {scenario:?} is outside its domain {min}..={max}"
    )]
    OutOfDomain {
        scenario: String,
        name: String,
        value: i64,
        min: i64,
        max: i64,
    },
    #[error("{text:?} is not a parameter setting: expected NAME=INTEGER")]
    ParamSyntax { text: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    id: Spanned<String>,
    title: String,
    class: Spanned<String>,
    package: Option<Spanned<String>>,
    explanation: String,
    fix: String,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Spanned<RawParam>>,
    build: Option<RawBuild>,
    run: Option<RawRun>,
    expect: RawExpect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    #[serde(default)]
    race: bool,
    #[serde(default)]
    sync_hook: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    godebug: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    default: i64,
    min: i64,
    max: i64,
    doc: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    buggy: RawExpectation,
    fixed: RawExpectation,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectation {
    outcome: Spanned<String>,
    class: Option<Spanned<String>>,
    #[serde(default)]
    stuck: Vec<RawStuck>,
    #[serde(default)]
    vet: Vec<Spanned<String>>,
    #[serde(default)]
    when: Vec<RawClause>,
}

/// Like [`RawExpectation`] with a condition (not `#[serde(flatten)]`, which loses the spans).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClause {
    #[serde(rename = "if")]
    condition: Spanned<String>,
    outcome: Spanned<String>,
    class: Option<Spanned<String>>,
    #[serde(default)]
    stuck: Vec<RawStuck>,
    #[serde(default)]
    vet: Vec<Spanned<String>>,
}

impl RawClause {
    fn then(&self) -> RawExpectation {
        RawExpectation {
            outcome: self.outcome.clone(),
            class: self.class.clone(),
            stuck: self.stuck.clone(),
            vet: self.vet.clone(),
            when: Vec::new(),
        }
    }
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawStuck {
    wait: String,
    at: Option<String>,
    count: Option<usize>,
    count_of: Option<Spanned<String>>,
}

/// Parses and validates one spec. `samples_dir` is `go-samples/`, where the package must exist.
pub fn load(path: &Path, samples_dir: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text, samples_dir)
}

/// Like [`load`], on text already read.
pub fn parse(path: &Path, text: &str, samples_dir: &Path) -> Result<Scenario, ScenarioError> {
    let invalid = |span: std::ops::Range<usize>, message: String| {
        let (line, column) = line_column(text, span.start);
        ScenarioError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    };
    let raw: RawSpec = toml::from_str(text).map_err(|err| {
        let message = err.message().trim().to_string();
        invalid(err.span().unwrap_or(0..0), message)
    })?;

    let id = raw.id.get_ref();
    if !is_kebab_id(id) {
        return Err(invalid(
            raw.id.span(),
            format!("id {id:?} must be lowercase letters, digits and '-'"),
        ));
    }
    if path.file_stem().and_then(|s| s.to_str()) != Some(id.as_str()) {
        return Err(invalid(
            raw.id.span(),
            format!("id {id:?} must match the file name ({id}.toml)"),
        ));
    }
    let class = known_class(&raw.class).map_err(|m| invalid(raw.class.span(), m))?;

    let package = match &raw.package {
        Some(package) => package.get_ref().clone(),
        None => format!("scenarios/{}", id.replace('-', "_")),
    };
    let package_span = raw.package.as_ref().map_or(raw.id.span(), |p| p.span());
    for file in ["main.go", "buggy.go", "fixed.go", "params.go"] {
        if !samples_dir.join(&package).join(file).is_file() {
            return Err(invalid(
                package_span.clone(),
                format!("package go-samples/{package} has no {file}"),
            ));
        }
    }

    let mut params = Vec::new();
    for (name, param) in &raw.params {
        let value = param.get_ref();
        if !is_snake_name(name.get_ref()) {
            return Err(invalid(
                name.span(),
                format!("parameter name {:?} must be snake_case", name.get_ref()),
            ));
        }
        if !(value.min <= value.default && value.default <= value.max) {
            return Err(invalid(
                param.span(),
                format!(
                    "parameter {:?}: default {} is outside {}..={}",
                    name.get_ref(),
                    value.default,
                    value.min,
                    value.max
                ),
            ));
        }
        params.push(ParamSpec {
            name: name.get_ref().clone(),
            doc: value.doc.clone(),
            default: value.default,
            min: value.min,
            max: value.max,
        });
    }

    let param_names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
    let names: Vec<&str> = param_names.iter().map(String::as_str).collect();
    let expression = |text: &Spanned<String>| {
        when::parse(text.get_ref(), &names).map_err(|m| invalid(text.span(), m))
    };
    fn expectation(
        raw: &RawExpectation,
        invalid: &dyn Fn(std::ops::Range<usize>, String) -> ScenarioError,
        expression: &dyn Fn(&Spanned<String>) -> Result<Expr, ScenarioError>,
    ) -> Result<Expectation, ScenarioError> {
        let outcome: Outcome = raw
            .outcome
            .get_ref()
            .parse()
            .map_err(|m| invalid(raw.outcome.span(), m))?;
        let class = raw
            .class
            .as_ref()
            .map(|c| known_class(c).map_err(|m| invalid(c.span(), m)))
            .transpose()?;
        let mut vet = Vec::new();
        for analyzer in &raw.vet {
            if !is_snake_name(analyzer.get_ref()) {
                return Err(invalid(
                    analyzer.span(),
                    format!("{:?} is not a go vet analyzer name", analyzer.get_ref()),
                ));
            }
            vet.push(analyzer.get_ref().clone());
        }
        let mut vet = Vec::new();
        for analyzer in &raw.vet {
            if !is_snake_name(analyzer.get_ref()) {
                return Err(invalid(
                    analyzer.span(),
                    format!("{:?} is not a go vet analyzer name", analyzer.get_ref()),
                ));
            }
            vet.push(analyzer.get_ref().clone());
        }
        // A clean run's only class is an inversion its lock order predicts.
        if outcome == Outcome::Clean && class.is_some_and(|c| c != crate::lockorder::CLASS) {
            return Err(invalid(
                raw.outcome.span(),
                format!(
                    "a clean outcome cannot name a bug class other than {}",
                    crate::lockorder::CLASS
                ),
            ));
        }
        let mut stuck = Vec::new();
        for s in &raw.stuck {
            if let (Some(_), Some(of)) = (s.count, &s.count_of) {
                return Err(invalid(
                    of.span(),
                    "give `count` or `count_of`, not both".into(),
                ));
            }
            stuck.push(ExpectedStuck {
                wait: s.wait.clone(),
                at: s.at.clone(),
                count: s.count,
                count_of: s.count_of.as_ref().map(expression).transpose()?,
            });
        }
        let mut when = Vec::new();
        for clause in &raw.when {
            when.push(Clause {
                condition: expression(&clause.condition)?,
                then: expectation(&clause.then(), invalid, expression)?,
            });
        }
        Ok(Expectation {
            outcome,
            class,
            stuck,
            vet,
            when,
        })
    }
    let expectation = |raw: &RawExpectation| expectation(raw, &invalid, &expression);

    let godebug = match raw.run.as_ref().and_then(|r| r.godebug.as_ref()) {
        Some(godebug) if !is_godebug(godebug.get_ref()) => {
            return Err(invalid(
                godebug.span(),
                format!(
                    "godebug {:?} must be NAME=VALUE settings separated by commas",
                    godebug.get_ref()
                ),
            ));
        }
        godebug => godebug.map(|g| g.get_ref().clone()),
    };

    Ok(Scenario {
        id: id.clone(),
        title: raw.title.trim().to_string(),
        class,
        package,
        params,
        buggy: expectation(&raw.expect.buggy)?,
        fixed: expectation(&raw.expect.fixed)?,
        explanation: raw.explanation.trim().to_string(),
        fix: raw.fix.trim().to_string(),
        race: raw.build.as_ref().is_some_and(|b| b.race),
        sync_hook: raw.build.as_ref().is_some_and(|b| b.sync_hook),
        godebug,
        spec_path: path.to_path_buf(),
    })
}

fn known_class(class: &Spanned<String>) -> Result<&'static str, String> {
    taxonomy::lookup(class.get_ref())
        .map(|c| c.id)
        .ok_or_else(|| {
            format!(
                "unknown bug class {:?}; see docs/taxonomy.md",
                class.get_ref()
            )
        })
}

fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_snake_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `asyncpreemptoff=1,gctrace=0`: what GODEBUG accepts.
fn is_godebug(text: &str) -> bool {
    text.split(',').all(|setting| {
        setting.split_once('=').is_some_and(|(name, value)| {
            is_snake_name(name) && !value.is_empty() && !value.contains(char::is_whitespace)
        })
    })
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Scenario {
    pub fn expectation(&self, variant: Variant) -> &Expectation {
        match variant {
            Variant::Buggy => &self.buggy,
            Variant::Fixed => &self.fixed,
        }
    }

    /// The expectation at these parameters: the first `when` clause that holds (else the
    /// variant's own), with every `count_of` evaluated into `count`; a clause without `vet`
    /// keeps the variant's `vet`.
    pub fn expectation_at(&self, variant: Variant, params: &Params) -> Expectation {
        let base = self.expectation(variant);
        let chosen = base
            .when
            .iter()
            .find(|c| c.condition.eval(&params.0) != 0)
            .map_or(base, |c| &c.then);
        Expectation {
            outcome: chosen.outcome,
            class: chosen.class,
            stuck: chosen
                .stuck
                .iter()
                .map(|s| ExpectedStuck {
                    count: s
                        .count_of
                        .as_ref()
                        .map(|e| e.eval(&params.0).max(0) as usize)
                        .or(s.count),
                    count_of: None,
                    ..s.clone()
                })
                .collect(),
            // vet findings do not depend on the parameters: a clause that names none keeps
            // the variant's.
            vet: if chosen.vet.is_empty() {
                base.vet.clone()
            } else {
                chosen.vet.clone()
            },
            when: Vec::new(),
        }
    }

    /// The defaults, overridden by `NAME=VALUE` settings; unknown names and values outside
    /// the domain are errors.
    pub fn params<S: AsRef<str>>(&self, settings: &[S]) -> Result<Params, ScenarioError> {
        let mut values: BTreeMap<String, i64> = self
            .params
            .iter()
            .map(|p| (p.name.clone(), p.default))
            .collect();
        for setting in settings {
            let text = setting.as_ref();
            let (name, value) = text
                .split_once('=')
                .and_then(|(n, v)| Some((n.trim(), v.trim().parse::<i64>().ok()?)))
                .ok_or_else(|| ScenarioError::ParamSyntax {
                    text: text.to_string(),
                })?;
            let spec = self.params.iter().find(|p| p.name == name).ok_or_else(|| {
                ScenarioError::UnknownParam {
                    scenario: self.id.clone(),
                    name: name.to_string(),
                    known: if self.params.is_empty() {
                        "none".into()
                    } else {
                        self.params
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                }
            })?;
            if !(spec.min..=spec.max).contains(&value) {
                return Err(ScenarioError::OutOfDomain {
                    scenario: self.id.clone(),
                    name: name.to_string(),
                    value,
                    min: spec.min,
                    max: spec.max,
                });
            }
            values.insert(name.to_string(), value);
        }
        Ok(Params(values))
    }
}

/// Every scenario in `scenarios/`, sorted by id.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub scenarios: Vec<Scenario>,
}

impl Catalog {
    /// Loads every `*.toml` directly in `scenarios_dir`.
    pub fn load(scenarios_dir: &Path, samples_dir: &Path) -> Result<Catalog, ScenarioError> {
        let read_err = |source| ScenarioError::Read {
            path: scenarios_dir.to_path_buf(),
            source,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(scenarios_dir)
            .map_err(read_err)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();
        let mut scenarios: Vec<Scenario> = Vec::new();
        for path in paths {
            let scenario = load(&path, samples_dir)?;
            if let Some(first) = scenarios.iter().find(|s| s.id == scenario.id) {
                return Err(ScenarioError::Duplicate {
                    id: scenario.id,
                    first: first.spec_path.clone(),
                    second: path,
                });
            }
            scenarios.push(scenario);
        }
        scenarios.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Catalog { scenarios })
    }

    pub fn get(&self, id: &str) -> Result<&Scenario, ScenarioError> {
        self.scenarios
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| ScenarioError::Unknown {
                id: id.to_string(),
                known: self
                    .scenarios
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"id = "demo"
title = "A demo"
class = "chan.send-no-receiver"
explanation = "what happens"
fix = "the fix"

[params.timeout_ms]
default = 5
min = 1
max = 100
doc = "how long the caller waits"

[expect.buggy]
outcome = "leak"
class = "chan.send-no-receiver"
stuck = [{ wait = "chan send", at = "buggy.go:23" }]

[expect.fixed]
outcome = "clean"
"#;

    fn samples() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("scenarios/demo");
        std::fs::create_dir_all(&package).unwrap();
        for file in ["main.go", "buggy.go", "fixed.go", "params.go"] {
            std::fs::write(package.join(file), "package main\n").unwrap();
        }
        dir
    }

    fn parse_spec(text: &str) -> Result<Scenario, ScenarioError> {
        let samples = samples();
        parse(Path::new("scenarios/demo.toml"), text, samples.path())
    }

    #[test]
    fn a_valid_spec_loads() {
        let scenario = parse_spec(SPEC).unwrap();
        assert_eq!(scenario.package, "scenarios/demo");
        assert_eq!(scenario.params[0].go_name(), "TimeoutMs");
        assert_eq!(scenario.buggy.outcome, Outcome::Leak);
        assert_eq!(scenario.buggy.stuck[0].at.as_deref(), Some("buggy.go:23"));
        assert_eq!(scenario.fixed.class, None);
    }

    fn error_of(text: &str) -> String {
        parse_spec(text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let unknown_field = SPEC.replace("fix = \"the fix\"", "fix = \"the fix\"\ncolour = 3");
        assert!(
            error_of(&unknown_field).starts_with("scenarios/demo.toml:6:1: unknown field `colour`"),
            "{}",
            error_of(&unknown_field)
        );
        let bad_class = SPEC.replace(
            "class = \"chan.send-no-receiver\"\nexplanation",
            "class = \"chan.nope\"\nexplanation",
        );
        assert_eq!(
            error_of(&bad_class),
            "scenarios/demo.toml:3:9: unknown bug class \"chan.nope\"; see docs/taxonomy.md"
        );
        let bad_default = SPEC.replace("default = 5", "default = 500");
        assert!(
            error_of(&bad_default)
                .contains(":7:1: parameter \"timeout_ms\": default 500 is outside 1..=100"),
            "{}",
            error_of(&bad_default)
        );
        let bad_outcome = SPEC.replace("outcome = \"leak\"", "outcome = \"leaky\"");
        assert!(
            error_of(&bad_outcome).contains(":14:11: unknown outcome \"leaky\""),
            "{}",
            error_of(&bad_outcome)
        );
        let syntax = SPEC.replace("title = \"A demo\"", "title = \"A demo");
        assert!(
            error_of(&syntax).starts_with("scenarios/demo.toml:2:"),
            "{}",
            error_of(&syntax)
        );
        let wrong_id = SPEC.replace("id = \"demo\"", "id = \"other\"");
        assert!(error_of(&wrong_id).contains("must match the file name"));
    }

    #[test]
    fn build_and_run_settings_and_vet_expectations() {
        let spec = SPEC.replace(
            "[expect.buggy]\noutcome = \"leak\"",
            "[build]\nrace = true\n\n[run]\ngodebug = \"asyncpreemptoff=1\"\n\n[expect.buggy]\noutcome = \"leak\"\nvet = [\"copylocks\"]",
        );
        let scenario = parse_spec(&spec).unwrap();
        assert!(scenario.race);
        assert_eq!(scenario.godebug.as_deref(), Some("asyncpreemptoff=1"));
        assert_eq!(scenario.buggy.vet, ["copylocks"]);
        assert!(scenario.fixed.vet.is_empty());
        let plain = parse_spec(SPEC).unwrap();
        assert!(!plain.race && plain.godebug.is_none());

        let bad = spec.replace("asyncpreemptoff=1", "asyncpreemptoff");
        assert!(
            error_of(&bad).contains("godebug \"asyncpreemptoff\" must be NAME=VALUE"),
            "{}",
            error_of(&bad)
        );
        let bad = spec.replace("[\"copylocks\"]", "[\"copy locks\"]");
        assert!(error_of(&bad).contains("is not a go vet analyzer name"));
        let bad = spec.replace("race = true", "race = true\nmsan = true");
        assert!(
            error_of(&bad).contains("unknown field `msan`"),
            "{}",
            error_of(&bad)
        );
    }

    #[test]
    fn when_clauses_and_count_of_follow_the_parameters() {
        let spec = SPEC.replace(
            "stuck = [{ wait = \"chan send\", at = \"buggy.go:23\" }]",
            "stuck = [{ wait = \"chan send\", count_of = \"timeout_ms - 1\" }]\n\n\
             [[expect.buggy.when]]\nif = \"timeout_ms >= 50\"\noutcome = \"clean\"",
        );
        let scenario = parse_spec(&spec).unwrap();
        let at = |v: &str| {
            scenario.expectation_at(
                Variant::Buggy,
                &scenario.params(&[format!("timeout_ms={v}")]).unwrap(),
            )
        };
        assert_eq!(at("5").outcome, Outcome::Leak);
        assert_eq!(at("5").stuck[0].count, Some(4));
        assert_eq!(at("50").outcome, Outcome::Clean);
        assert!(at("50").stuck.is_empty());
        let typo = spec.replace("if = \"timeout_ms >= 50\"", "if = \"timeout >= 50\"");
        assert!(
            error_of(&typo).contains(":19:6: \"timeout\" is not a parameter of this scenario"),
            "{}",
            error_of(&typo)
        );
        let nested = spec.replace("outcome = \"clean\"\n", "outcome = \"clean\"\nwhen = []\n");
        assert!(
            error_of(&nested).contains("unknown field `when`"),
            "{}",
            error_of(&nested)
        );
    }

    #[test]
    fn a_missing_go_package_is_reported() {
        let spec = SPEC.replace("title =", "package = \"scenarios/missing\"\ntitle =");
        assert!(error_of(&spec).contains("package go-samples/scenarios/missing has no main.go"));
    }

    #[test]
    fn param_settings_are_checked_against_the_domain() {
        let scenario = parse_spec(SPEC).unwrap();
        assert_eq!(scenario.params::<&str>(&[]).unwrap().0["timeout_ms"], 5);
        assert_eq!(
            scenario.params(&["timeout_ms=7"]).unwrap().0["timeout_ms"],
            7
        );
        assert_eq!(
            scenario.params(&["workers=2"]).unwrap_err().to_string(),
            "scenario \"demo\" has no parameter \"workers\"; its parameters: timeout_ms"
        );
        assert_eq!(
            scenario.params(&["timeout_ms=0"]).unwrap_err().to_string(),
            "parameter timeout_ms=0 of scenario \"demo\" is outside its domain 1..=100"
        );
        assert!(matches!(
            scenario.params(&["timeout_ms"]),
            Err(ScenarioError::ParamSyntax { .. })
        ));
    }
}
