//! Which test leaked which goroutines, in a test binary's leak run.
//!
//! The supervisor of a test binary attributes goroutines as goleak's `VerifyNone` would look for
//! them, at the end of each test: `gorepro diagnose` adds a `t.Cleanup` to every test and subtest
//! (on the test function's own line, so no line moves) and the cleanup, which runs on the test's
//! goroutine after its subtests and the test's own cleanups, lists every goroutine and gives
//! the ones no earlier test claimed to this test, unless their creator is still there and
//! belongs to another test (a parallel one) or was claimed already. Goroutine ids are never
//! reused, so a goroutine that is still there at the end was there at the end of the first
//! test that ended after it started. That is exact for tests that run one after the other, and
//! the creator decides between parallel tests while it lives; what started outside any test
//! (package init, `TestMain`) has no test. The creator chain alone is not enough (a test's
//! goroutine is gone by the time its leak is judged, and the dump names only a living
//! creator), and the execution trace keeps only a recent window of a long suite.
//! `verdict.json` carries the result as `owners`; this module names the goroutines as the
//! diagnosis does and groups them by test.

use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::evidence::world::{self, UserCode};

/// The goroutines one test left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestLeak {
    /// As go test names it (`TestCache`, a subtest `TestCache/empty`); `TestMain` for goroutines
    /// started outside any test.
    pub test: String,
    /// How many goroutines it left.
    pub count: usize,
    /// The first [`MAX_LISTED`] of them, in name order.
    pub goroutines: Vec<LeakedGoroutine>,
}

/// Goroutines listed per leaking test: every run keeps its leaks (JUnit names the test of each
/// run), so a test that leaves 100,000 costs no more than one that leaves a few.
pub const MAX_LISTED: usize = 20;

/// One goroutine left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakedGoroutine {
    /// Its name in the diagnosis (`G3`).
    pub name: String,
    /// Its state in the final dump (`chan send`, `sleep`).
    pub state: String,
    /// Its innermost frame in the module: function and `file:line`.
    pub function: Option<String>,
    pub at: Option<String>,
}

/// Goroutines started outside any test.
pub const OUTSIDE_TESTS: &str = "TestMain";

/// The goroutines a leak run left behind, grouped by the test that started them, tests in
/// name order; empty unless the supervisor ended the run as a leak and attributed goroutines.
pub fn by_test(evidence: &Evidence, user_code: &UserCode) -> Vec<TestLeak> {
    let Some(verdict) = evidence.verdict.as_ref() else {
        return Vec::new();
    };
    if verdict.verdict != crate::evidence::VerdictKind::Leak || verdict.owners.is_empty() {
        return Vec::new();
    }
    let world = world::build(evidence, user_code);
    let mut leaks: Vec<TestLeak> = Vec::new();
    for &id in &verdict.scenario_goroutines {
        let Some(g) = world.get(id) else {
            continue; // the root, or the testing package's machinery
        };
        let test = verdict
            .owners
            .iter()
            .find(|o| o.goroutine == id)
            .map_or(OUTSIDE_TESTS, |o| o.test.as_str());
        let leaked = LeakedGoroutine {
            name: g.name.clone(),
            state: g.final_state.clone().unwrap_or_default(),
            function: g.final_function.clone(),
            at: g.final_at.as_ref().map(ToString::to_string),
        };
        match leaks.iter_mut().find(|l| l.test == test) {
            Some(leak) => leak.goroutines.push(leaked),
            None => leaks.push(TestLeak {
                test: test.to_string(),
                count: 0,
                goroutines: vec![leaked],
            }),
        }
    }
    leaks.sort_by(|a, b| a.test.cmp(&b.test));
    for leak in &mut leaks {
        leak.count = leak.goroutines.len();
        leak.goroutines
            .sort_by(|a, b| natural(&a.name).cmp(&natural(&b.name)));
        leak.goroutines.truncate(MAX_LISTED);
    }
    leaks
}

/// `G12` after `G2`.
fn natural(name: &str) -> (usize, &str) {
    (name.len(), name)
}
