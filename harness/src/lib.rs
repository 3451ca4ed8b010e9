//! gorepro reproduces Go concurrency bugs on purpose, diagnoses them from what the Go runtime
//! says, and pins the diagnosis down in snapshot tests.
//!
//! A run goes through one stage per module:
//!
//! scenario ([`scenario`]: the spec) -> codegen ([`codegen`]: params into Go) -> build
//! ([`build`]: content-addressed binary) -> run ([`run`]: supervised process) -> evidence
//! ([`evidence`]: dumps, panics, trace, instances) -> graph ([`graph`]: who waits on and holds
//! which primitive instance) -> classify ([`classify`]: a [`Diagnosis`]) -> report ([`report`]:
//! normalized text, JSON, terminal).
//!
//! Beneath every stage, [`vocabulary`] holds the words they share: the outcome, the bug classes,
//! the `when` expressions of a spec.
//!
//! [`Harness::reproduce`] composes them. The spec's expectation is compared with the diagnosis
//! at the very end; it never feeds the classifier.
//!
//! ```no_run
//! use gorepro::{Config, Harness, RunOptions, scenario::Variant};
//! let harness = Harness::new(Config::from_env()?)?;
//! let scenario = harness.catalog.get("chan-send-abandoned")?;
//! let params = scenario.params::<&str>(&[])?;
//! let record = harness.reproduce(scenario, Variant::Buggy, &params, &RunOptions::default())?;
//! assert!(record.matches, "{:?}", record.mismatches);
//! # Ok::<(), gorepro::Error>(())
//! ```

pub mod build;
pub mod classify;
pub mod codegen;
pub mod config;
pub mod diagnose;
pub mod evidence;
pub mod export;
pub mod fuzz;
pub mod gotest;
pub mod graph;
pub mod ignore;
pub mod interrupt;
pub mod leaks;
pub mod lockorder;
pub mod merge;
pub mod report;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod sources;
pub mod toolchain;
pub mod vet;
pub mod vocabulary;

pub use classify::Diagnosis;
pub use config::Config;
pub use report::RunRecord;
pub use vocabulary::Outcome;

use evidence::world::UserCode;
use scenario::{Catalog, Expectation, Params, Scenario, Variant};
use toolchain::Toolchain;

/// Any harness failure. Behaviour of the Go program is never an error: it is a diagnosis.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Sources(#[from] sources::SourcesError),
    #[error(transparent)]
    Toolchain(#[from] toolchain::ToolchainError),
    #[error(transparent)]
    Scenario(#[from] scenario::ScenarioError),
    #[error(transparent)]
    Build(#[from] build::BuildError),
    #[error(transparent)]
    Run(#[from] run::RunError),
    #[error(transparent)]
    Codegen(#[from] codegen::CodegenError),
    #[error(transparent)]
    Export(#[from] export::ExportError),
    #[error(transparent)]
    Diagnose(#[from] diagnose::DiagnoseError),
    #[error(transparent)]
    Merge(#[from] merge::MergeError),
    #[error("cannot handle SIGINT and SIGTERM")]
    Signals {
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("unknown bug class or scenario {0:?}; `gorepro list` shows them")]
    UnknownClass(String),
    #[error("cannot write {}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the Go source in {}", path.display())]
    Source {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// How to run one reproduction.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `GOMAXPROCS` of the program. Default 2.
    pub gomaxprocs: u32,
    /// Distinguishes the evidence dirs of runs that may happen at the same time.
    pub label: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            gomaxprocs: 2,
            label: "run".into(),
        }
    }
}

/// The toolchain, the catalog and the settings: everything a reproduction needs.
#[derive(Debug, Clone)]
pub struct Harness {
    pub config: Config,
    pub toolchain: Toolchain,
    pub catalog: Catalog,
    /// One trace reader process for every run of this harness and its clones.
    pub trace_reader: std::sync::Arc<evidence::TraceReader>,
}

impl Harness {
    /// Also writes the embedded sources out when the config uses them and they are not
    /// written yet.
    pub fn new(config: Config) -> Result<Harness, Error> {
        if config.sources == config::Sources::Embedded {
            sources::materialize(&config.cache_dir)?;
        }
        let toolchain = Toolchain::discover(&config)?;
        let catalog = Catalog::load(&config.scenarios_dir(), &config.samples_dir())?;
        let trace_reader = std::sync::Arc::new(evidence::TraceReader::new(
            toolchain.clone(),
            &config.cache_dir,
            &config.samples_dir(),
        ));
        Ok(Harness {
            config,
            toolchain,
            catalog,
            trace_reader,
        })
    }

    /// The program for a scenario variant, as it would be built.
    pub fn program(
        &self,
        scenario: &Scenario,
        variant: Variant,
        params: &Params,
    ) -> Result<codegen::Program, Error> {
        let mut program = codegen::render(scenario, variant, params, self.config.samples_dir());
        let goroot = self.toolchain.goroot()?;
        if scenario.sync_hook {
            program.overlay.push(codegen::waitgroup_overlay(&goroot)?);
        }
        if self.config.instances {
            program.add_instances(&goroot)?;
        }
        Ok(program)
    }

    /// The command line that replays this run.
    pub fn replay_command(
        &self,
        scenario: &Scenario,
        variant: Variant,
        params: &Params,
        options: &RunOptions,
    ) -> String {
        let gorepro = match self.config.sources {
            config::Sources::Workspace => "cargo run --release --",
            config::Sources::Embedded => "gorepro",
        };
        let mut command = format!(
            "GOREPRO_GO={} {gorepro} run {} --variant {variant} --gomaxprocs {}",
            self.toolchain.go.display(),
            scenario.id,
            options.gomaxprocs
        );
        for (name, value) in &params.0 {
            command.push_str(&format!(" --param {name}={value}"));
        }
        command
    }

    /// Builds, runs and diagnoses one variant, and compares the diagnosis with the spec.
    pub fn reproduce(
        &self,
        scenario: &Scenario,
        variant: Variant,
        params: &Params,
        options: &RunOptions,
    ) -> Result<RunRecord, Error> {
        let program = self.program(scenario, variant, params)?;
        let artifact = build::build(&self.toolchain, &program, &self.config.cache_dir)?;
        let vet_output = vet::vet(
            &self.toolchain,
            &program,
            &artifact,
            &self.config.cache_dir.join("tmp"),
        );
        let evidence_dir = self.config.cache_dir.join("runs").join(format!(
            "{}-{variant}-p{}-{}",
            scenario.id, options.gomaxprocs, options.label
        ));
        let output = run::run(
            &run::RunRequest {
                binary: artifact.binary.clone(),
                evidence_dir,
                gomaxprocs: options.gomaxprocs,
                base_env: self.toolchain.env(),
                args: Vec::new(),
                env: scenario
                    .godebug
                    .iter()
                    .map(|godebug| ("GODEBUG".to_string(), godebug.clone()))
                    .collect(),
            },
            &self.config,
        )?;
        let evidence_started = std::time::Instant::now();
        let mut evidence = evidence::collect(&self.trace_reader, &self.config, &output);
        // vet prints physical absolute paths.
        let module_dir = std::fs::canonicalize(&program.module_dir)
            .unwrap_or_else(|_| program.module_dir.clone());
        evidence.vet = vet::parse(&vet_output, &module_dir);
        let diagnosis = classify::classify(&evidence, &UserCode::samples());
        let evidence_time = evidence_started.elapsed();
        let expectation = &scenario.expectation_at(variant, params);
        let mismatches = compare(expectation, &diagnosis, &scenario.package);
        Ok(RunRecord {
            scenario: scenario.id.clone(),
            variant,
            params: params.clone(),
            gomaxprocs: options.gomaxprocs,
            go_version: self.toolchain.version.to_string(),
            expected_outcome: expectation.outcome,
            expected_class: expectation.class,
            observed_outcome: diagnosis.outcome,
            observed_class: diagnosis.class,
            matches: mismatches.is_empty(),
            mismatches,
            timings: report::Timings {
                build: artifact.build_time,
                build_cached: artifact.cached,
                run: output.wall,
                evidence: evidence_time,
                verdict: diagnosis.latency,
            },
            diagnosis,
            evidence_dir: output.evidence_dir.display().to_string(),
            replay: self.replay_command(scenario, variant, params, options),
        })
    }
}

/// How the diagnosis falls short of the expectation, one line per difference.
pub fn compare(expectation: &Expectation, diagnosis: &Diagnosis, package: &str) -> Vec<String> {
    let mut mismatches = Vec::new();
    if expectation.outcome != diagnosis.outcome {
        mismatches.push(format!(
            "outcome {}, diagnosed {}",
            expectation.outcome, diagnosis.outcome
        ));
    }
    if expectation.class != diagnosis.class {
        mismatches.push(format!(
            "class {}, diagnosed {}",
            expectation.class.unwrap_or("none"),
            diagnosis.class.unwrap_or("none")
        ));
    }
    for want in &expectation.stuck {
        let place = want.at.as_ref().map(|at| format!("{package}/{at}"));
        let found: usize = diagnosis
            .stuck
            .iter()
            .filter(|g| g.wait == want.wait)
            .filter(|g| match (&place, &g.at) {
                (None, _) => true,
                (Some(place), Some(at)) => {
                    at == place || at.rsplit_once(':').is_some_and(|(file, _)| file == place)
                }
                (Some(_), None) => false,
            })
            .map(|g| g.goroutines.len())
            .sum();
        let ok = match want.count {
            Some(count) => found == count,
            None => found > 0,
        };
        if !ok {
            mismatches.push(format!(
                "{} goroutine(s) stuck in {}{}, diagnosed {found}",
                want.count.map_or("some".to_string(), |c| c.to_string()),
                want.wait,
                place.map(|p| format!(" at {p}")).unwrap_or_default()
            ));
        }
    }
    for analyzer in &expectation.vet {
        if !diagnosis.vet.iter().any(|f| &f.analyzer == analyzer) {
            mismatches.push(format!("a go vet {analyzer} finding, diagnosed none"));
        }
    }
    for finding in &diagnosis.vet {
        if !expectation.vet.contains(&finding.analyzer) {
            mismatches.push(format!(
                "no go vet findings, diagnosed {}:{}: {} ({}); a scenario meant to trip vet \
                 declares the analyzer in its expectation",
                finding.file, finding.line, finding.message, finding.analyzer
            ));
        }
    }
    if expectation.outcome == Outcome::Clean && !diagnosis.stuck.is_empty() {
        mismatches.push(format!(
            "no stuck goroutines, diagnosed {}",
            diagnosis.stuck.len()
        ));
    }
    mismatches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnosis(vet: &[&str]) -> Diagnosis {
        Diagnosis {
            outcome: Outcome::Clean,
            class: None,
            stuck: vec![],
            failure: None,
            observations: vec![],
            vet: vet
                .iter()
                .map(|analyzer| vet::Finding {
                    analyzer: analyzer.to_string(),
                    file: "scenarios/x/buggy.go".into(),
                    line: 9,
                    message: "m".into(),
                })
                .collect(),
            explanation: String::new(),
            notes: vec![],
            details: vec![],
            wait_for: None,
            timeline: None,
            latency: None,
            inconclusive: false,
            lock_order: None,
        }
    }

    fn expecting(vet: &[&str]) -> Expectation {
        Expectation {
            outcome: Outcome::Clean,
            class: None,
            stuck: vec![],
            vet: vet.iter().map(|a| a.to_string()).collect(),
            when: vec![],
        }
    }

    #[test]
    fn vet_findings_must_be_exactly_the_declared_ones() {
        assert!(compare(&expecting(&["copylocks"]), &diagnosis(&["copylocks"]), "p").is_empty());
        assert!(compare(&expecting(&[]), &diagnosis(&[]), "p").is_empty());
        assert_eq!(
            compare(&expecting(&["copylocks"]), &diagnosis(&[]), "p"),
            ["a go vet copylocks finding, diagnosed none"]
        );
        let undeclared = compare(&expecting(&[]), &diagnosis(&["lostcancel"]), "p");
        assert_eq!(undeclared.len(), 1);
        assert!(
            undeclared[0].starts_with(
                "no go vet findings, diagnosed scenarios/x/buggy.go:9: m (lostcancel)"
            ),
            "{undeclared:?}"
        );
    }
}
