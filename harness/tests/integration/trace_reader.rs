//! The trace reader process: one reader converts a real trace (the same goroutine transitions
//! and logs, stacks included, as `go tool trace -d=parsed`), leaves out the goroutines it is
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

    let read = |omitted: &[u64]| {
        let read = reader.read(&trace_file, omitted).unwrap();
        assert_eq!(read.cut, None);
        read.trace
    };
    let everything = read(&[]);
    let without_supervisor = read(&[1]);
    // Filtered and with each stack printed once, the reader still says what the toolchain's
    // own dump says.
    let dumped = duct::cmd!(
        &harness.toolchain.go,
        "tool",
        "trace",
        "-d=parsed",
        &trace_file
    )
    .full_env(harness.toolchain.env())
    .read()
    .unwrap();
    let dumped = parse_trace(&dumped);
    assert!(everything.transitions.len() > 10);
    assert_eq!(everything.transitions, dumped.transitions);
    assert_eq!(everything.logs, dumped.logs);
    assert_eq!(everything.skipped_lines, 0);
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
    // Cut in half, as a crash leaves it: what was read before the damage, or an error,
    // and nothing hangs or panics.
    let bytes = std::fs::read(&trace_file).unwrap();
    if let Ok(cut) = reader.read(&file("cut.out", &bytes[..bytes.len() / 2]), &[1]) {
        assert!(cut.cut.is_some(), "a half trace read as whole");
    }

    // The same reader still converts, with the same result.
    assert_eq!(read(&[1]), without_supervisor);
}

/// A busy program that runs long enough to write many generations of trace, then ends
/// normally or panics (`panic` as its argument). Built against the support package like a
/// scenario, without the catalog.
const BUSY: &str = r#"package main

import (
	"os"
	"time"

	"gorepro.dev/samples/support"
)

func main() {
	support.Main(func() {
		for pair := 0; pair < 4; pair++ {
			ping, pong := make(chan int), make(chan int)
			go func() {
				for v := range ping {
					pong <- v
				}
			}()
			go func() {
				defer close(ping)
				for start := time.Now(); time.Since(start) < 2500*time.Millisecond; {
					ping <- 1
					<-pong
				}
			}()
		}
		time.Sleep(2600 * time.Millisecond)
		if len(os.Args) > 1 && os.Args[1] == "panic" {
			var m map[string]int
			m["late"] = 1
		}
	})
}
"#;

/// With a 1 MiB window, a run that writes far more trace keeps only its most recent whole
/// generations on disk, whether it ends at a verdict (the supervisor joins the segments) or in
/// a panic (the harness joins them); the diagnosis says the trace was cut.
#[test]
fn a_long_run_keeps_a_bounded_trace_window_even_when_it_panics() {
    use gorepro::{build, codegen, evidence, run};

    let config = Config {
        trace_window_mb: 1,
        ..Config::from_env().unwrap()
    };
    let harness = Harness::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let module = tempfile::tempdir().unwrap();
    std::fs::write(
        module.path().join("go.mod"),
        format!(
            "module busy\n\ngo 1.26\n\nrequire gorepro.dev/samples v0.0.0\n\nreplace gorepro.dev/samples => {}\n",
            config.samples_dir().display()
        ),
    )
    .unwrap();
    std::fs::write(module.path().join("main.go"), BUSY).unwrap();
    let program = codegen::Program {
        scenario: "busy".into(),
        variant: Variant::Buggy,
        module_dir: module.path().into(),
        package: ".".into(),
        files: vec![],
        tags: vec![],
        flags: vec![],
        race: false,
        overlay: vec![],
        test_binary: false,
        extra_inputs: vec![config.samples_dir().join("support")],
    };
    let artifact = build::build(&harness.toolchain, &program, &config.cache_dir)
        .unwrap_or_else(|e| panic!("{e}"));
    for ending in ["verdict", "panic"] {
        let output = run::run(
            &run::RunRequest {
                binary: artifact.binary.clone(),
                evidence_dir: config.cache_dir.join("runs").join(format!("busy-{ending}")),
                gomaxprocs: 2,
                base_env: harness.toolchain.env(),
                args: vec![ending.into()],
                env: vec![],
            },
            &config,
        )
        .unwrap();
        let evidence = evidence::collect(&harness.trace_reader, &config, &output);
        let diagnosis = gorepro::classify::classify(
            &evidence,
            &gorepro::evidence::world::UserCode::module("busy"),
        );
        let expected = if ending == "panic" { "panic" } else { "clean" };
        assert_eq!(diagnosis.outcome.as_str(), expected, "{diagnosis:?}");
        assert!(
            evidence.trace_window.cut(),
            "{ending}: {:?}",
            evidence.trace_window
        );
        assert!(
            diagnosis
                .notes
                .iter()
                .any(|n| n.starts_with("trace window:")),
            "{ending}: {:?}",
            diagnosis.notes
        );
        assert!(
            evidence.trace.parsed().is_some(),
            "{ending}: {:?}",
            evidence.trace
        );
        let files: Vec<String> = std::fs::read_dir(&output.evidence_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !files.iter().any(|f| f.starts_with("trace-")),
            "{ending}: segments left: {files:?}"
        );
        // Who dropped the oldest segments: the supervisor, which says how much in its
        // verdict, or nobody after the panic, when the harness finds them gone.
        let window = evidence.trace_window;
        if ending == "panic" {
            assert!(window.dropped_segments > 0, "{window:?}");
        } else {
            assert!(window.dropped_bytes > 0, "{window:?}");
        }
    }
}
