//! Fuzzing with oracles: proptest-generated inputs, run as real Go, checked against what a rule
//! or a model says must happen.
//!
//! - [`rule`] (tier 1): a scenario's expectation as a function of its parameters, checked by
//!   [`crate::Harness::reproduce`] at drawn parameter points.
//! - [`lang`] (tier 2): a small language of concurrent programs and its generators;
//!   [`model`] computes every terminal state a program can reach; [`render`] writes programs as
//!   Go; [`batch`] builds many programs into one binary and runs them; [`campaign`] draws
//!   batches from a seed (the same batch on every machine) for `gorepro fuzz`.
//!
//! Both tiers compare an [`EndState`]: the outcome, the panic or fatal error and where it was
//! raised, and the stuck goroutines by wait reason and source line. It is read off the
//! classifier's [`Diagnosis`], so a mistake anywhere between the Go program and the diagnosis
//! (renderer, runtime, parsers, classifier) or in the model shows up as a disagreement.

pub mod batch;
pub mod campaign;
pub mod lang;
pub mod model;
pub mod points;
pub mod render;

use std::fmt;

use crate::Diagnosis;
use model::Terminal;

/// The comparable part of how a run ended.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndState {
    /// `clean`, `deadlock`, `leak`, `panic`, `fatal`, ...
    pub outcome: String,
    /// The panic or fatal error id (`send-on-closed`) and where it was raised.
    pub failure: Option<(String, String)>,
    /// One entry per stuck goroutine: wait reason and location, sorted.
    pub stuck: Vec<(String, String)>,
}

impl EndState {
    /// What the classifier said.
    pub fn observed(diagnosis: &Diagnosis) -> EndState {
        let mut stuck: Vec<(String, String)> = diagnosis
            .stuck
            .iter()
            .flat_map(|group| {
                let at = group.at.clone().unwrap_or_else(|| "?".into());
                group
                    .goroutines
                    .iter()
                    .map(move |_| (group.wait.clone(), at.clone()))
            })
            .collect();
        stuck.sort();
        EndState {
            outcome: diagnosis.outcome.as_str().to_string(),
            failure: diagnosis
                .failure
                .as_ref()
                .map(|f| (f.id.to_string(), f.at.clone().unwrap_or_else(|| "?".into()))),
            stuck,
        }
    }

    /// What a model terminal state means for the program rendered at `lines`.
    pub fn expected(
        terminal: &Terminal,
        lines: &std::collections::BTreeMap<(usize, usize), u32>,
    ) -> EndState {
        let at = |g: usize, op: usize| {
            lines.get(&(g, op)).map_or("?".to_string(), |line| {
                format!("{}:{line}", render::BATCH_FILE)
            })
        };
        let stuck = |blocked: &[model::Blocked]| {
            let mut stuck: Vec<(String, String)> = blocked
                .iter()
                .map(|b| (b.wait.to_string(), at(b.goroutine, b.op)))
                .collect();
            stuck.sort();
            stuck
        };
        match terminal {
            Terminal::Clean => EndState {
                outcome: "clean".into(),
                failure: None,
                stuck: vec![],
            },
            Terminal::Deadlock(b) => EndState {
                outcome: "deadlock".into(),
                failure: None,
                stuck: stuck(b),
            },
            Terminal::Leak(b) => EndState {
                outcome: "leak".into(),
                failure: None,
                stuck: stuck(b),
            },
            Terminal::Failure {
                goroutine,
                op,
                kind,
            } => EndState {
                outcome: if kind.is_fatal() { "fatal" } else { "panic" }.into(),
                failure: Some((kind.id().to_string(), at(*goroutine, *op))),
                stuck: vec![],
            },
        }
    }
}

impl fmt::Display for EndState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.outcome)?;
        if let Some((id, at)) = &self.failure {
            write!(f, " {id} at {at}")?;
        }
        for (wait, at) in &self.stuck {
            write!(f, "; [{wait}] at {at}")?;
        }
        Ok(())
    }
}
