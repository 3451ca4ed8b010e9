//! `--shard K/N` and `gorepro merge`, driven from outside: an exploration and a catalog run
//! split into four shards give, merged, the report of the unsplit process, and every seed or
//! item means the same (same diagnosis) whichever shard runs it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::root;

const SHARDS: u32 = 4;

fn gorepro(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gorepro"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs gorepro, expecting exit status `status`, and returns its stdout.
fn stdout_of(args: &[&str], status: i32) -> String {
    let output = gorepro(args);
    assert_eq!(
        output.status.code(),
        Some(status),
        "gorepro {args:?}\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// The report without what varies from run to run: times.
fn without_timings(report: &str) -> String {
    let times = regex::Regex::new(r"\d+(\.\d+)? ms").unwrap();
    times.replace_all(report, "[T] ms").into_owned()
}

/// The shards' stdouts written to files in `dir`, as a CI merge job gets them.
fn write_shards(dir: &Path, name: &str, shards: &[String]) -> Vec<String> {
    shards
        .iter()
        .enumerate()
        .map(|(i, lines)| {
            let path = dir.join(format!("{name}-{}.jsonl", i + 1));
            std::fs::write(&path, lines).unwrap();
            path.display().to_string()
        })
        .collect()
}

fn drop_field(mut value: Value, field: &str) -> Value {
    value.as_object_mut().unwrap().remove(field);
    value
}

#[test]
fn diagnose_runs_40_in_4_shards_merges_into_the_unsplit_report() {
    let file = root().join("harness/tests/fixtures/diagnose/single/handoff.go");
    let file = file.to_str().unwrap();
    // One P: the order a seed's holds leave open is then the scheduler's, so every process
    // gives a seed the same diagnosis even on a loaded machine. On two Ps a seed of this
    // race-dependent fixture can flip under heavy load (seen at a load average of 15), which
    // would make the unsplit and the merged report differ for a reason that is not sharding.
    let args = |extra: &[&str]| -> Vec<String> {
        ["diagnose", file, "--runs", "40", "--gomaxprocs", "1"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let run = |extra: &[&str], status| {
        let args = args(extra);
        stdout_of(&args.iter().map(String::as_str).collect::<Vec<_>>(), status)
    };
    // Some seeds of the hand-off reproduce its deadlock, some do not.
    let outputs = tempfile::tempdir().unwrap();
    let unsplit_junit = outputs.path().join("unsplit.xml");
    let unsplit_text = run(&["--junit", unsplit_junit.to_str().unwrap()], 1);
    let unsplit_lines = run(&["--json"], 1);
    let shards: Vec<String> = (1..=SHARDS)
        .map(|k| run(&["--json", "--shard", &format!("{k}/{SHARDS}")], 1))
        .collect();

    // Every seed ran once, on the shard nextest's count:K/N would give it, with the diagnosis
    // it had in the unsplit run.
    let signatures = |lines: &[Value]| -> BTreeMap<String, (String, String)> {
        lines
            .iter()
            .filter(|l| l["kind"] == "seed")
            .map(|l| {
                (
                    l["seed"].as_str().unwrap().to_string(),
                    (
                        l["signature"].as_str().unwrap().to_string(),
                        l["shard"].as_str().unwrap_or("-").to_string(),
                    ),
                )
            })
            .collect()
    };
    let unsplit = json_lines(&unsplit_lines);
    let whole = signatures(&unsplit);
    assert_eq!(whole.len(), 40);
    let mut split = BTreeMap::new();
    for (k, lines) in shards.iter().enumerate() {
        for (seed, (signature, shard)) in signatures(&json_lines(lines)) {
            let value: u32 = seed.trim_start_matches("v3:").parse().unwrap();
            assert_eq!(shard, format!("{}/{SHARDS}", (value - 1) % SHARDS + 1));
            assert_eq!(shard, format!("{}/{SHARDS}", k + 1));
            assert!(split.insert(seed, signature).is_none());
        }
    }
    let whole_signatures: BTreeMap<String, String> =
        whole.into_iter().map(|(seed, (s, _))| (seed, s)).collect();
    assert_eq!(
        split, whole_signatures,
        "a seed diagnosed differently on its shard"
    );
    let distinct: std::collections::BTreeSet<&String> = split.values().collect();
    assert!(
        distinct.len() > 1,
        "every seed gave the same diagnosis: the test needs a mix"
    );

    let dir = tempfile::tempdir().unwrap();
    let files = write_shards(dir.path(), "diagnose", &shards);
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let merged_text = stdout_of(&[&["merge"], &files[..]].concat(), 1);
    assert_eq!(
        without_timings(&merged_text),
        without_timings(&unsplit_text),
        "the merged report is not the unsplit one"
    );
    assert!(merged_text.contains("bug hit rate: "), "{merged_text}");
    assert!(merged_text.contains("replay: "), "{merged_text}");
    // JUnit and SARIF from the merged lines: the unsplit run's test cases and failures.
    let merged_junit = outputs.path().join("merged.xml");
    let merged_sarif = outputs.path().join("merged.sarif");
    let junit_args = [
        "--junit",
        merged_junit.to_str().unwrap(),
        "--sarif",
        merged_sarif.to_str().unwrap(),
    ];
    stdout_of(&[&["merge"], &junit_args[..], &files[..]].concat(), 1);
    let cases = |path: &std::path::Path| -> Vec<String> {
        let xml = std::fs::read_to_string(path).unwrap();
        let time = regex::Regex::new(r#" time="[^"]*""#).unwrap();
        xml.lines()
            .filter(|l| l.contains("<testcase ") || l.contains("<failure "))
            .map(|l| time.replace_all(l.trim(), "").into_owned())
            .collect()
    };
    let unsplit_cases = cases(&unsplit_junit);
    assert_eq!(
        unsplit_cases
            .iter()
            .filter(|l| l.contains("<testcase "))
            .count(),
        40
    );
    assert!(unsplit_cases.iter().any(|l| l.contains("<failure ")));
    assert_eq!(cases(&merged_junit), unsplit_cases);
    // SARIF: a result per class found, with its count of runs, as the unsplit run has them.
    let classes = |sarif: &Value| -> Vec<(Value, Value)> {
        (sarif["runs"][0]["results"].as_array().unwrap().iter())
            .map(|r| (r["ruleId"].clone(), r["properties"]["runs"].clone()))
            .collect()
    };
    let read_json = |path: &std::path::Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let unsplit_sarif = outputs.path().join("unsplit.sarif");
    run(&["--sarif", unsplit_sarif.to_str().unwrap()], 1);
    let merged_classes = classes(&read_json(&merged_sarif));
    assert!(!merged_classes.is_empty());
    assert_eq!(merged_classes, classes(&read_json(&unsplit_sarif)));

    // The summary line, then the total over packages, as one process prints them last.
    let merged_summary = json_lines(&stdout_of(&[&["merge", "--json"], &files[..]].concat(), 1));
    assert_eq!(merged_summary.len(), 2);
    let [.., unsplit_summary, unsplit_total] = &unsplit[..] else {
        panic!("{unsplit:?}")
    };
    assert_eq!(unsplit_summary["kind"], "summary");
    assert_eq!(
        drop_field(merged_summary[0].clone(), "build_ms"),
        drop_field(unsplit_summary.clone(), "build_ms")
    );
    assert_eq!(unsplit_total["kind"], "total");
    assert_eq!(&merged_summary[1], unsplit_total);

    // Three shards of four are not the whole: merge says which one is missing.
    let output = gorepro(&[&["merge"], &files[..3]].concat());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("shard(s) 4/4 missing"),
        "{}",
        text(&output.stderr)
    );
}

/// On one P: what is tested is that shards merge into the unsplit summary, and the catalog's
/// determinism on two Ps is CI's own gate. Under `cargo test`'s parallel load, wg-reuse on two
/// Ps can escape its Exclusive gate (its spec and `support.Exclusive` say when), which would
/// make the unsplit and the merged runs differ for a reason that is not sharding.
#[test]
fn run_all_repeat_4_in_4_shards_merges_into_the_unsplit_summary() {
    let base = [
        "run",
        "--all",
        "--repeat",
        "4",
        "--gomaxprocs",
        "1",
        "--json",
    ];
    let unsplit = json_lines(&stdout_of(&base, 0));
    let shards: Vec<String> = (1..=SHARDS)
        .map(|k| {
            let shard = format!("{k}/{SHARDS}");
            stdout_of(&[&base[..], &["--shard", &shard]].concat(), 0)
        })
        .collect();

    // The same item is the same program under the same settings, with the same normalized
    // diagnosis, whichever shard ran it.
    let items = |lines: &[Value]| -> BTreeMap<u64, Value> {
        lines
            .iter()
            .filter(|l| l["kind"] == "run")
            .map(|l| {
                let identity = serde_json::json!([
                    l["plan"],
                    l["scenario"],
                    l["variant"],
                    l["params"],
                    l["gomaxprocs"],
                    l["repeat"],
                    l["signature"]
                ]);
                (l["item"].as_u64().unwrap(), identity)
            })
            .collect()
    };
    let whole = items(&unsplit);
    // Every scenario of the catalog, both variants, four repeats.
    let scenarios =
        gorepro::scenario::Catalog::load(&root().join("scenarios"), &root().join("go-samples"))
            .unwrap()
            .scenarios
            .len();
    assert_eq!(whole.len(), scenarios * 2 * 4);
    let mut split = BTreeMap::new();
    for (k, lines) in shards.iter().enumerate() {
        let lines = json_lines(lines);
        for (item, identity) in items(&lines) {
            assert_eq!(
                item % u64::from(SHARDS),
                k as u64,
                "item {item} on shard {}",
                k + 1
            );
            assert!(split.insert(item, identity).is_none());
        }
        // Each shard closes with its own summary.
        let summary = lines.last().unwrap();
        assert_eq!(summary["kind"], "run-summary");
        assert_eq!(summary["shard"], format!("{}/{SHARDS}", k + 1));
    }
    assert_eq!(split, whole);

    let dir = tempfile::tempdir().unwrap();
    let files = write_shards(dir.path(), "run", &shards);
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let merged = json_lines(&stdout_of(&[&["merge", "--json"], &files[..]].concat(), 0));
    assert_eq!(merged.len(), 1);
    // Timings aside (the verdict's median), the merged summary is the unsplit one.
    let without_medians = |summary: &Value| {
        let mut summary = summary.clone();
        for row in summary["rows"].as_array_mut().unwrap() {
            row.as_object_mut().unwrap().remove("verdict_p50_ms");
        }
        summary
    };
    let unsplit_summary = unsplit.last().unwrap();
    assert_eq!(unsplit_summary["kind"], "run-summary");
    assert_eq!(unsplit_summary["ok"], true);
    assert_eq!(
        without_medians(&merged[0]),
        without_medians(unsplit_summary)
    );

    // The text is the closing table `gorepro run` prints, medians aside.
    let unsplit_file = dir.path().join("unsplit.jsonl");
    std::fs::write(
        &unsplit_file,
        unsplit.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let merged_text = stdout_of(&[&["merge"], &files[..]].concat(), 0);
    let unsplit_text = stdout_of(&["merge", unsplit_file.to_str().unwrap()], 0);
    assert_eq!(
        without_timings(&merged_text),
        without_timings(&unsplit_text)
    );
    assert!(
        merged_text.contains("mutex-ab-ba                  buggy     4/4           1"),
        "{merged_text}"
    );
}

#[test]
fn fuzz_campaign_in_2_shards_merges_into_the_unsplit_report() {
    let base = [
        "fuzz",
        "--seed",
        "5",
        "--batches",
        "4",
        "--programs",
        "24",
        "--forced",
    ];
    let unsplit_text = stdout_of(&base, 0);
    let unsplit = json_lines(&stdout_of(&[&base[..], &["--json"]].concat(), 0));
    let shards: Vec<String> = (1..=2)
        .map(|k| {
            stdout_of(
                &[&base[..], &["--json", "--shard", &format!("{k}/2")]].concat(),
                0,
            )
        })
        .collect();
    // Batch b is the same Go source whichever process drew it, after whichever batches.
    let sources = |lines: &[Value]| -> BTreeMap<u64, String> {
        lines
            .iter()
            .filter(|l| l["kind"] == "fuzz-batch")
            .map(|l| {
                (
                    l["batch"].as_u64().unwrap(),
                    l["source"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let whole = sources(&unsplit);
    assert_eq!(whole.len(), 4);
    let mut split = BTreeMap::new();
    for (k, lines) in shards.iter().enumerate() {
        for (batch, source) in sources(&json_lines(lines)) {
            assert_eq!(batch % 2, k as u64, "batch {batch} on shard {}", k + 1);
            split.insert(batch, source);
        }
    }
    assert_eq!(split, whole);

    let dir = tempfile::tempdir().unwrap();
    let files = write_shards(dir.path(), "fuzz", &shards);
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let merged_text = stdout_of(&[&["merge"], &files[..]].concat(), 0);
    assert_eq!(merged_text, unsplit_text);
    assert!(
        merged_text.contains("agree with the model, 0 do not"),
        "{merged_text}"
    );
    let merged = json_lines(&stdout_of(&[&["merge", "--json"], &files[..]].concat(), 0));
    assert_eq!(merged.len(), 1);
    assert_eq!(&merged[0], unsplit.last().unwrap());
}

#[test]
fn fuzz_tier1_points_in_2_shards_merge_into_the_unsplit_report() {
    let base = ["fuzz", "--tier", "1", "--seed", "3", "--points", "1"];
    let unsplit_text = stdout_of(&base, 0);
    let unsplit = json_lines(&stdout_of(&[&base[..], &["--json"]].concat(), 0));
    let shards: Vec<String> = (1..=2)
        .map(|k| {
            stdout_of(
                &[&base[..], &["--json", "--shard", &format!("{k}/2")]].concat(),
                0,
            )
        })
        .collect();
    // A point is the same scenario, variant and parameters whichever shard runs it.
    let points = |lines: &[Value]| -> BTreeMap<u64, Value> {
        lines
            .iter()
            .filter(|l| l["kind"] == "fuzz-point")
            .map(|l| {
                let point = serde_json::json!([l["scenario"], l["variant"], l["params"]]);
                (l["item"].as_u64().unwrap(), point)
            })
            .collect()
    };
    let whole = points(&unsplit);
    assert!(whole.len() > 10, "{} points", whole.len());
    let mut split = BTreeMap::new();
    for (k, lines) in shards.iter().enumerate() {
        for (item, point) in points(&json_lines(lines)) {
            assert_eq!(item % 2, k as u64, "point {item} on shard {}", k + 1);
            split.insert(item, point);
        }
    }
    assert_eq!(split, whole);

    let dir = tempfile::tempdir().unwrap();
    let files = write_shards(dir.path(), "points", &shards);
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let merged_text = stdout_of(&[&["merge"], &files[..]].concat(), 0);
    assert_eq!(merged_text, unsplit_text);
    let merged = json_lines(&stdout_of(&[&["merge", "--json"], &files[..]].concat(), 0));
    assert_eq!(&merged[0], unsplit.last().unwrap());
}
