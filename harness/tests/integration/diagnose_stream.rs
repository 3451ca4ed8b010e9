//! `gorepro diagnose` driven from outside, on small packages of a module named the way
//! services are (`module myservice`, no dot): a JSON line per run as it finishes, a summary
//! line and a total, SIGTERM and SIGINT in the middle of an exploration (the finished runs are kept, no
//! process is left), and failing or panicking tests as findings with a non-zero exit status.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gorepro::interrupt::{descendants, process_table};
use gorepro::run::process_alive;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use serde_json::Value;

/// A module `myservice` in a temp dir with the given files (paths relative to its root).
fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module myservice\n\ngo 1.26\n").unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// A counter whose Add calls a helper that locks the same mutex: every seed deadlocks.
const DOUBLE_LOCK: &str = "package counter

import \"sync\"

type Counter struct {
	mu sync.Mutex
	n  int
}

func (c *Counter) Add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.reset()
}

func (c *Counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = 0
}
";

const DOUBLE_LOCK_TEST: &str = "package counter

import \"testing\"

func TestAdd(t *testing.T) {
	var c Counter
	c.Add()
}
";

/// Tests that pass, and one whose expectation is wrong: it fails on every seed.
const STORE: &str = "package store

func Get(m map[string]int, key string) int { return m[key] + 1 }
";

const STORE_TEST: &str = "package store

import \"testing\"

func TestGet(t *testing.T) {
	if Get(map[string]int{\"a\": 1}, \"a\") != 2 {
		t.Fatal(\"wrong\")
	}
}

func TestGetMissing(t *testing.T) {
	if got := Get(nil, \"b\"); got != 0 {
		t.Fatalf(\"Get(nil, b) = %d, want 0\", got)
	}
}
";

/// A test that indexes past the end of an empty queue: it panics.
const QUEUE_TEST: &str = "package queue

import \"testing\"

func TestPop(t *testing.T) {
	var q []int
	_ = q[len(q)]
}
";

/// A test that sends on a channel it closed: it panics, and the panic is a concurrency bug.
const CLOSER_TEST: &str = "package closer

import \"testing\"

func TestClose(t *testing.T) {
	results := make(chan int, 1)
	close(results)
	results <- 1
}
";

/// The first run returns at once; every later one waits on a child process for a minute,
/// having written its own pid and the child's to `pids` (tests run in the package directory).
const SLOW_TEST: &str = "package slow

import (
	\"os\"
	\"os/exec\"
	\"strconv\"
	\"testing\"
)

func TestSync(t *testing.T) {
	if _, err := os.Stat(\"first-done\"); err != nil {
		os.WriteFile(\"first-done\", nil, 0o644)
		return
	}
	cmd := exec.Command(\"sleep\", \"60\")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pids := strconv.Itoa(os.Getpid()) + \" \" + strconv.Itoa(cmd.Process.Pid)
	os.WriteFile(\"pids.tmp\", []byte(pids), 0o644)
	os.Rename(\"pids.tmp\", \"pids\")
	cmd.Wait()
}
";

fn gorepro(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gorepro"));
    command.arg("diagnose").args(args);
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every stdout line, each parsed as JSON.
fn json_lines(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn kinds(lines: &[Value]) -> Vec<&str> {
    lines.iter().map(|l| l["kind"].as_str().unwrap()).collect()
}

/// The fields that tell which exploration a line belongs to.
const IDENTITY: [&str; 10] = [
    "path",
    "package",
    "import_path",
    "mode",
    "test",
    "test_flags",
    "go_version",
    "gomaxprocs",
    "schedule_version",
    "build",
];

fn identity(line: &Value) -> Vec<&Value> {
    IDENTITY.iter().map(|k| &line[*k]).collect()
}

#[test]
fn json_prints_a_line_per_run_then_a_summary() {
    let dir = module(&[
        ("counter/counter.go", DOUBLE_LOCK),
        ("counter/counter_test.go", DOUBLE_LOCK_TEST),
        ("store/store.go", STORE),
        (
            "store/store_test.go",
            "package store\n\nimport \"testing\"\n\nfunc TestGet(t *testing.T) {\n\tif Get(nil, \"a\") != 1 {\n\t\tt.Fatal(\"wrong\")\n\t}\n}\n",
        ),
    ]);
    let counter = dir.path().join("counter");
    let output = gorepro(&[counter.to_str().unwrap(), "--runs", "3", "--json"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines = json_lines(&output);
    // Three seeds, the two replay checks of the first reproducing one, the summary, the total.
    assert_eq!(
        kinds(&lines),
        [
            "seed", "seed", "seed", "replay", "replay", "summary", "total"
        ],
        "{stderr}"
    );
    let seeds: Vec<&str> = lines
        .iter()
        .map(|l| l["seed"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(seeds[..5], ["v3:1", "v3:2", "v3:3", "v3:1", "v3:1"]);
    let first = &lines[0];
    assert_eq!(
        first["path"],
        counter.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(first["package"], "counter");
    assert_eq!(first["import_path"], "myservice/counter");
    assert_eq!(first["mode"], "test");
    assert_eq!(first["gomaxprocs"], 2);
    assert_eq!(first["schedule_version"], 3);
    assert!(first["go_version"].as_str().unwrap().starts_with("go1."));
    for line in &lines[..6] {
        assert_eq!(identity(line), identity(first), "{line}");
    }
    for line in &lines[..5] {
        assert_eq!(line["outcome"], "deadlock", "{line}");
        assert_eq!(line["class"], "mutex.double-lock", "{line}");
        assert_eq!(line["reproduced"], true);
        assert_eq!(line["tests_failed"], false);
        assert_eq!(line["diagnosis"]["outcome"], "deadlock");
        assert_eq!(line["signature"], first["signature"]);
    }
    assert_eq!(lines[0]["replay"], Value::Null);
    assert_eq!(lines[3]["replay"]["check"], 1);
    assert_eq!(lines[4]["replay"]["check"], 2);
    assert_eq!(lines[4]["replay"]["same"], true);
    let summary = &lines[5];
    assert_eq!(
        (
            &summary["planned"],
            &summary["runs"],
            &summary["hits"],
            &summary["first_reproducing"]
        ),
        (&3.into(), &3.into(), &3.into(), &"v3:1".into())
    );
    assert_eq!(summary["replay"]["seed"], "v3:1");
    assert_eq!(summary["replay"]["same"], 2);
    assert_eq!(
        summary["classes"],
        serde_json::json!([{"outcome": "deadlock", "class": "mutex.double-lock", "runs": 3}])
    );
    assert_eq!(summary["test_failures"], 0);
    assert_eq!(summary["interrupted"], false);
    assert_eq!(summary["signal"], Value::Null);
    let total = &lines[6];
    assert_eq!(
        (
            &total["packages"],
            &total["with_findings"],
            &total["findings_in"]
        ),
        (
            &1.into(),
            &1.into(),
            &serde_json::json!(["myservice/counter"])
        )
    );

    // A clean package: exit 0. Without --json, a progress line per seed on stderr and the
    // report on stdout.
    let output = gorepro(&[dir.path().join("store").to_str().unwrap(), "--runs", "2"])
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let progress: Vec<&str> = stderr.lines().filter(|l| l.starts_with("seed ")).collect();
    assert_eq!(progress.len(), 2, "{stderr}");
    assert!(progress[0].starts_with("seed v3:1/2  clean  "), "{stderr}");
    assert!(progress[1].starts_with("seed v3:2/2  clean  "), "{stderr}");
    assert!(stdout.starts_with("diagnose "), "{stdout}");
    assert!(stdout.contains("bug hit rate: 0/2 runs"), "{stdout}");
    assert!(
        stdout.contains("no seed reproduced a bug; try more seeds"),
        "{stdout}"
    );
}

#[test]
fn failing_and_panicking_tests_are_findings() {
    let dir = module(&[
        ("store/store.go", STORE),
        ("store/store_test.go", STORE_TEST),
        ("queue/queue_test.go", QUEUE_TEST),
        ("closer/closer_test.go", CLOSER_TEST),
    ]);
    let store = dir.path().join("store");
    let store = store.to_str().unwrap();

    let output = gorepro(&[store, "--runs", "2"]).output().unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    for expected in [
        "bug hit rate: 0/2 runs (0%); first reproducing seed: none",
        "tests failed in 2/2 runs: TestGetMissing (2/2)",
        "failed test TestGetMissing:\n    store_test.go:13: Get(nil, b) = 1, want 0",
        "no seed reproduced a concurrency bug, but tests failed (first under seed v3:1)",
    ] {
        assert!(stdout.contains(expected), "{expected:?} not in:\n{stdout}");
    }
    assert!(
        stderr.contains("seed v3:1/2  tests failed  TestGetMissing  "),
        "{stderr}"
    );

    let output = gorepro(&[store, "--runs", "2", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let lines = json_lines(&output);
    assert_eq!(kinds(&lines), ["seed", "seed", "summary", "total"]);
    let seed = &lines[0];
    assert_eq!(
        (&seed["outcome"], &seed["reproduced"], &seed["tests_failed"]),
        (&"clean".into(), &false.into(), &true.into())
    );
    assert_eq!(seed["tests_exit_status"], 1);
    assert_eq!(
        seed["failed_tests"],
        serde_json::json!([{"name": "TestGetMissing", "log": ["store_test.go:13: Get(nil, b) = 1, want 0"]}])
    );
    let summary = &lines[2];
    assert_eq!(summary["hits"], 0);
    assert_eq!(summary["test_failures"], 2);
    assert_eq!(summary["first_failing"], "v3:1");
    assert_eq!(
        summary["failed_tests"],
        serde_json::json!([{"name": "TestGetMissing", "runs": 2}])
    );

    // A panicking test fails; the panic is told, and it is not a concurrency bug.
    let queue = dir.path().join("queue");
    let output = gorepro(&[queue.to_str().unwrap(), "--runs", "1", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let lines = json_lines(&output);
    assert_eq!(kinds(&lines), ["seed", "summary", "total"]);
    let seed = &lines[0];
    assert_eq!(seed["outcome"], "panic");
    assert_eq!(seed["reproduced"], false);
    assert_eq!(seed["tests_failed"], true);
    assert_eq!(seed["failed_tests"][0]["name"], "TestPop");
    assert!(
        seed["diagnosis"]["failure"]["message"]
            .as_str()
            .unwrap()
            .contains("index out of range"),
        "{seed}"
    );
    assert_eq!(
        (&lines[1]["hits"], &lines[1]["test_failures"]),
        (&0.into(), &1.into())
    );

    // A test that panics with send on closed channel failed and reproduced a bug: both.
    let closer = dir.path().join("closer");
    let output = gorepro(&[closer.to_str().unwrap(), "--runs", "1", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let lines = json_lines(&output);
    let seed = &lines[0];
    assert_eq!(
        (&seed["outcome"], &seed["class"]),
        (&"panic".into(), &"chan.send-on-closed".into())
    );
    assert_eq!(
        (&seed["reproduced"], &seed["tests_failed"]),
        (&true.into(), &true.into())
    );
    let summary = &lines[lines.len() - 2];
    assert_eq!(
        (&summary["hits"], &summary["test_failures"]),
        (&1.into(), &1.into())
    );
    assert_eq!(lines.last().unwrap()["failing_tests"], 1);
}

/// gorepro exploring `SLOW_TEST`'s package; its stdout and stderr lines arrive on channels.
struct Exploring {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Exploring {
    fn start(package: &Path, json: bool) -> Exploring {
        let mut args = vec![package.to_str().unwrap(), "--runs", "50"];
        if json {
            args.push("--json");
        }
        let mut child = gorepro(&args)
            // The supervisor's deadline must not be what ends the blocked run.
            .env("GOREPRO_DEADLINE_MS", "120000")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = |stream: Box<dyn std::io::Read + Send>| {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
            rx
        };
        Exploring {
            stdout: lines(Box::new(child.stdout.take().unwrap())),
            stderr: lines(Box::new(child.stderr.take().unwrap())),
            child,
        }
    }

    /// Waits for a line, within two minutes (the first build may compile the supervisor).
    fn wait_for(
        from: &mpsc::Receiver<String>,
        seen: &mut Vec<String>,
        wanted: impl Fn(&str) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !seen.iter().any(|l| wanted(l)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match from.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(e) => panic!("no such line ({e:?}); lines so far:\n{}", seen.join("\n")),
            }
        }
    }

    /// Waits for the process to exit, killing it (and failing) after 30 s.
    fn wait(mut self) -> (i32, Vec<String>, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                // Leave nothing running for the next test, then fail.
                for entry in descendants(&process_table(), self.child.id() as i32) {
                    let _ = nix::sys::signal::kill(Pid::from_raw(entry.pid), Signal::SIGKILL);
                }
                let _ = self.child.kill();
                panic!("gorepro did not exit within 30 s of the signal");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let drain = |rx: mpsc::Receiver<String>| rx.iter().collect::<Vec<_>>();
        (
            status.code().unwrap_or(-1),
            drain(self.stdout),
            drain(self.stderr),
        )
    }
}

/// The pids of the blocked program and of its child, once the second seed's run wrote them.
fn blocked_program(package: &Path) -> (i32, i32) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(package.join("pids")) {
            let pids: Vec<i32> = text
                .split_whitespace()
                .map(|p| p.parse().unwrap())
                .collect();
            return (pids[0], pids[1]);
        }
        assert!(Instant::now() < deadline, "the second run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `pid` runs gorepro's trace reader.
fn is_trace_reader(pid: i32) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .and_then(|exe| {
            exe.file_name()
                .map(|n| n.to_string_lossy().starts_with("tracereader-"))
        })
        .unwrap_or(false)
}

/// Interrupts an exploration whose second run blocks; returns the exit status and output,
/// having checked that every process below gorepro when the signal was sent is gone.
fn interrupt_exploration(signal: Signal, json: bool) -> (i32, Vec<String>, Vec<String>) {
    let dir = module(&[("slow/slow_test.go", SLOW_TEST)]);
    let package = dir.path().join("slow");
    let exploring = Exploring::start(&package, json);
    let mut seen_stdout = Vec::new();
    let mut seen_stderr = Vec::new();
    // The first run's result is out before the signal.
    if json {
        Exploring::wait_for(&exploring.stdout, &mut seen_stdout, |l| {
            l.starts_with("{\"kind\":\"seed\"")
        });
    } else {
        Exploring::wait_for(&exploring.stderr, &mut seen_stderr, |l| {
            l.starts_with("seed v3:1/50")
        });
    }
    let (program, child) = blocked_program(&package);
    let gorepro = exploring.child.id() as i32;
    let below: Vec<i32> = descendants(&process_table(), gorepro)
        .iter()
        .map(|e| e.pid)
        .collect();
    assert!(
        below.contains(&program),
        "the program {program} is not below gorepro: {below:?}"
    );
    assert!(
        below.contains(&child),
        "the program's child {child} is not below gorepro"
    );
    assert!(
        below.iter().any(|&pid| is_trace_reader(pid)),
        "no trace reader below gorepro: {below:?}"
    );
    nix::sys::signal::kill(Pid::from_raw(gorepro), signal).unwrap();
    let (code, mut stdout, mut stderr) = exploring.wait();
    seen_stdout.append(&mut stdout);
    seen_stderr.append(&mut stderr);
    // SIGKILL is delivered at once, but a process takes a moment to die on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(5);
    while below.iter().any(|&pid| process_alive(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let left: Vec<i32> = below
        .into_iter()
        .filter(|&pid| process_alive(pid))
        .collect();
    assert!(left.is_empty(), "processes left behind: {left:?}");
    (code, seen_stdout, seen_stderr)
}

#[test]
fn sigterm_keeps_the_finished_runs_and_leaves_no_process() {
    let (code, stdout, stderr) = interrupt_exploration(Signal::SIGTERM, true);
    let stderr = stderr.join("\n");
    assert_eq!(code, 143, "{stderr}");
    let lines: Vec<Value> = stdout
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    // The first seed finished; the second was cut short and is not reported.
    assert_eq!(kinds(&lines), ["seed", "summary", "total"], "{stderr}");
    assert_eq!(lines[0]["seed"], "v3:1");
    assert_eq!(lines[0]["outcome"], "clean");
    let summary = &lines[1];
    assert_eq!(summary["interrupted"], true);
    assert_eq!(summary["signal"], "SIGTERM");
    assert_eq!(
        (&summary["runs"], &summary["planned"]),
        (&1.into(), &50.into())
    );
    assert_eq!(identity(summary), identity(&lines[0]));
    assert_eq!(lines[2]["interrupted"], true);
    assert!(
        stderr.contains("gorepro: SIGTERM: ending the running program"),
        "{stderr}"
    );
}

#[test]
fn sigint_prints_the_report_of_the_finished_runs() {
    let (code, stdout, stderr) = interrupt_exploration(Signal::SIGINT, false);
    let (stdout, stderr) = (stdout.join("\n"), stderr.join("\n"));
    assert_eq!(code, 130, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "interrupted by SIGINT after 1 of 50 seeds: this report covers the runs that finished"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("bug hit rate: 0/1 runs"), "{stdout}");
    assert!(!stdout.contains("seed v3:2 "), "{stdout}");
}
