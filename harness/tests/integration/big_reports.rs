//! Reports of a big test package, written as real code is (`bigpool`: a module named without a
//! dot, tests that return and leave goroutines behind, 300 workers of a pool, an errgroup-like
//! wrapper from another module used by two different tests): stuck goroutines grouped by their
//! first frame in the user's module and told apart by what started them, a timeline table that
//! stays within its width with the stuck lanes first, and the `diagnose --html` page.

use std::path::Path;

use gorepro::report::TABLE_WIDTH;

use crate::diagnose::fixtures;

/// `gorepro diagnose` on the package, with `--json` or `--html DIR` when given.
fn diagnose(package: &Path, extra: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gorepro"))
        .arg("diagnose")
        .arg(package)
        .args(["--runs", "1", "--gomaxprocs", "2"])
        .args(extra)
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    // Exit status 1: a run reproduced a bug.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The lines of one section of the printed diagnosis (`  stuck:` up to the next section).
fn section<'a>(report: &'a str, name: &str) -> Vec<&'a str> {
    let header = format!("  {name}:");
    report
        .lines()
        .skip_while(|l| *l != header)
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect()
}

#[test]
fn a_big_package_is_grouped_by_user_frame_and_its_timeline_fits() {
    let fixtures = fixtures();
    let package = fixtures.path().join("bigpool/ingest");
    let html = tempfile::tempdir().unwrap();
    let report = diagnose(&package, &["--html", html.path().to_str().unwrap()]);

    // The 300 workers are one group at their own line; the three publishers block at one
    // line of one function (the first frame in the module), reached through the same wrapper
    // of another module, but each runs a different test's closure: three groups, each saying
    // which closure it runs.
    assert_eq!(
        section(&report, "stuck"),
        vec![
            "    G5..G304 (300 goroutines) [chan receive] (leaked) at ingest/ingest.go:26 in \
             ingest.(*Pool).worker, created by G4 at ingest/ingest.go:19",
            "    G305 [chan send] (leaked) at ingest/ingest.go:46 in ingest.Publish, started in \
             ingest.TestFirstOrder.func1, created by G3 at ingest/ingest_test.go:29",
            "    G306 [chan send] (leaked) at ingest/ingest.go:46 in ingest.Publish, started in \
             ingest.TestFirstOrder.func2, created by G3 at ingest/ingest_test.go:30",
            "    G307 [chan send] (leaked) at ingest/ingest.go:46 in ingest.Publish, started in \
             ingest.TestFirstInvoice.func1, created by G2 at ingest/ingest_test.go:40",
        ],
        "{report}"
    );

    // The timeline: wider than the bound if printed whole (eight lanes, long names), so
    // folded: every line within it, the stuck lanes first, named by the user code they run
    // (not by the wrapper), the quiet tests counted in the last column.
    let timeline = section(&report, "timeline");
    assert!(timeline.len() >= 5, "{report}");
    for line in &timeline {
        // Two spaces of the diagnose report's indent on top of the table's own.
        assert!(
            line.chars().count() <= TABLE_WIDTH + 2,
            "{} characters: {line}",
            line.chars().count()
        );
    }
    let header: Vec<&str> = timeline[0].split('|').map(str::trim).collect();
    assert_eq!(
        &header[..4],
        &["G5..G304 (300 goroutines)", "G305", "G306", "G307"],
        "{report}"
    );
    assert!(header[4].starts_with("+4 lanes (4 goroutines)"), "{report}");
    let functions: Vec<&str> = timeline[1].split('|').map(str::trim).collect();
    assert_eq!(
        &functions[..4],
        &[
            "ingest.(*Pool).worker",
            "ingest.TestFirstOrder.func1",
            "ingest.TestFirstOrder.func2",
            "ingest.TestFirstInvoice.func1"
        ],
        "{report}"
    );
    assert!(!report.contains("group.(*Group).Go"), "{report}");
    assert!(
        // The test goroutines and the pool's feeder exit; the root (TestMain's goroutine) is
        // kept for the verdict.
        timeline.iter().any(|l| l.trim_end().ends_with("| exit ×3")),
        "the quiet lanes' exits fold into one counted cell: {report}"
    );

    // The HTML page of the package: the featured run's swimlanes (a bounded number of lanes),
    // the folded table, the wait-for graph with the workers in one box, the source with the
    // blocked lines marked; the index links it.
    let index = std::fs::read_to_string(html.path().join("index.html")).unwrap();
    assert!(
        index.contains("<a href=\"bigpool_ingest.html\">bigpool/ingest</a>"),
        "{index}"
    );
    let page = std::fs::read_to_string(html.path().join("bigpool_ingest.html")).unwrap();
    for id in [
        "swimlanes",
        "steps",
        "wait-for-graph",
        "diagnosis",
        "seeds",
        "replay",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    assert_eq!(
        page.matches("<g class=\"lane stuck\"").count(),
        4,
        "four stuck lanes drawn"
    );
    assert!(
        page.contains("<rect class=\"goroutine\" data-members=\"300\""),
        "the 300 workers share one box of the wait-for graph"
    );
    assert!(
        page.contains("<h3>ingest/ingest.go</h3>")
            && page.contains("<h3>ingest/ingest_test.go</h3>"),
        "the named files are listed"
    );
    // Every marked line, as (number, text): the two blocked operations, nothing else.
    let marked: Vec<(u32, String)> = page
        .split("<span class=\"blocked\"><span class=\"n\">")
        .skip(1)
        .map(|rest| {
            let (number, rest) = rest.split_once("</span>").unwrap();
            let text = rest.split("</span>").next().unwrap();
            (number.parse().unwrap(), text.trim().to_string())
        })
        .collect();
    assert_eq!(
        marked,
        vec![
            (26, "for j := range p.jobs {".to_string()),
            (46, "out &lt;- r".to_string())
        ]
    );
    // Self-contained: nothing to fetch (the SVG namespace URI is a name, not a request).
    for reference in ["src=\"http", "href=\"http", "url(http", "<script"] {
        assert!(!page.contains(reference), "{reference}");
    }
}
