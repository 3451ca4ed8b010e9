//! `gorepro diagnose` beside goleak and friends, on test suites written the way real code is
//! (modules named without a dot, go.uber.org/goleak from the module proxy, tickers, goroutines
//! that finish just after their test): the supervisor is invisible to goleak, to
//! `runtime.NumGoroutine` and to a stack-shape test, a planted leak is reported against the test
//! that left it (text, `--json` field, JUnit case), and ignore rules silence expected goroutines.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use gorepro::Outcome;
use gorepro::diagnose::{self, DiagnoseReport, DiagnoseRequest, PackageResult, SeedRun};
use gorepro::{Config, Harness};

const GOLEAK: &str = "go.uber.org/goleak";
const GOLEAK_VERSION: &str = "v1.3.0";
const GOLEAK_SUM: &str = "go.uber.org/goleak v1.3.0 h1:2K3zAYmnTNqV73imy9J1T3WC+gmCePx2hEGkimedGto=\n\
                          go.uber.org/goleak v1.3.0/go.mod h1:CoHD4mav9JJNrW/WLlf7HGZPjdw8EucARQHekz1X6bE=\n";

fn harness() -> Harness {
    Harness::new(Config::from_env().unwrap()).unwrap()
}

/// A module requiring goleak, with its go.sum, and goleak in the module cache: downloaded from
/// the module proxy (`GOPROXY` if set, else proxy.golang.org) when it is not there yet.
fn goleak_module(harness: &Harness, module: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        format!("module {module}\n\ngo 1.26\n\nrequire {GOLEAK} {GOLEAK_VERSION}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("go.sum"), GOLEAK_SUM).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let proxy = std::env::var("GOPROXY")
        .ok()
        .filter(|p| !p.is_empty() && p != "off")
        .unwrap_or_else(|| "https://proxy.golang.org,direct".into());
    let download = harness
        .toolchain
        .command_with(
            dir.path(),
            ["mod", "download", &format!("{GOLEAK}@{GOLEAK_VERSION}")],
            &[("GOPROXY", &proxy)],
        )
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .unwrap();
    assert!(
        download.status.success(),
        "this test needs {GOLEAK}@{GOLEAK_VERSION} from the Go module proxy ({proxy}), and \
         `go mod download` could not get it (no network to the proxy?):\n{}",
        String::from_utf8_lossy(&download.stderr)
    );
    dir
}

fn diagnose_with(harness: &Harness, dir: &Path, runs: u32, ignore: &[&str]) -> DiagnoseReport {
    let mut request = DiagnoseRequest::new(&[dir.to_str().unwrap()]);
    request.runs = runs;
    request.timeout = Some(Duration::from_secs(60));
    request.ignore = ignore.iter().map(|r| r.parse().unwrap()).collect();
    request.env.retain(|(name, _)| name != "GOPROXY");
    request.env.push(("GOPROXY".into(), "off".into()));
    let mut diagnosed = diagnose::diagnose(harness, &request, |_| {}).unwrap();
    assert_eq!(diagnosed.packages.len(), 1, "{diagnosed:#?}");
    match diagnosed.packages.remove(0) {
        PackageResult::Explored(report) => report,
        other => panic!("not explored: {other:#?}"),
    }
}

fn summary(run: &SeedRun) -> String {
    format!(
        "seed {}: {} {} tests_failed {} {:?}, stuck {:?}, leaks {:?}, ignored {}, notes {:?}",
        run.seed,
        run.diagnosis.outcome,
        run.diagnosis.class.unwrap_or("-"),
        run.tests_failed,
        run.failed_tests,
        run.diagnosis
            .stuck
            .iter()
            .map(|g| format!("{} [{}]", g.goroutines.join(" "), g.wait))
            .collect::<Vec<_>>(),
        run.leaks,
        run.ignored_goroutines,
        run.diagnosis.notes
    )
}

/// What `plain_go_test` and a gorepro run wrote into `numgoroutine`.
fn num_goroutine(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("numgoroutine")).unwrap()
}

/// The package's tests under plain `go test` (built with `go test -c`), in the package
/// directory; they must pass.
fn plain_go_test(harness: &Harness, dir: &Path) {
    let binary = dir.join("plain.test");
    harness
        .toolchain
        .command(dir, ["test", "-c", "-o", binary.to_str().unwrap(), "."])
        .run()
        .unwrap();
    let output = Command::new(&binary)
        .args(["-test.count=1", "-test.v"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::remove_file(&binary).unwrap();
}

const CACHE: &str = r#"package cache

import (
	"sync"
	"time"
)

// Cache drops its entries on a ticker until Close.
type Cache struct {
	mu      sync.Mutex
	entries map[string]int
	stop    chan struct{}
	done    chan struct{}
}

func New(every time.Duration) *Cache {
	c := &Cache{entries: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go c.janitor(every)
	return c
}

func (c *Cache) janitor(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.mu.Lock()
			clear(c.entries)
			c.mu.Unlock()
		case <-c.stop:
			return
		}
	}
}

func (c *Cache) Put(k string, v int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[k] = v
}

func (c *Cache) Close() {
	close(c.stop)
	<-c.done
}

// Refresh reloads in the background; the reload is done a moment after it returns.
func Refresh(done func()) {
	go func() {
		time.Sleep(2 * time.Millisecond)
		done()
	}()
}
"#;

const CACHE_TEST: &str = r#"package cache

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestCacheCloses(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := New(time.Millisecond)
	c.Put("a", 1)
	time.Sleep(5 * time.Millisecond)
	c.Close()
}

// settled returns runtime.NumGoroutine once it is at most want, or after a second: a goroutine
// that closed its done channel may still be on its way out (goleak retries the same way).
func settled(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(time.Second); n > want && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// Records what runtime.NumGoroutine says, for the harness to compare with go test.
func TestGoroutineCount(t *testing.T) {
	before := settled(2)
	c := New(time.Millisecond)
	c.Put("b", 2)
	c.Close()
	if after := settled(before); after != before {
		t.Fatalf("%d goroutines before, %d after", before, after)
	}
	if err := os.WriteFile("numgoroutine", []byte(fmt.Sprint(before)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A stack-shape test: every goroutine is this test's or the testing package's.
func TestStackShape(t *testing.T) {
	settled(2)
	buf := make([]byte, 1<<20)
	all := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(all, "\n\n") {
		if !strings.Contains(g, "testing.") && !strings.Contains(g, "cache.") {
			t.Errorf("a goroutine of neither the tests nor the testing package:\n%s", g)
		}
	}
	if strings.Count("\n"+all, "\ngoroutine ") != 2 {
		t.Errorf("want 2 goroutines (the test and T.Run), got:\n%s", all)
	}
}

// After the stack-shape test: os/signal's loop goroutine stays for the life of the program,
// which goleak ignores.
func TestInterruptStopsTheCache(t *testing.T) {
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	defer signal.Stop(interrupt)
	c := New(time.Millisecond)
	c.Close()
}

// Last: its goroutine finishes a moment after the test, before goleak looks.
func TestRefreshFinishesSoon(t *testing.T) {
	Refresh(func() {})
}
"#;

/// goleak's VerifyTestMain and VerifyNone, a goroutine count and a stack-shape test see under
/// gorepro what they see under go test: no false alarm, no failing test, the same count; the
/// goroutine signal.Notify leaves is no leak.
#[test]
fn goleak_goroutine_counts_and_stack_shapes_see_no_supervisor() {
    let harness = harness();
    let dir = goleak_module(
        &harness,
        "cache",
        &[("cache.go", CACHE), ("cache_test.go", CACHE_TEST)],
    );
    plain_go_test(&harness, dir.path());
    let under_go_test = num_goroutine(dir.path());
    let report = diagnose_with(&harness, dir.path(), 3, &[]);
    let runs: Vec<String> = report.runs.iter().map(summary).collect();
    assert_eq!(report.runs.len(), 3, "{runs:#?}");
    for run in &report.runs {
        assert_eq!(run.diagnosis.outcome, Outcome::Clean, "{}", summary(run));
        assert!(!run.reproduced && !run.tests_failed, "{}", summary(run));
        assert!(run.leaks.is_empty(), "{}", summary(run));
        // os/signal's loop, ignored without a rule as goleak does.
        assert_eq!(run.ignored_goroutines, 1, "{}", summary(run));
    }
    assert_eq!(num_goroutine(dir.path()), under_go_test);
    println!("runtime.NumGoroutine in a test: {under_go_test} under go test and under gorepro");
}

const FEED: &str = r#"package feed

import "time"

// Watch sends a counter on the returned channel until stop is closed.
func Watch(stop <-chan struct{}) <-chan int {
	ch := make(chan int)
	go func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case ch <- n:
			}
		}
	}()
	return ch
}

// Poll calls f on a ticker until stop is closed, then signals done.
func Poll(every time.Duration, f func(), stop <-chan struct{}, done chan<- struct{}) {
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				f()
			case <-stop:
				return
			}
		}
	}()
}
"#;

const FEED_TEST: &str = r#"package feed

import (
	"testing"
	"time"
)

func TestWatchStops(t *testing.T) {
	stop := make(chan struct{})
	ch := Watch(stop)
	<-ch
	<-ch
	close(stop)
}

func TestBystander(t *testing.T) {
	go func() { time.Sleep(3 * time.Millisecond) }()
}

func TestPollOnATicker(t *testing.T) {
	stop, done := make(chan struct{}), make(chan struct{})
	n := 0
	Poll(time.Millisecond, func() { n++ }, stop, done)
	time.Sleep(10 * time.Millisecond)
	close(stop)
	<-done
}

// Reads one value and forgets to stop the watcher.
func TestFirstValue(t *testing.T) {
	if v := <-Watch(nil); v != 0 {
		t.Fatalf("first value %d", v)
	}
}

func TestAfterTheLeak(t *testing.T) {
	stop := make(chan struct{})
	<-Watch(stop)
	close(stop)
}
"#;

/// A test that returns and leaves its watcher behind is the one the leak report names, in the
/// text, the JSON field and the JUnit case; the bystander, the ticker and the tests around it
/// are not named.
#[test]
fn a_planted_leak_is_reported_against_the_test_that_left_it() {
    let harness = harness();
    let dir = goleak_module(
        &harness,
        "feed",
        &[("feed.go", FEED), ("feed_test.go", FEED_TEST)],
    );
    let report = diagnose_with(&harness, dir.path(), 3, &[]);
    assert_eq!(
        report.hits,
        3,
        "{:#?}",
        report.runs.iter().map(summary).collect::<Vec<_>>()
    );
    for run in &report.runs {
        assert_eq!(run.diagnosis.outcome, Outcome::Leak, "{}", summary(run));
        // Each leaking test with the state and function of each goroutine it left.
        let leaks: Vec<String> = run
            .leaks
            .iter()
            .map(|l| {
                let left: Vec<String> = (l.goroutines.iter())
                    .map(|g| format!("{} in {}", g.state, g.function.as_deref().unwrap_or("?")))
                    .collect();
                format!("{}: {}", l.test, left.join(", "))
            })
            .collect();
        assert_eq!(
            leaks,
            vec!["TestFirstValue: select in feed.Watch.func1"],
            "{}",
            summary(run)
        );
    }
    let featured = report.featured().unwrap();
    let text = gorepro::report::render_diagnose(&report);
    assert!(
        text.contains("  leaked by TestFirstValue (1 goroutine):\n    G"),
        "{text}"
    );
    let json = serde_json::to_value(featured).unwrap();
    assert_eq!(json["leaks"][0]["test"], "TestFirstValue", "{json}");
    let junit = gorepro::report::ci::junit(&[&report]);
    assert!(
        junit.contains(&format!("name=\"TestFirstValue (seed {})\"", featured.seed)),
        "{junit}"
    );
    // Every case is the leaking test's; the other tests are in no case's name.
    assert_eq!(
        junit.matches("<testcase ").count(),
        (junit.matches("<testcase classname=\"feed\" name=\"TestFirstValue (seed v3:")).count(),
        "{junit}"
    );
    println!("{text}");
}

const BATCH: &str = r#"package batch

import "sync"

// Batcher runs submitted jobs on its workers until Close.
type Batcher struct {
	jobs chan func()
	wg   sync.WaitGroup
}

func New(workers int) *Batcher {
	b := &Batcher{jobs: make(chan func())}
	for range workers {
		b.wg.Add(1)
		go b.work()
	}
	return b
}

func (b *Batcher) work() {
	defer b.wg.Done()
	for job := range b.jobs {
		job()
	}
}

func (b *Batcher) Submit(job func()) { b.jobs <- job }

// Close stops the workers once they are done.
func (b *Batcher) Close() {
	close(b.jobs)
	b.wg.Wait()
}
"#;

const BATCH_TEST: &str = r#"package batch

import (
	"sync/atomic"
	"testing"
)

func TestBatcher(t *testing.T) {
	t.Parallel()
	t.Run("runs jobs", func(t *testing.T) {
		t.Parallel()
		b := New(2)
		defer b.Close()
		var n atomic.Int32
		for range 10 {
			b.Submit(func() { n.Add(1) })
		}
	})
	t.Run("forgets close", func(t *testing.T) {
		t.Parallel()
		b := New(3)
		b.Submit(func() {})
	})
}

func TestSubmitAfterClose(t *testing.T) {
	t.Parallel()
	for _, workers := range []int{1, 4} {
		t.Run("workers", func(t *testing.T) {
			t.Parallel()
			b := New(workers)
			b.Close()
		})
	}
}
"#;

/// Parallel tests with parallel subtests: the workers a subtest leaves are its own, named in
/// full, on every seed, whichever test ends first; its siblings and the other parallel test are
/// named nowhere.
#[test]
fn a_parallel_subtests_leak_is_named_with_the_subtest() {
    let harness = harness();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module batch\n\ngo 1.26\n").unwrap();
    std::fs::write(dir.path().join("batch.go"), BATCH).unwrap();
    std::fs::write(dir.path().join("batch_test.go"), BATCH_TEST).unwrap();
    let report = diagnose_with(&harness, dir.path(), 5, &[]);
    assert_eq!(report.runs.len(), 5);
    for run in &report.runs {
        assert_eq!(run.diagnosis.outcome, Outcome::Leak, "{}", summary(run));
        let leaks: Vec<(&str, usize)> = run
            .leaks
            .iter()
            .map(|l| (l.test.as_str(), l.count))
            .collect();
        assert_eq!(
            leaks,
            [("TestBatcher/forgets_close", 3)],
            "{}",
            summary(run)
        );
    }
}

const LEDGER: &str = r#"package ledger

import "sync"

type Ledger struct {
	mu      sync.Mutex
	entries []int
}

func (l *Ledger) Balance() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	total := 0
	for _, e := range l.entries {
		total += e
	}
	return total
}

// Withdraw refuses to go below zero.
func (l *Ledger) Withdraw(n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Balance() < n { // locks l.mu again
		return false
	}
	l.entries = append(l.entries, -n)
	return true
}

func (l *Ledger) Deposit(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, n)
}
"#;

const LEDGER_TEST: &str = r#"package ledger

import "testing"

func TestDeposit(t *testing.T) {
	var l Ledger
	l.Deposit(5)
	if l.Balance() != 5 {
		t.Fatal(l.Balance())
	}
}

func TestWithdraw(t *testing.T) {
	t.Run("too much", func(t *testing.T) {
		var l Ledger
		l.Deposit(5)
		if l.Withdraw(10) {
			t.Fatal("withdrew more than the balance")
		}
	})
}
"#;

/// A test that deadlocks is named: the subtest the run was in, not its parent, in the
/// progress line, the report and the JUnit case.
#[test]
fn a_deadlock_names_the_subtest_it_happened_in() {
    let harness = harness();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module ledger\n\ngo 1.26\n").unwrap();
    std::fs::write(dir.path().join("ledger.go"), LEDGER).unwrap();
    std::fs::write(dir.path().join("ledger_test.go"), LEDGER_TEST).unwrap();
    let report = diagnose_with(&harness, dir.path(), 2, &[]);
    for run in &report.runs {
        assert!(run.reproduced, "{}", summary(run));
        assert_eq!(
            run.diagnosis.class,
            Some("mutex.double-lock"),
            "{}",
            summary(run)
        );
        assert_eq!(
            run.running_tests,
            ["TestWithdraw/too_much"],
            "{}",
            summary(run)
        );
    }
    let text = gorepro::report::render_diagnose(&report);
    assert!(
        text.contains("  in test: TestWithdraw/too_much (started and not ended at the verdict)\n"),
        "{text}"
    );
    let junit = gorepro::report::ci::junit(&[&report]);
    assert!(
        junit.contains("name=\"TestWithdraw/too_much (seed v3:1)\""),
        "{junit}"
    );
}

/// The module's `.goreproignore` and `--ignore` silence goroutines the user expects: ignored,
/// they are no leak, and the run says how many it ignored.
#[test]
fn ignored_goroutines_are_no_leak_and_are_counted() {
    let harness = harness();
    let dir = goleak_module(
        &harness,
        "feed",
        &[("feed.go", FEED), ("feed_test.go", FEED_TEST)],
    );
    std::fs::write(
        dir.path().join(".goreproignore"),
        "# the watcher of TestFirstValue is expected to stay\nany:feed.Watch.func1\n",
    )
    .unwrap();
    let report = diagnose_with(&harness, dir.path(), 2, &[]);
    for run in &report.runs {
        assert_eq!(run.diagnosis.outcome, Outcome::Clean, "{}", summary(run));
        assert_eq!(run.ignored_goroutines, 1, "{}", summary(run));
    }
    assert!(
        gorepro::report::render_diagnose(&report)
            .contains("  ignored: 1 goroutine(s) expected to stay"),
    );
    // A rule on the command line does the same, by the top frame; one that matches nothing
    // leaves the leak where it was.
    std::fs::remove_file(dir.path().join(".goreproignore")).unwrap();
    let report = diagnose_with(&harness, dir.path(), 1, &["top:runtime.gopark"]);
    assert_eq!(report.runs[0].diagnosis.outcome, Outcome::Leak);
    let report = diagnose_with(&harness, dir.path(), 1, &["feed.Watch.func1"]);
    assert_eq!(
        (
            report.runs[0].diagnosis.outcome,
            report.runs[0].ignored_goroutines
        ),
        (Outcome::Clean, 1),
        "{}",
        summary(&report.runs[0])
    );
}

/// A `.goreproignore` line gorepro cannot read is an error naming the file and line.
#[test]
fn a_bad_ignore_file_is_an_error_that_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module bad\n\ngo 1.26\n").unwrap();
    std::fs::write(
        dir.path().join("bad_test.go"),
        "package bad\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".goreproignore"), "# ok\nfirst:bad.f\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gorepro"))
        .args(["diagnose", dir.path().to_str().unwrap(), "--runs", "1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(".goreproignore:2: \"first:bad.f\": a rule is top:FUNCTION"),
        "{stderr}"
    );
}
