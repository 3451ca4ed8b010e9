//! `go vet` findings reach the diagnosis beside the runtime's evidence.

use crate::bad_input::{Project, SPEC};

#[test]
fn vet_findings_appear_in_the_diagnosis() {
    let project = Project::new(
        "package main\n\nimport \"sync\"\n\ntype counter struct {\n\tmu sync.Mutex\n\tn  int\n}\n\n\
         func get(c counter) int { return c.n }\n\nfunc main() { _ = get(counter{}) }\n",
    );
    std::fs::write(
        project.path().join("scenarios/probe.toml"),
        SPEC.replace(
            "outcome = \"timeout\"\nclass = \"runtime.no-progress\"",
            "outcome = \"clean\"",
        ),
    )
    .unwrap();
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
    let record: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        record["diagnosis"]["vet"],
        serde_json::json!([
            "scenarios/probe/buggy.go:12: get passes lock by value: scenarios/probe.counter contains sync.Mutex"
        ])
    );
}
