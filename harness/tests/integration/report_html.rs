//! The HTML page of a run, rendered from a recorded run (no Go needed): the swimlanes, the
//! stuck marks and the highlighted source lines are there, and nothing points off the page.

use gorepro::classify::classify;
use gorepro::evidence::world::UserCode;
use gorepro::evidence::{Raw, assemble};
use gorepro::report::RunRecord;
use gorepro::report::html::{SourceFile, Story, index_page, run_page};
use gorepro::run::Exit;
use gorepro::scenario::{Catalog, Variant};

use crate::common::root;

fn record_of(scenario: &str, package: &str) -> (RunRecord, Vec<SourceFile>) {
    let dir = root().join(format!(
        "harness/tests/fixtures/recorded/go1.26/{package}-buggy"
    ));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let (verdict, goroutines, trace, stderr) = (
        read("verdict.json"),
        read("goroutines.txt"),
        read("trace.parsed.txt"),
        read("stderr.txt").unwrap_or_default(),
    );
    let evidence = assemble(Raw {
        exit: Exit::Code(3),
        backstop: None,
        verdict_json: verdict.as_deref(),
        goroutines: goroutines.as_deref(),
        instances_json: None,
        stderr: &stderr,
        trace: trace.as_deref().ok_or("not recorded"),
    });
    let diagnosis = classify(&evidence, &UserCode::samples());
    let catalog = Catalog::load(&root().join("scenarios"), &root().join("go-samples")).unwrap();
    let spec = catalog.get(scenario).unwrap();
    let record = RunRecord {
        scenario: scenario.into(),
        variant: Variant::Buggy,
        params: spec.params::<&str>(&[]).unwrap(),
        gomaxprocs: 1,
        go_version: "go1.26".into(),
        expected_outcome: spec.expectation(Variant::Buggy).outcome,
        expected_class: spec.expectation(Variant::Buggy).class,
        observed_outcome: diagnosis.outcome,
        observed_class: diagnosis.class,
        matches: true,
        mismatches: Vec::new(),
        diagnosis,
        timings: gorepro::report::Timings {
            build: Default::default(),
            build_cached: true,
            run: Default::default(),
            evidence: Default::default(),
            verdict: None,
        },
        evidence_dir: String::new(),
        replay: "gorepro run x <&>".into(),
    };
    let sources = ["main.go", "buggy.go"]
        .iter()
        .map(|name| SourceFile {
            name: name.to_string(),
            text: std::fs::read_to_string(
                root().join("go-samples/scenarios").join(package).join(name),
            )
            .unwrap(),
        })
        .collect();
    (record, sources)
}

#[test]
fn run_page_shows_lanes_stuck_ends_and_blocked_lines() {
    let (record, sources) = record_of("cond-signal-not-broadcast", "cond_signal_not_broadcast");
    let page = run_page(
        &record,
        &Story {
            explanation: "a <story>",
            fix: "the fix",
        },
        &sources,
    );
    for lane in [
        r#"<g class="lane stuck" data-lane="G1""#,
        r#"<g class="lane" data-lane="G2""#,
        r#"<g class="lane stuck" data-lane="G3 G4" data-members="2""#,
    ] {
        assert!(page.contains(lane), "{lane}");
    }
    assert_eq!(page.matches("stuck-end").count(), 2);
    assert_eq!(page.matches(r#"class="edge""#).count(), 1);
    assert!(page.contains("<title>G1 woke G2</title>"));
    // main.go:36 (Cond.Wait) and main.go:58 (wg.Wait) are the stuck lines.
    assert!(page.contains(r#"<span class="blocked"><span class="n">36</span>"#));
    assert!(page.contains(r#"<span class="blocked"><span class="n">58</span>"#));
    assert_eq!(page.matches(r#"class="blocked""#).count(), 2);
    // Escaped, self-contained: no external reference but the SVG namespace.
    assert!(page.contains("a &lt;story&gt;") && page.contains("gorepro run x &lt;&amp;&gt;"));
    assert_eq!(page.matches("http").count(), 1);
    assert!(!page.contains("<script") && !page.contains("src=\""));
}

#[test]
fn index_lists_each_run_with_class_and_outcome() {
    let (record, _) = record_of("cond-signal-not-broadcast", "cond_signal_not_broadcast");
    let index = index_page(&[record.clone(), record]);
    assert_eq!(
        index
            .matches(r#"<a href="cond-signal-not-broadcast-buggy.html">"#)
            .count(),
        2
    );
    assert!(index.contains("<td>deadlock</td><td>cond.signal-not-broadcast</td>"));
}
