//! `go vet` findings reach the diagnosis beside the runtime's evidence, and must be the ones
//! the spec declares.

use crate::bad_input::{Project, SPEC};

/// A probe whose buggy variant passes a mutex by value (vet's copylocks) and exits cleanly;
/// `vet` is the buggy expectation's declared analyzers.
fn copylocks_probe(vet: &str) -> Project {
    let project = Project::new(
        "package main\n\nimport \"sync\"\n\ntype counter struct {\n\tmu sync.Mutex\n\tn  int\n}\n\n\
         func get(c counter) int { return c.n }\n\nfunc main() { _ = get(counter{}) }\n",
    );
    std::fs::write(
        project.path().join("scenarios/probe.toml"),
        SPEC.replace(
            "outcome = \"timeout\"\nclass = \"runtime.no-progress\"",
            &format!("outcome = \"clean\"\nvet = {vet}"),
        ),
    )
    .unwrap();
    project
}

#[test]
fn an_undeclared_vet_finding_is_a_mismatch() {
    let project = copylocks_probe("[]");
    let output = project.gorepro(&["run", "probe", "--variant", "buggy", "--gomaxprocs", "1"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("expected: no go vet findings, diagnosed scenarios/probe/buggy.go:12:"),
        "{stdout}"
    );
}

#[test]
fn vet_findings_appear_in_the_diagnosis() {
    let project = copylocks_probe("[\"copylocks\"]");
    let output = project.gorepro(&[
        "run",
        "probe",
        "--variant",
        "buggy",
        "--gomaxprocs",
        "1",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A line per run, then the summary line.
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[1]["kind"], "run-summary");
    let record = &lines[0];
    assert_eq!(record["kind"], "run");
    assert_eq!(
        record["diagnosis"]["vet"],
        serde_json::json!([{
            "analyzer": "copylocks",
            "file": "scenarios/probe/buggy.go",
            "line": 12,
            "message": "get passes lock by value: scenarios/probe.counter contains sync.Mutex"
        }])
    );
}
