//! Supervision that knows real time from stuck, on test suites written the way real code is
//! (modules named without a dot, timers and tickers, no gorepro labels): ticker-driven pools
//! and polling loops are not deadlocks, 100,000 `go` statements and a loop that never blocks
//! cost little under the scheduling holds, a goroutine left sleeping is a leak named with its
//! state, a deadlock beside a ticker is still found, and a killed gorepro leaves no program
//! running.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use gorepro::Outcome;
use gorepro::diagnose::{self, DiagnoseReport, DiagnoseRequest, PackageResult, SeedRun};
use gorepro::run::process_alive;
use gorepro::{Config, Harness};

fn harness() -> Harness {
    Harness::new(Config::from_env().unwrap()).unwrap()
}

/// A module in a temp dir: `go.mod` naming `module` and the given files.
fn module(module: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        format!("module {module}\n\ngo 1.26\n"),
    )
    .unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn diagnose(harness: &Harness, dir: &Path, runs: u32, timeout: Duration) -> DiagnoseReport {
    let mut request = DiagnoseRequest::new(&[dir.to_str().unwrap()]);
    request.runs = runs;
    request.timeout = Some(timeout);
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
    let stuck: Vec<String> = run
        .diagnosis
        .stuck
        .iter()
        .map(|g| format!("{} [{}]", g.goroutines.join(" "), g.wait))
        .collect();
    format!(
        "seed {}: {} {} in {:.0} ms, stuck {stuck:?}, notes {:?}, details {:?}",
        run.seed,
        run.diagnosis.outcome,
        run.diagnosis.class.unwrap_or("-"),
        run.wall.as_secs_f64() * 1e3,
        run.diagnosis.notes,
        run.diagnosis.details
    )
}

fn assert_no_reproduction(report: &DiagnoseReport) {
    let runs: Vec<String> = report.runs.iter().map(summary).collect();
    assert_eq!(report.hits, 0, "{runs:#?}");
    assert!(
        report
            .runs
            .iter()
            .all(|r| r.diagnosis.outcome == Outcome::Clean),
        "{runs:#?}"
    );
}

/// How long the test binary takes under plain `go test` (built with `go test -c`, so only the
/// run is timed, as gorepro's run is), in the package directory.
fn go_test_wall(harness: &Harness, dir: &Path) -> Duration {
    let binary = dir.join("plain.test");
    harness
        .toolchain
        .command(dir, ["test", "-c", "-o", binary.to_str().unwrap(), "."])
        .run()
        .unwrap();
    let started = Instant::now();
    let output = Command::new(&binary)
        .args(["-test.count=1"])
        .current_dir(dir)
        .output()
        .unwrap();
    let wall = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    std::fs::remove_file(&binary).unwrap();
    wall
}

const TICKER_POOL: &str = r#"package pool

import (
	"sync"
	"time"
)

// Pool runs jobs on workers that also flush their counts on a ticker.
type Pool struct {
	jobs    chan int
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	done    int
	flushes int
}

func New(workers int) *Pool {
	p := &Pool{jobs: make(chan int), stop: make(chan struct{})}
	for i := 0; i < workers; i++ {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

func (p *Pool) work() {
	defer p.wg.Done()
	flush := time.NewTicker(20 * time.Millisecond)
	defer flush.Stop()
	for {
		select {
		case ms := <-p.jobs:
			time.Sleep(time.Duration(ms) * time.Millisecond)
			p.mu.Lock()
			p.done++
			p.mu.Unlock()
		case <-flush.C:
			p.mu.Lock()
			p.flushes++
			p.mu.Unlock()
		case <-p.stop:
			return
		}
	}
}

func (p *Pool) Submit(ms int) { p.jobs <- ms }

func (p *Pool) Done() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

func (p *Pool) Close() {
	close(p.stop)
	p.wg.Wait()
}
"#;

const TICKER_POOL_TEST: &str = r#"package pool

import (
	"testing"
	"time"
)

func TestPoolSettlesOnATicker(t *testing.T) {
	p := New(4)
	defer p.Close()
	go func() {
		for i := 0; i < 8; i++ {
			p.Submit(1)
		}
	}()
	// Watch the pool for 300 ms: every goroutine spends it waiting on a ticker.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(2 * time.Second)
	start := time.Now()
	for {
		select {
		case <-tick.C:
			if p.Done() == 8 && time.Since(start) >= 300*time.Millisecond {
				return
			}
		case <-deadline:
			t.Fatalf("%d of 8 jobs done", p.Done())
		}
	}
}
"#;

/// (a) 300 ms of goroutines that only wait on tickers is no deadlock.
#[test]
fn a_pool_watched_on_a_ticker_is_no_deadlock() {
    let harness = harness();
    let dir = module(
        "pool",
        &[("pool.go", TICKER_POOL), ("pool_test.go", TICKER_POOL_TEST)],
    );
    let report = diagnose(&harness, dir.path(), 5, Duration::from_secs(60));
    assert_no_reproduction(&report);
    for run in &report.runs {
        assert!(run.wall >= Duration::from_millis(300), "{}", summary(run));
    }
}

const EVENTUALLY_TEST: &str = r#"package waiter

import (
	"sync/atomic"
	"testing"
	"time"
)

// eventually polls cond every tick until it holds or waitFor has passed, as testify's
// assert.Eventually does.
func eventually(t *testing.T, cond func() bool, waitFor, tick time.Duration) {
	t.Helper()
	timeout := time.NewTimer(waitFor)
	defer timeout.Stop()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		select {
		case <-timeout.C:
			t.Fatal("condition never satisfied")
		case <-ticker.C:
			if cond() {
				return
			}
		}
	}
}

func TestBecomesReady(t *testing.T) {
	var ready atomic.Bool
	go func() {
		time.Sleep(150 * time.Millisecond)
		ready.Store(true)
	}()
	eventually(t, ready.Load, 2*time.Second, 10*time.Millisecond)
}
"#;

/// (b) A condition polled every 10 ms that holds after 150 ms is no deadlock.
#[test]
fn a_hand_written_eventually_is_no_deadlock() {
    let harness = harness();
    let dir = module("waiter", &[("waiter_test.go", EVENTUALLY_TEST)]);
    let report = diagnose(&harness, dir.path(), 5, Duration::from_secs(60));
    assert_no_reproduction(&report);
    for run in &report.runs {
        assert!(run.wall >= Duration::from_millis(150), "{}", summary(run));
    }
}

const FANOUT_TEST: &str = r#"package fanout

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestHundredThousandGoroutines(t *testing.T) {
	const n = 100_000
	var wg sync.WaitGroup
	var sum atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 0
			for k := 0; k < 100; k++ {
				x += k * i
			}
			sum.Add(int64(x % 7))
		}()
	}
	wg.Wait()
	if sum.Load() < 0 {
		t.Fatal("a negative sum")
	}
}
"#;

const QUEUE_LOOP_TEST: &str = r#"package kernel

import "testing"

// A loop whose channel operations never block: a buffered channel used as a queue.
func TestQueueLoop(t *testing.T) {
	q := make(chan int, 1)
	total := 0
	for i := 0; i < 200_000; i++ {
		q <- i
		total += <-q
	}
	if total != 199_999*200_000/2 {
		t.Fatalf("total %d", total)
	}
}
"#;

/// The runs are clean and each took at most `factor` times the plain run, plus a fixed
/// allowance for the supervisor's start and evidence.
fn assert_costs_little(harness: &Harness, name: &str, dir: &Path) {
    let plain = go_test_wall(harness, dir);
    let report = diagnose(harness, dir, 3, Duration::from_secs(60));
    let walls: Vec<String> = report
        .runs
        .iter()
        .map(|r| format!("{:.0} ms", r.wall.as_secs_f64() * 1e3))
        .collect();
    println!(
        "{name}: go test {:.0} ms; gorepro diagnose runs {}",
        plain.as_secs_f64() * 1e3,
        walls.join(", ")
    );
    assert_no_reproduction(&report);
    let allowed = plain * 4 + Duration::from_millis(500);
    for run in &report.runs {
        assert!(run.wall <= allowed, "over {allowed:?}: {}", summary(run));
    }
}

/// (c) Each of 100,000 `go` statements is a scheduling point; holding them all used to take
/// the run past its deadline.
#[test]
fn a_hundred_thousand_go_statements_cost_little_under_holds() {
    let harness = harness();
    let dir = module("fanout", &[("fanout_test.go", FANOUT_TEST)]);
    assert_costs_little(&harness, "100,000 goroutines", dir.path());
}

/// (c) 400,000 scheduling points in a loop that never blocks: 200,000 holds made a 10 ms test a
/// 10 s timeout.
#[test]
fn a_loop_that_never_blocks_costs_little_under_holds() {
    let harness = harness();
    let dir = module("kernel", &[("kernel_test.go", QUEUE_LOOP_TEST)]);
    assert_costs_little(&harness, "a loop that never blocks", dir.path());
}

const JANITOR_TEST: &str = r#"package janitor

import (
	"testing"
	"time"
)

func startJanitor() {
	go func() {
		for {
			time.Sleep(time.Millisecond)
		}
	}()
}

func TestStartsTheJanitor(t *testing.T) {
	startJanitor()
}
"#;

/// (d) A goroutine left behind that is not parked on a primitive is a leak, and the stuck list
/// names it with its state.
#[test]
fn a_goroutine_left_sleeping_is_a_leak_named_with_its_state() {
    let harness = harness();
    let dir = module("janitor", &[("janitor_test.go", JANITOR_TEST)]);
    let report = diagnose(&harness, dir.path(), 2, Duration::from_secs(60));
    assert_eq!(report.hits, 2);
    for run in &report.runs {
        let stuck: Vec<(usize, &str)> = run
            .diagnosis
            .stuck
            .iter()
            .map(|g| (g.goroutines.len(), g.wait.as_str()))
            .collect();
        assert_eq!(run.diagnosis.outcome, Outcome::Leak, "{}", summary(run));
        assert_eq!(stuck, vec![(1, "sleep")], "{}", summary(run));
    }
}

const SERVICE: &str = r#"package service

import (
	"sync"
	"time"
)

// Service answers requests and keeps a heartbeat.
type Service struct {
	mu       sync.Mutex
	beats    int
	requests chan int
	replies  chan int
	quit     chan struct{}
}

func Start() *Service {
	s := &Service{requests: make(chan int), replies: make(chan int), quit: make(chan struct{})}
	go s.heartbeat()
	go s.serve()
	return s
}

func (s *Service) heartbeat() {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			s.mu.Lock()
			s.beats++
			s.mu.Unlock()
		case <-s.quit:
			return
		}
	}
}

func (s *Service) serve() {
	for r := range s.requests {
		if r > 0 {
			continue // never replies to a positive request
		}
		s.replies <- -r
	}
}

func (s *Service) Ask(r int) int {
	s.requests <- r
	return <-s.replies
}

func (s *Service) Stop() { close(s.quit); close(s.requests) }
"#;

const SERVICE_TEST: &str = r#"package service

import "testing"

func TestAsk(t *testing.T) {
	s := Start()
	defer s.Stop()
	if got := s.Ask(2); got != -2 {
		t.Fatalf("got %d", got)
	}
}
"#;

/// (e) The heartbeat's ticker reaches the stuck goroutines through the service, so the leak
/// profile proves nothing: the deadlock is found once the state has lasted the unproven
/// window, the heartbeat's ticks notwithstanding.
#[test]
fn a_deadlock_beside_a_ticker_is_found_after_the_unproven_window() {
    let harness = harness();
    let window = harness.config.settle_unproven;
    let dir = module(
        "service",
        &[("service.go", SERVICE), ("service_test.go", SERVICE_TEST)],
    );
    let report = diagnose(&harness, dir.path(), 2, Duration::from_secs(60));
    assert_eq!(report.hits, 2);
    for run in &report.runs {
        let d = &run.diagnosis;
        assert_eq!(
            (d.outcome, d.class),
            (Outcome::Deadlock, Some("chan.recv-no-sender")),
            "{}",
            summary(run)
        );
        let mut stuck: Vec<(&str, bool)> = d
            .stuck
            .iter()
            .flat_map(|g| g.goroutines.iter().map(|_| (g.wait.as_str(), g.leaked)))
            .collect();
        stuck.sort();
        // Ask and serve wait on channels; the heartbeat keeps ticking beside them.
        assert_eq!(
            stuck,
            vec![
                ("chan receive", false),
                ("chan receive", false),
                ("timer loop", false)
            ],
            "{}",
            summary(run)
        );
        let verdict: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(Path::new(&run.evidence_dir).join("verdict.json")).unwrap(),
        )
        .unwrap();
        let waited = verdict["verdict_after_ns"].as_u64().unwrap()
            - verdict["quiescent_after_ns"].as_u64().unwrap();
        println!(
            "seed {}: deadlock after {:.0} ms, {:.0} ms after the state was first seen",
            run.seed,
            run.wall.as_secs_f64() * 1e3,
            waited as f64 / 1e6
        );
        assert_eq!(verdict["proven"], false, "{verdict}");
        assert!(
            Duration::from_nanos(waited) >= window,
            "called after {waited} ns: {verdict}"
        );
    }
}

const SPINNER_TEST: &str = r#"package spinner

import (
	"os"
	"strconv"
	"testing"
)

// Tests run in the package directory.
func TestSpins(t *testing.T) {
	os.WriteFile("pid", []byte(strconv.Itoa(os.Getpid())), 0o644)
	for {
	}
}
"#;

/// The program runs in a process group of its own, which a Ctrl-C on gorepro does not reach:
/// when gorepro dies, the program must stop too instead of spinning to its deadline.
#[test]
fn a_killed_gorepro_leaves_no_program_running() {
    let dir = module("spinner", &[("spinner_test.go", SPINNER_TEST)]);
    let pid_file = dir.path().join("pid");
    let mut gorepro = Command::new(env!("CARGO_BIN_EXE_gorepro"))
        .args(["diagnose", dir.path().to_str().unwrap(), "--runs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let pid = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
        {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the spinning test never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    gorepro.kill().unwrap();
    gorepro.wait().unwrap();
    let killed = Instant::now();
    while process_alive(pid) && killed.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    if process_alive(pid) {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        panic!("the program ({pid}) still ran 5 s after gorepro was killed");
    }
}
