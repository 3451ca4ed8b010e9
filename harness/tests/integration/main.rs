//! One integration-test binary. Modules:
//! - `snapshots`: every scenario variant reproduced with the real Go, diagnosis snapshotted.
//! - `recorded`: the classifier on runtime output recorded from real runs, without Go.
//! - `catalog`: the specs, their Go packages and the snapshot files agree.
//! - `export`: an exported scenario runs with plain `go run`.
//! - `vet`: go vet findings reach the diagnosis.
//! - `report_html`: the HTML page of a recorded run shows its lanes, stuck ends and lines.
//! - `bad_input`: the CLI on missing/old Go, broken specs and programs, hostile processes.
//! - `diagnose`: `gorepro diagnose` on user code (main, tests, a file), replay, the corpus,
//!   the realworld cases.
//! - `ci_outputs`: `gorepro diagnose --junit/--sarif` files as CI systems read them.
//! - `diagnose_stream`: the `gorepro diagnose` CLI: JSON lines as runs finish, SIGTERM/SIGINT,
//!   failing tests as findings, exit statuses.
//! - `install`: the binary copied out of the workspace (as `cargo install` leaves it) diagnoses
//!   a module and shows the catalog from the sources it carries; the package carries them.
//! - `gotest_shape`: `gorepro diagnose` like `go test`: `./...`, go test's flags, the user's
//!   environment, a file inside a module, `-race`.
//! - `supervision`: timers, tickers and leftovers under diagnose; what the holds cost.
//! - `trace_reader`: the long-lived trace reader on real, damaged and foreign files.
//! - `instances`: `instances.json` against the dump of the same run (recorded and live).
//! - `big_reports`: a big test package's report: grouping by user frame, the timeline's width,
//!   the `diagnose --html` page.
//! - `lock_order`: predicted lock-order inversions in `diagnose`, and none in the catalog but
//!   where expected.
//! - `shard`: `--shard K/N` of `run` and `diagnose`, and `gorepro merge` of the shards' lines.
//! - `coexist`: `gorepro diagnose` beside goleak, goroutine counts and stack-shape tests; the
//!   leak report per test; ignore rules.

mod bad_input;
mod big_reports;
mod catalog;
mod ci_outputs;
mod coexist;
mod common;
mod diagnose;
mod diagnose_stream;
mod export;
mod fuzz;
mod gotest_shape;
mod install;
mod instances;
mod lock_order;
mod recorded;
mod report_html;
mod shard;
mod snapshots;
mod supervision;
mod trace_reader;
mod vet;
