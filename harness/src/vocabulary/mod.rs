//! The vocabulary every stage shares, at the bottom of the crate: how a run ends ([`Outcome`]),
//! the bug classes ([`taxonomy`]) and the expression language of a spec's `when` ([`when`]). It
//! imports no stage, so the scenario spec can name an outcome or a class without depending on
//! the classifier or the fuzzer.

mod outcome;
pub mod taxonomy;
pub mod when;

pub use outcome::Outcome;
