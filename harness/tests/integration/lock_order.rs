//! Predicted lock-order inversions (issue 10): a clean run whose lock order has a cycle is a
//! finding of its own kind in `gorepro diagnose` (exit status 1, JUnit failure, SARIF warning,
//! not a reproduction), and nothing in the catalog but the scenario made for it gains one.

use std::process::Command;

use gorepro::lockorder::CLASS;
use gorepro::scenario::Variant;
use gorepro::{Config, Harness, RunOptions};
use serde_json::Value;

use crate::common::root;

/// `go-samples/realworld/latentabba`: two moves take two directory locks in opposite orders,
/// a tick apart, so they (almost) never deadlock. Every seed reports the inversion with both
/// acquisition paths in the user's file, the same on every seed; the fixed twin is silent.
#[test]
fn a_latent_inversion_is_a_finding_and_not_a_reproduction() {
    let case = root().join("go-samples/realworld/latentabba");
    let out = tempfile::tempdir().unwrap();
    let (junit, sarif) = (out.path().join("junit.xml"), out.path().join("log.sarif"));
    let diagnose = |test: &str, ci: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gorepro"));
        command
            .arg("diagnose")
            .arg(&case)
            .args(["-run", test, "--runs", "3", "--json"]);
        if ci {
            command
                .arg("--junit")
                .arg(&junit)
                .arg("--sarif")
                .arg(&sarif);
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let lines: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (output.status.code(), lines, stdout)
    };

    let (status, lines, stdout) = diagnose("^TestBuggy$", true);
    assert_eq!(status, Some(1), "a CI gate must fail on it: {stdout}");
    let seeds: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "seed").collect();
    assert_eq!(seeds.len(), 3, "{stdout}");
    let mut predictions = Vec::new();
    for seed in &seeds {
        // The deadlock needs the two moves to overlap; a seed that made them overlap would be a
        // reproduction and keep its own class (none did in the measurements, BASELINE.md).
        assert_eq!(seed["outcome"], "clean", "{seed}");
        assert_eq!(seed["class"], CLASS, "{seed}");
        assert_eq!(seed["reproduced"], false, "{seed}");
        let steps = seed["diagnosis"]["lock_order"]["inversions"][0]["steps"]
            .as_array()
            .unwrap();
        assert_eq!(steps.len(), 2, "{seed}");
        for step in steps {
            // Move's `from.mu.Lock()` and `to.mu.Lock()`, in the user's file.
            assert_eq!(step["held_at"]["file"], "latentabba/dirs.go", "{step}");
            assert_eq!(step["held_at"]["line"], 28, "{step}");
            assert_eq!(step["acquired_at"]["line"], 33, "{step}");
            assert_eq!(step["function"], "latentabba.Move", "{step}");
        }
        assert_ne!(steps[0]["goroutine"], steps[1]["goroutine"], "{seed}");
        assert_eq!(
            (&steps[0]["held"], &steps[0]["acquired"]),
            (&steps[1]["acquired"], &steps[1]["held"]),
            "{seed}"
        );
        predictions.push(seed["diagnosis"]["lock_order"].clone());
    }
    assert!(
        predictions.iter().all(|p| *p == predictions[0]),
        "seeds disagree: {predictions:#?}"
    );
    let summary = lines.iter().find(|l| l["kind"] == "summary").unwrap();
    assert_eq!(
        (&summary["hits"], &summary["predicted_inversions"]),
        (&Value::from(0), &Value::from(3)),
        "{summary}"
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(
        xml.matches(&format!("<failure type=\"{CLASS}\"")).count(),
        3,
        "{xml}"
    );
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{log}");
    assert_eq!(results[0]["ruleId"], CLASS);
    assert_eq!(results[0]["level"], "warning");
    let lines_at: Vec<u64> = results[0]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines_at, [33, 28], "{log}");

    let (status, lines, stdout) = diagnose("^TestFixed$", false);
    assert_eq!(status, Some(0), "{stdout}");
    for seed in lines.iter().filter(|l| l["kind"] == "seed") {
        assert_eq!(
            (&seed["outcome"], &seed["class"]),
            (&Value::from("clean"), &Value::Null),
            "{seed}"
        );
    }
}

/// Every fixed variant of the catalog is silent, and no buggy variant gains a predicted
/// inversion, except the scenario whose spec expects one (`mutex-latent-inversion`): the
/// predictive check adds no noise to the catalog. On 2 Ps, where the goroutines overlap most.
#[test]
fn the_catalog_gains_no_predicted_inversion() {
    let harness = Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions {
        gomaxprocs: 2,
        label: "lock-order".into(),
    };
    let mut predicted = Vec::new();
    let mut noise = Vec::new();
    for scenario in &harness.catalog.scenarios {
        let params = scenario.params::<&str>(&[]).unwrap();
        for variant in Variant::ALL {
            let expected = scenario.expectation_at(variant, &params);
            let record = harness
                .reproduce(scenario, variant, &params, &options)
                .unwrap();
            let diagnosis = &record.diagnosis;
            let wanted = expected.class == Some(CLASS);
            if diagnosis.lock_order.is_some() {
                predicted.push(format!("{} ({variant})", scenario.id));
            }
            if diagnosis.lock_order.is_some() != wanted
                || (diagnosis.class == Some(CLASS)) != wanted
            {
                noise.push(format!(
                    "{} ({variant}): {} {:?}, lock order {:?}; evidence {}",
                    scenario.id,
                    diagnosis.outcome,
                    diagnosis.class,
                    diagnosis.lock_order,
                    record.evidence_dir
                ));
            }
        }
    }
    assert!(noise.is_empty(), "{noise:#?}");
    assert_eq!(predicted, ["mutex-latent-inversion (buggy)"]);
}
