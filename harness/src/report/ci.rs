//! `gorepro diagnose` results for CI systems: JUnit XML (one test suite per package, one test
//! case per run, a reproduced bug, a failing test or a potential lock-order inversion as its
//! failure) and SARIF 2.1.0 (one result per bug class found, at the source lines of its stuck
//! goroutines or its failure, or where a potential inversion acquired its locks, as a
//! `warning`), the formats CI servers and code-scanning views read.

use std::collections::BTreeMap;

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Value, json};

use super::diagnose::render_diagnose_diagnosis;
use crate::diagnose::{DiagnoseReport, SeedRun};
use crate::vocabulary::taxonomy;

/// The JUnit XML of one or more explorations.
pub fn junit(reports: &[&DiagnoseReport]) -> String {
    let mut xml = Writer::new_with_indent(Vec::new(), b' ', 2);
    let runs: usize = reports.iter().map(|r| case_count(r)).sum();
    let failures: usize = reports.iter().map(|r| failing_cases(r)).sum();
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "gorepro diagnose"));
    suites.push_attribute(("tests", runs.to_string().as_str()));
    suites.push_attribute(("failures", failures.to_string().as_str()));
    write(&mut xml, Event::Start(suites.borrow()));
    for report in reports {
        let package = &report.exploration.import_path;
        let seconds: f64 = report.runs.iter().map(|r| r.wall.as_secs_f64()).sum();
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", package.as_str()));
        suite.push_attribute(("tests", case_count(report).to_string().as_str()));
        suite.push_attribute(("failures", failing_cases(report).to_string().as_str()));
        suite.push_attribute(("time", format!("{seconds:.3}").as_str()));
        write(&mut xml, Event::Start(suite.borrow()));
        for Case { name, run, failed } in report.runs.iter().flat_map(cases) {
            let mut case = BytesStart::new("testcase");
            case.push_attribute(("classname", package.as_str()));
            case.push_attribute(("name", name.as_str()));
            case.push_attribute(("time", format!("{:.3}", run.wall.as_secs_f64()).as_str()));
            match failed {
                None => write(&mut xml, Event::Empty(case)),
                Some((kind, message)) => {
                    write(&mut xml, Event::Start(case.borrow()));
                    let mut failure = BytesStart::new("failure");
                    failure.push_attribute(("type", kind.as_str()));
                    failure.push_attribute(("message", message.as_str()));
                    write(&mut xml, Event::Start(failure));
                    // A merged run has its diagnosis as the text its process printed.
                    let body = if run.normalized.is_empty() {
                        render_diagnose_diagnosis(&run.diagnosis)
                    } else {
                        run.normalized.clone()
                    };
                    write(&mut xml, Event::Text(BytesText::new(&body)));
                    write(&mut xml, Event::End(BytesEnd::new("failure")));
                    write(&mut xml, Event::End(BytesEnd::new("testcase")));
                }
            }
        }
        write(&mut xml, Event::End(BytesEnd::new("testsuite")));
    }
    write(&mut xml, Event::End(BytesEnd::new("testsuites")));
    let mut text = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    text.push_str(&String::from_utf8_lossy(&xml.into_inner()));
    text.push('\n');
    text
}

fn write(xml: &mut Writer<Vec<u8>>, event: Event<'_>) {
    // Writing into a Vec cannot fail.
    xml.write_event(event).expect("writing XML into memory");
}

/// The test cases of a run: the run, named after its seed; or, when the run leaked goroutines
/// that tests started, one failing case per leaking test, named after it (`TestCache (seed
/// v3:1)`), so a CI view lists the test that leaked; a deadlock or a timeout inside tests is
/// named after the tests it was in.
fn cases(run: &SeedRun) -> Vec<Case<'_>> {
    let failed = failure(run);
    let stuck_in = run.stuck_in_tests();
    match &failed {
        Some((kind, message)) if run.reproduced && !run.leaks.is_empty() => (run.leaks.iter())
            .map(|leak| {
                let names: Vec<&str> = leak.goroutines.iter().map(|g| g.name.as_str()).collect();
                let more = if leak.count > names.len() { " ..." } else { "" };
                let message = format!(
                    "{message}: {} left {} goroutine(s) behind ({}{more})",
                    leak.test,
                    leak.count,
                    names.join(" ")
                );
                Case {
                    name: format!("{} (seed {})", leak.test, run.seed),
                    run,
                    failed: Some((kind.clone(), message)),
                }
            })
            .collect(),
        Some(_) if stuck_in.is_some() => vec![Case {
            name: format!("{} (seed {})", stuck_in.unwrap_or_default(), run.seed),
            run,
            failed,
        }],
        _ => vec![Case {
            name: format!("seed {}", run.seed),
            run,
            failed,
        }],
    }
}

/// One JUnit test case: its name, the run it reports, and its failure (type, message).
struct Case<'a> {
    name: String,
    run: &'a SeedRun,
    failed: Option<(String, String)>,
}

fn case_count(report: &DiagnoseReport) -> usize {
    report.runs.iter().map(|r| cases(r).len()).sum()
}

fn failing_cases(report: &DiagnoseReport) -> usize {
    (report.runs.iter().flat_map(cases))
        .filter(|case| case.failed.is_some())
        .count()
}

/// Why a run fails as a test case: its bug class (or outcome), and a one-line message.
fn failure(run: &SeedRun) -> Option<(String, String)> {
    let diagnosis = &run.diagnosis;
    let outcome = diagnosis.outcome.as_str();
    let class = diagnosis.class.map(str::to_string);
    if run.reproduced {
        let kind = class.clone().unwrap_or_else(|| outcome.to_string());
        return Some((
            kind.clone(),
            format!("seed {}: {outcome} {}", run.seed, class.unwrap_or_default())
                .trim_end()
                .to_string(),
        ));
    }
    if run.tests_failed {
        let names: Vec<&str> = run.failed_tests.iter().map(|t| t.name.as_str()).collect();
        return Some((
            "test.failed".to_string(),
            format!("seed {}: tests failed: {}", run.seed, names.join(", ")),
        ));
    }
    run.predicted().then(|| {
        (
            crate::lockorder::CLASS.to_string(),
            format!(
                "seed {}: {outcome}, but a potential lock-order inversion",
                run.seed
            ),
        )
    })
}

/// The SARIF 2.1.0 log of one or more explorations: one result per package and bug class, with
/// the number of runs that showed it and the seed that replays it.
pub fn sarif(reports: &[&DiagnoseReport]) -> Value {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut results = Vec::new();
    for report in reports {
        // The first run of each class that still has its whole diagnosis (see `SeedRun`).
        let mut by_class: BTreeMap<String, (usize, &SeedRun)> = BTreeMap::new();
        for run in report.runs.iter().filter(|r| r.reproduced || r.predicted()) {
            let id = run
                .diagnosis
                .class
                .unwrap_or(run.diagnosis.outcome.as_str())
                .to_string();
            let entry = by_class.entry(id).or_insert((0, run));
            entry.0 += 1;
            if entry.1.diagnosis.explanation.is_empty() && !run.diagnosis.explanation.is_empty() {
                entry.1 = run;
            }
        }
        for (id, (count, run)) in by_class {
            let class = taxonomy::lookup(&id);
            let title = class.map_or(id.as_str(), |c| c.title);
            rules.entry(id.clone()).or_insert_with(|| {
                json!({
                    "id": id,
                    "shortDescription": { "text": title },
                    "fullDescription": { "text": class.map_or("", |c| c.decided_by) },
                })
            });
            let explanation = run
                .diagnosis
                .explanation
                .lines()
                .collect::<Vec<_>>()
                .join(" ");
            results.push(json!({
                "ruleId": id,
                // A predicted inversion did not happen in these runs: a warning.
                "level": if run.predicted() { "warning" } else { "error" },
                "message": {
                    "text": format!(
                        "{title} ({} in {count} of {} runs; replay with seed {}). {explanation}",
                        report.exploration.import_path,
                        report.runs.len(),
                        run.seed,
                    ).trim_end().to_string()
                },
                "locations": locations(run),
                "properties": {
                    "package": report.exploration.import_path,
                    "runs": count,
                    "seed": run.seed.to_string(),
                    "outcome": run.diagnosis.outcome.as_str(),
                },
            }));
        }
    }
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "gorepro",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    })
}

/// Where the bug shows: the stuck goroutines' lines, else the failure's.
fn locations(run: &SeedRun) -> Vec<Value> {
    let diagnosis = &run.diagnosis;
    let places = diagnosis
        .stuck
        .iter()
        .filter_map(|g| g.at.clone())
        .chain(diagnosis.failure.as_ref().and_then(|f| f.at.clone()));
    // A predicted inversion: where each lock of the cycle was acquired.
    let acquired = diagnosis
        .lock_order
        .iter()
        .flat_map(|p| &p.inversions)
        .flat_map(|i| &i.steps)
        .flat_map(|s| [&s.acquired_at, &s.held_at])
        .filter_map(|at| at.as_ref().map(ToString::to_string));
    let mut seen = Vec::new();
    for at in places.chain(acquired) {
        let Some((file, line)) = at.rsplit_once(':') else {
            continue;
        };
        let Ok(line) = line.parse::<u64>() else {
            continue;
        };
        let location = json!({ "physicalLocation": {
            "artifactLocation": { "uri": file, "uriBaseId": "%SRCROOT%" },
            "region": { "startLine": line },
        }});
        if !seen.contains(&location) {
            seen.push(location);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::tests::sample_run;
    use crate::leaks::{LeakedGoroutine, TestLeak};
    use crate::vocabulary::Outcome;

    fn leak(test: &str, names: &[&str]) -> TestLeak {
        TestLeak {
            test: test.into(),
            count: names.len(),
            goroutines: names
                .iter()
                .map(|name| LeakedGoroutine {
                    name: name.to_string(),
                    state: "chan send".into(),
                    function: Some("cache.(*Cache).janitor".into()),
                    at: Some("cache.go:12".into()),
                })
                .collect(),
        }
    }

    #[test]
    fn a_leaking_test_is_the_failing_test_case() {
        let mut run = sample_run(4, Outcome::Leak, Some("chan.send-no-receiver"), &[]);
        run.leaks = vec![leak("TestCache", &["G2"]), leak("TestPool", &["G3", "G4"])];
        let named: Vec<(String, Option<String>)> = cases(&run)
            .into_iter()
            .map(|case| (case.name, case.failed.map(|(_, message)| message)))
            .collect();
        assert_eq!(
            named,
            vec![
                (
                    "TestCache (seed v3:4)".to_string(),
                    Some(
                        "seed v3:4: leak chan.send-no-receiver: TestCache left 1 goroutine(s) behind (G2)"
                            .to_string()
                    )
                ),
                (
                    "TestPool (seed v3:4)".to_string(),
                    Some(
                        "seed v3:4: leak chan.send-no-receiver: TestPool left 2 goroutine(s) behind (G3 G4)"
                            .to_string()
                    )
                ),
            ]
        );
        // Without an attribution, or without a bug, the case is the run's.
        run.leaks.clear();
        assert_eq!(cases(&run)[0].name, "seed v3:4");
        let mut clean = sample_run(5, Outcome::Clean, None, &[]);
        clean.leaks = vec![leak("TestCache", &["G2"])];
        let clean_cases = cases(&clean);
        assert_eq!(clean_cases.len(), 1);
        assert_eq!(
            (
                clean_cases[0].name.as_str(),
                clean_cases[0].failed.is_none()
            ),
            ("seed v3:5", true)
        );
    }
}
