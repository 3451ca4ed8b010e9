//! The trace reader process: one reader converts a real trace, leaves out the goroutines it is
//! asked to, answers a damaged or foreign file with a clear error and goes on serving.

use std::path::PathBuf;

use gorepro::evidence::parse_trace;
use gorepro::scenario::Variant;
use gorepro::{Config, Harness, RunOptions};

#[test]
fn one_reader_serves_real_damaged_and_foreign_files() {
    let harness = Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let scenario = harness.catalog.get("chan-send-deadlock").unwrap();
    let params = scenario.params::<&str>(&[]).unwrap();
    // Two Ps: the leak profile's GC makes the supervisor (goroutine 1) yield thousands of times.
    let options = RunOptions {
        gomaxprocs: 2,
        label: "trace-reader".into(),
    };
    let record = harness
        .reproduce(scenario, Variant::Buggy, &params, &options)
        .unwrap();
    let trace_file = PathBuf::from(&record.evidence_dir).join("trace.out");
    let reader = &harness.trace_reader;

    let everything = parse_trace(&reader.read(&trace_file, &[]).unwrap());
    let without_supervisor = parse_trace(&reader.read(&trace_file, &[1]).unwrap());
    assert!(everything.transitions.iter().any(|t| t.goroutine == 1));
    assert!(
        !without_supervisor
            .transitions
            .iter()
            .any(|t| t.goroutine == 1)
    );
    let others: Vec<_> = everything
        .transitions
        .iter()
        .filter(|t| t.goroutine != 1)
        .cloned()
        .collect();
    assert_eq!(without_supervisor.transitions, others);
    assert_eq!(without_supervisor.logs, everything.logs);

    let scratch = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let path = scratch.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let foreign = reader
        .read(&file("foreign.out", b"not a trace at all\n"), &[1])
        .unwrap_err();
    assert!(
        foreign.starts_with("the trace reader could not read the trace: "),
        "{foreign}"
    );
    assert_eq!(
        reader.read(&file("empty.out", b""), &[1]).unwrap_err(),
        "trace.out is empty"
    );
    // Cut in half, as a crash leaves it: whatever comes back, nothing hangs or panics.
    let bytes = std::fs::read(&trace_file).unwrap();
    let _ = reader.read(&file("cut.out", &bytes[..bytes.len() / 2]), &[1]);

    // The same reader still converts, with the same result.
    assert_eq!(
        parse_trace(&reader.read(&trace_file, &[1]).unwrap()),
        without_supervisor
    );
}
