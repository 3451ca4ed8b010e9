//! `gorepro diagnose --junit FILE --sarif FILE` on a package of a module named without a dot:
//! the JUnit XML has a test case per run whose failure is the run's class, and the SARIF log a
//! result per class at the stuck goroutine's source line, as CI servers and code scanning read
//! them.

use std::process::Command;

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::Value;

const STOCK: &str = "package stock

import \"sync\"

// Stock counts items; Reserve takes one unless none is left.
type Stock struct {
	mu    sync.Mutex
	items int
}

func (s *Stock) Reserve() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Available() == 0 {
		return false
	}
	s.items--
	return true
}

// Available locks too: called from Reserve, it waits for the lock Reserve holds.
func (s *Stock) Available() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.items
}
";

const STOCK_TEST: &str = "package stock

import (
	\"testing\"
	\"time\"
)

func TestReserveInBackground(t *testing.T) {
	s := &Stock{items: 3}
	done := make(chan bool, 1)
	go func() { done <- s.Reserve() }()
	select {
	case <-done:
	case <-time.After(50 * time.Millisecond):
		t.Log(\"reserve is slow; not waiting for it\")
	}
}
";

fn attributes(start: &quick_xml::events::BytesStart<'_>) -> Vec<(String, String)> {
    start
        .attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                a.unescape_value().unwrap().into_owned(),
            )
        })
        .collect()
}

#[test]
fn junit_and_sarif_describe_the_runs() {
    let module = tempfile::tempdir().unwrap();
    std::fs::write(
        module.path().join("go.mod"),
        "module inventory\n\ngo 1.26\n",
    )
    .unwrap();
    let package = module.path().join("stock");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(package.join("stock.go"), STOCK).unwrap();
    std::fs::write(package.join("stock_test.go"), STOCK_TEST).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (junit, sarif) = (
        out.path().join("junit.xml"),
        out.path().join("gorepro.sarif"),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_gorepro"))
        .arg("diagnose")
        .arg(&package)
        .args(["--runs", "2", "--json", "--junit"])
        .arg(&junit)
        .arg("--sarif")
        .arg(&sarif)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let seeds: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["kind"] == "seed")
        .collect();
    assert_eq!(seeds.len(), 2);
    let classes: Vec<&str> = seeds.iter().map(|s| s["class"].as_str().unwrap()).collect();

    // JUnit: one suite for the package, a test case per seed, failing with the seed's class,
    // named after the test that leaked.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let mut reader = Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuites" | b"testsuite" => suites.push(attributes(&e)),
                b"testcase" => cases.push(attributes(&e)),
                b"failure" => failures.push(attributes(&e)),
                _ => {}
            },
            _ => {}
        }
    }
    let get = |attrs: &[(String, String)], key: &str| {
        attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get(&suites[0], "tests"), "2", "{xml}");
    assert_eq!(get(&suites[0], "failures"), "2", "{xml}");
    assert_eq!(get(&suites[1], "name"), "inventory/stock", "{xml}");
    let names: Vec<String> = cases.iter().map(|c| get(c, "name")).collect();
    assert_eq!(
        names,
        [
            "TestReserveInBackground (seed v3:1)",
            "TestReserveInBackground (seed v3:2)"
        ]
    );
    let types: Vec<String> = failures.iter().map(|f| get(f, "type")).collect();
    assert_eq!(types, classes, "{xml}");

    // SARIF: a rule per class, a result per class at stock.go's lines.
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "gorepro");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let rule = result["ruleId"].as_str().unwrap();
        assert!(rules.contains(&rule) && classes.contains(&rule), "{result}");
        // Module-relative files, the blocked Lock's among them.
        let places: Vec<(&str, u64)> = result["locations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let physical = &l["physicalLocation"];
                (
                    physical["artifactLocation"]["uri"].as_str().unwrap(),
                    physical["region"]["startLine"].as_u64().unwrap(),
                )
            })
            .collect();
        assert!(
            places
                .iter()
                .all(|(uri, line)| uri.starts_with("stock/") && *line > 0),
            "{places:?}"
        );
        assert!(
            places.iter().any(|(uri, _)| *uri == "stock/stock.go"),
            "{places:?}"
        );
    }
}
