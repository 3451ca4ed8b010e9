//! How a run ended: the one word every stage agrees on, from the spec's expectation to the
//! report.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Finished with no goroutine left behind.
    Clean,
    /// Every scenario goroutine blocked with nothing able to wake them.
    Deadlock,
    /// The scenario finished but left goroutines behind.
    Leak,
    /// An unrecovered panic.
    Panic,
    /// A fatal runtime error (other than the runtime's own deadlock report).
    Fatal,
    /// Still running at the deadline: no verdict, no progress.
    Timeout,
    /// A support-package gate waited too long: the scenario itself is broken.
    GateTimeout,
    /// Ended some other way (a signal, an unexpected exit status).
    Crashed,
    /// Finished without blocking or failing, but the scenario's own invariant check failed
    /// (`support.Check`): a lost message or result, a goroutine that never ran.
    InvariantViolated,
    /// The race detector reported a data race (`-race` builds).
    DataRace,
}

impl Outcome {
    pub const ALL: [Outcome; 10] = [
        Outcome::Clean,
        Outcome::Deadlock,
        Outcome::Leak,
        Outcome::Panic,
        Outcome::Fatal,
        Outcome::Timeout,
        Outcome::GateTimeout,
        Outcome::Crashed,
        Outcome::InvariantViolated,
        Outcome::DataRace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Clean => "clean",
            Outcome::Deadlock => "deadlock",
            Outcome::Leak => "leak",
            Outcome::Panic => "panic",
            Outcome::Fatal => "fatal",
            Outcome::Timeout => "timeout",
            Outcome::GateTimeout => "gate-timeout",
            Outcome::Crashed => "crashed",
            Outcome::InvariantViolated => "invariant-violated",
            Outcome::DataRace => "data-race",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Outcome, String> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
                format!(
                    "unknown outcome {s:?}; expected one of {}",
                    known.join(", ")
                )
            })
    }
}
