//! One integration-test binary. Modules:
//! - `snapshots`: every scenario variant reproduced with the real Go, diagnosis snapshotted.
//! - `recorded`: the classifier on runtime output recorded from real runs, without Go.
//! - `catalog`: the specs, their Go packages and the snapshot files agree.
//! - `export`: an exported scenario runs with plain `go run`.
//! - `vet`: go vet findings reach the diagnosis.
//! - `report_html`: the HTML page of a recorded run shows its lanes, stuck ends and lines.
//! - `bad_input`: the CLI on missing/old Go, broken specs and programs, hostile processes.
//! - `diagnose`: `gorepro diagnose` on user code (main, tests, a file), replay, the corpus.
//! - `supervision`: timers, tickers and leftovers under diagnose; what the holds cost.
//! - `trace_reader`: the long-lived trace reader on real, damaged and foreign files.

mod bad_input;
mod catalog;
mod common;
mod diagnose;
mod export;
mod fuzz;
mod recorded;
mod report_html;
mod snapshots;
mod supervision;
mod trace_reader;
mod vet;
