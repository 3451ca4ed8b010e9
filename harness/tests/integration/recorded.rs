//! The classifier on runtime output recorded from real runs of every scenario variant on Go
//! 1.26 and 1.27 (`tests/fixtures/recorded/<go>/<scenario>-<variant>/`): the normalized
//! diagnosis must equal the live snapshot, so parsing and classification are pinned down
//! without Go installed.

use std::path::Path;

use gorepro::Diagnosis;
use gorepro::evidence::world::UserCode;
use gorepro::evidence::{Evidence, Raw, assemble};
use gorepro::report::render_diagnosis;
use gorepro::run::Exit;
use gorepro::scenario::{Catalog, Variant};

use crate::common::root;

/// Recorded runs are the catalog's: their own code is the samples module's.
fn classify(evidence: &Evidence) -> Diagnosis {
    gorepro::classify::classify(evidence, &UserCode::samples())
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok()
}

/// The exit status the support package uses for each verdict; a run without a verdict crashed.
fn exit_of(verdict_json: Option<&str>) -> Exit {
    let code = match verdict_json.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()) {
        Some(v) => match v["verdict"].as_str() {
            Some("clean") => 0,
            Some("deadlock") => 3,
            Some("leak") => 4,
            Some("timeout") => 5,
            Some("gate-timeout") => 6,
            Some("invariant-violated") => 8,
            _ => 7,
        },
        None => 2,
    };
    Exit::Code(code)
}

#[test]
fn recorded_runs_diagnose_as_the_snapshots_say() {
    let catalog = Catalog::load(&root().join("scenarios"), &root().join("go-samples")).unwrap();
    let fixtures = root().join("harness/tests/fixtures/recorded");
    let mut checked = 0;
    for version in ["go1.26", "go1.27"] {
        for scenario in &catalog.scenarios {
            for variant in Variant::ALL {
                let dir = fixtures.join(version).join(format!(
                    "{}-{variant}",
                    scenario.package.rsplit('/').next().unwrap()
                ));
                let Some(stderr) = read(&dir, "stderr.txt") else {
                    panic!("no recorded run in {}", dir.display());
                };
                let verdict = read(&dir, "verdict.json");
                let goroutines = read(&dir, "goroutines.txt");
                let instances = read(&dir, "instances.json");
                let trace = read(&dir, "trace.parsed.txt");
                let mut evidence = assemble(Raw {
                    exit: exit_of(verdict.as_deref()),
                    backstop: None,
                    verdict_json: verdict.as_deref(),
                    goroutines: goroutines.as_deref(),
                    instances_json: instances.as_deref(),
                    stderr: &stderr,
                    trace: trace.as_deref().ok_or("not recorded"),
                });
                if let Some(vet) = read(&dir, "vet.json") {
                    evidence.vet = serde_json::from_str(&vet).unwrap();
                }
                let params = scenario.params::<&str>(&[]).unwrap();
                let text = render_diagnosis(&scenario.id, variant, &params, &classify(&evidence));
                let expected = gorepro::report::reviewed_snapshot(&root(), &scenario.id, variant)
                    .unwrap_or_else(|| panic!("no snapshot for {} ({variant})", scenario.id));
                assert_eq!(
                    text.trim_end(),
                    expected.trim_end(),
                    "{version} {} ({variant}) recorded in {}",
                    scenario.id,
                    dir.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10);
}

/// Without the trace the order of events is unknown: the Cond story cannot be told, so the
/// diagnosis falls back to the runtime's own words and says why, instead of guessing.
#[test]
fn a_missing_trace_degrades_to_the_fallback_class_with_a_note() {
    let dir = root().join("harness/tests/fixtures/recorded/go1.27/cond_if_not_for-buggy");
    let stderr = read(&dir, "stderr.txt").unwrap();
    let evidence = assemble(Raw {
        exit: Exit::Code(2),
        backstop: None,
        verdict_json: None,
        goroutines: None,
        instances_json: None,
        stderr: &stderr,
        trace: Err("`go tool trace` could not read the trace: unexpected EOF"),
    });
    let diagnosis = classify(&evidence);
    assert_eq!(diagnosis.outcome, gorepro::Outcome::Panic);
    assert_eq!(diagnosis.class, Some("runtime.panic"));
    assert_eq!(
        diagnosis.notes,
        vec!["no trace evidence: the run left no readable execution trace".to_string()]
    );
    // The reason varies with where a crash cut the trace: kept, but out of the report.
    assert_eq!(
        diagnosis.details,
        vec!["trace: `go tool trace` could not read the trace: unexpected EOF".to_string()]
    );
}

/// A trace whose text is garbage is the same as no trace.
#[test]
fn an_unreadable_trace_is_no_trace() {
    let dir = root().join("harness/tests/fixtures/recorded/go1.26/chan_send_abandoned-buggy");
    let verdict = read(&dir, "verdict.json").unwrap();
    let goroutines = read(&dir, "goroutines.txt").unwrap();
    let evidence = assemble(Raw {
        exit: Exit::Code(4),
        backstop: None,
        verdict_json: Some(&verdict),
        goroutines: Some(&goroutines),
        instances_json: None,
        stderr: "",
        trace: Ok("M=1 P=0 G=1 StateTransition Time=garbage\n\u{0}\u{0}"),
    });
    let diagnosis = classify(&evidence);
    assert_eq!(diagnosis.outcome, gorepro::Outcome::Leak);
    // The dump alone still shows the leaked send.
    assert_eq!(diagnosis.class, Some("chan.send-no-receiver"));
    assert!(
        diagnosis
            .notes
            .iter()
            .any(|n| n.starts_with("no trace evidence")),
        "{:?}",
        diagnosis.notes
    );
}

/// The normalized diagnosis of a crashed buggy run (exit 2, no verdict) of `scenario` from its
/// stderr and trace.
fn crash_diagnosis(scenario: &str, stderr: &str, trace: Result<&str, &str>) -> String {
    let evidence = assemble(Raw {
        exit: Exit::Code(2),
        backstop: None,
        verdict_json: None,
        goroutines: None,
        instances_json: None,
        stderr,
        trace,
    });
    render_diagnosis(
        scenario,
        Variant::Buggy,
        &Default::default(),
        &classify(&evidence),
    )
}

/// Found by the loaded determinism run (1 of 50 at GOMAXPROCS=1): at a crash the other
/// goroutines' states are incidental; the consumer that did not panic was `runnable` instead
/// of waiting, and the names of the two consumers swapped. Names must not depend on that.
#[test]
fn incidental_states_at_a_crash_do_not_rename_goroutines() {
    let dir = root().join("harness/tests/fixtures/recorded/go1.26/cond_if_not_for-buggy");
    let stderr = read(&dir, "stderr.txt").unwrap();
    let trace = read(&dir, "trace.parsed.txt").unwrap();
    let diagnose = |stderr: &str| crash_diagnosis("cond-if-not-for", stderr, Ok(&trace));
    let other_runnable = stderr.replacen(" [sync.Cond.Wait]:", " [runnable]:", 1);
    assert_ne!(
        other_runnable, stderr,
        "the fixture has a consumer waiting on the Cond"
    );
    assert_eq!(diagnose(&other_runnable), diagnose(&stderr));
}

/// Found by CI's determinism gate (1 of 20 runs; 3 of 600 under load): a fatal error freezes
/// the world, and a goroutine still running on another thread is printed without its stack.
/// When that was the root, the crashed worker was named G1. The root is also known by its
/// creator, which the runtime prints even then.
#[test]
fn a_root_whose_stack_the_runtime_could_not_print_is_still_the_root() {
    let dir = root().join("harness/tests/fixtures/recorded/go1.26/cond_wait_without_lock-buggy");
    let stderr = read(&dir, "stderr.txt").unwrap();
    let root_block = stderr
        .split("\n\n")
        .find(|block| block.contains("support.runRoot"))
        .expect("the fixture prints the root's stack");
    let created_by = root_block
        .find("created by")
        .map(|at| &root_block[at..])
        .unwrap();
    let header = root_block
        .lines()
        .next()
        .unwrap()
        .replace("[sleep]", "[running]");
    let unavailable = stderr.replace(
        root_block,
        &format!("{header}\n\tgoroutine running on other thread; stack unavailable\n{created_by}"),
    );
    let diagnose =
        |stderr: &str| crash_diagnosis("cond-wait-without-lock", stderr, Err("trace.out is empty"));
    assert!(diagnose(&stderr).contains("in G2 at"));
    assert_eq!(diagnose(&unavailable), diagnose(&stderr));
}

/// The runtime's two WaitGroup misuse messages are racy between reuse and a concurrent Add
/// (go-runtime.md §3): the class follows the trace's order, whichever message was printed.
#[test]
fn waitgroup_class_follows_the_trace_not_the_message() {
    let dir = root().join("harness/tests/fixtures/recorded/go1.26/wg_reuse-buggy");
    let stderr = read(&dir, "stderr.txt").unwrap();
    let trace = read(&dir, "trace.parsed.txt").unwrap();
    let misuse = stderr.replace(
        "sync: WaitGroup is reused before previous Wait has returned",
        "sync: WaitGroup misuse: Add called concurrently with Wait",
    );
    assert_ne!(misuse, stderr);
    // The watcher's wake-up by the Done (`Waiting->Runnable` of the goroutine parked in Wait),
    // cut out: the trace of a run in which the Add won the race against the release.
    let watcher = trace
        .lines()
        .find(|l| l.contains("Running->Waiting") && l.contains("Reason=\"sync\""))
        .and_then(|l| l.split("GoID=").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_string();
    let wake = format!("GoID={watcher} Waiting->Runnable");
    let mut unreleased = String::new();
    let mut skipping = false;
    for line in trace.lines() {
        if line.starts_with("M=") {
            skipping = line.contains(&wake);
        }
        if !skipping {
            unreleased.push_str(line);
            unreleased.push('\n');
        }
    }
    assert!(unreleased.len() < trace.len());
    let class = |stderr: &str, trace: &str| {
        classify(&assemble(Raw {
            exit: Exit::Code(2),
            backstop: None,
            verdict_json: None,
            goroutines: None,
            instances_json: None,
            stderr,
            trace: Ok(trace),
        }))
    };
    for message in [&stderr, &misuse] {
        let released = class(message, &trace);
        assert_eq!(released.class, Some("wg.reuse-before-wait-returned"));
        assert!(released.observations[1].contains("released it"));
        let parked = class(message, &unreleased);
        assert_eq!(parked.class, Some("wg.add-concurrent-with-wait"));
        assert!(
            parked.observations[1].contains("still parked in WaitGroup.Wait"),
            "{:?}",
            parked.observations
        );
    }
    // Without a trace only the message is left, and the diagnosis says so.
    let blind = classify(&assemble(Raw {
        exit: Exit::Code(2),
        backstop: None,
        verdict_json: None,
        goroutines: None,
        instances_json: None,
        stderr: &misuse,
        trace: Err("not recorded"),
    }));
    assert_eq!(blind.class, Some("wg.add-concurrent-with-wait"));
    assert!(blind.observations[1].contains("message alone"));
}

/// The rules that infer who holds a lock, or that a buffer took values, rest on the trace (who
/// ever ran, who was woken where). Without it they must not guess: each run falls back to the
/// class its stuck primitive alone supports.
#[test]
fn inferences_from_the_trace_fall_back_without_it() {
    for (package, fallback) in [
        ("mutex_double_lock", "mutex.lock-never-released"),
        ("mutex_unlock_skipped", "mutex.lock-never-released"),
        ("rwmutex_rlock_upgrade", "mutex.lock-never-released"),
        ("chan_buffer_full", "chan.send-no-receiver"),
        ("chan_goroutine_pileup", "chan.send-no-receiver"),
    ] {
        for version in ["go1.26", "go1.27"] {
            let dir = root().join(format!(
                "harness/tests/fixtures/recorded/{version}/{package}-buggy"
            ));
            let verdict = read(&dir, "verdict.json").unwrap();
            let goroutines = read(&dir, "goroutines.txt").unwrap();
            let trace = read(&dir, "trace.parsed.txt").unwrap();
            let diagnose = |trace: Result<&str, &str>| {
                classify(&assemble(Raw {
                    exit: exit_of(Some(&verdict)),
                    backstop: None,
                    verdict_json: Some(&verdict),
                    goroutines: Some(&goroutines),
                    instances_json: None,
                    stderr: "",
                    trace,
                }))
            };
            let with_trace = diagnose(Ok(&trace));
            assert_ne!(with_trace.class, Some(fallback), "{version} {package}");
            let without = diagnose(Err("not recorded"));
            assert_eq!(without.class, Some(fallback), "{version} {package}");
            assert_eq!(without.outcome, with_trace.outcome, "{version} {package}");
        }
    }
}

/// A timer callback (`time.AfterFunc` runs it on a goroutine the runtime starts, outside the
/// scenario's tree) could be the holder of the lock: with one in the trace, the lone waiter is
/// no longer proof of a double lock, nor the exited goroutine of a skipped unlock.
#[test]
fn a_timer_callback_could_hold_the_lock() {
    let callback = "M=1 P=0 G=-1 StateTransition Time=1 GoID=999999 NotExist->Runnable Reason=\"\"\n\
                    TransitionStack=\n\ttime.goFunc @ 0x1\n\t\ttime/sleep.go:215\n\n";
    for (package, class) in [
        ("mutex_double_lock", "mutex.double-lock"),
        ("mutex_unlock_skipped", "mutex.unlock-skipped-on-return"),
    ] {
        let dir = root().join(format!(
            "harness/tests/fixtures/recorded/go1.27/{package}-buggy"
        ));
        let verdict = read(&dir, "verdict.json").unwrap();
        let goroutines = read(&dir, "goroutines.txt").unwrap();
        let trace = read(&dir, "trace.parsed.txt").unwrap();
        let diagnose = |trace: &str| {
            classify(&assemble(Raw {
                exit: exit_of(Some(&verdict)),
                backstop: None,
                verdict_json: Some(&verdict),
                goroutines: Some(&goroutines),
                instances_json: None,
                stderr: "",
                trace: Ok(trace),
            }))
            .class
        };
        assert_eq!(diagnose(&trace), Some(class), "{package}");
        assert_eq!(
            diagnose(&format!("{callback}{trace}")),
            Some("mutex.lock-never-released"),
            "{package}"
        );
    }
}
