//! `cargo bench --bench oss`: `gorepro diagnose <pkg> --runs 1` against `go test -count=1 <pkg>`
//! on the test suites of real open-source concurrency libraries, in the same run.
//!
//! Setup: a temporary module requires the libraries at pinned versions (its `go.sum` is written
//! here, so `go mod download` checks what the proxy serves against it); `go mod download -json`
//! fetches them into the module cache, each module is copied out of the read-only cache into
//! the temporary directory (gorepro diagnoses packages of the main module only, and its
//! rewritten files are laid over the module with `-overlay`), and `go mod download` in each copy
//! fetches its own test dependencies.
//!
//! Then for each package: a warm-up pass (`go test -count=1 -run=^$`, which compiles and links
//! the tests and runs none, and gorepro's rewrite and build of the package, which it caches),
//! then `go test -count=1 <pkg>` and `gorepro diagnose <pkg> --runs 1 --json`, each as a child
//! of a fresh copy of this bench so that its figures are its own:
//!
//! - wall time, from spawn to exit;
//! - peak RSS of the command and all its descendants (`go`'s compiler, linker and test binary;
//!   gorepro's `go list`, `go build`, rewriter, test program and trace reader), three ways:
//!   `tree` sums VmRSS over the process tree at the same instant, sampled every 10 ms from
//!   `/proc` (what the 500 MB target is about; a peak between two samples can be missed);
//!   `bound` sums, over the processes alive at a sample, each one's own peak so far (VmHWM),
//!   the highest such sum: the tree's true peak between two samples cannot exceed the bound
//!   at the later one, unless a process that took part in it exited before that sample (it
//!   is loose for a long-lived process that shrank, such as the trace reader after a big
//!   trace: VmHWM keeps the old peak);
//!   `largest` is the biggest single process, from `getrusage(RUSAGE_CHILDREN)` (exact for
//!   every descendant its parent waited for, however short-lived).
//!
//! It prints each figure, the ratio of the wall times and whether the targets hold (at most
//! 3x `go test`'s wall time; at most 500 MB for the harness plus its children), and what
//! gorepro found: a clean package reported as a reproduction is a false alarm. Timings are
//! printed, never asserted. The load average is printed before and after.
//!
//! Needs Go and the Go module proxy (or a module cache that has the modules).
//! `GOREPRO_BENCH_OSS_PACKAGES` picks packages (comma-separated import paths of the modules
//! below); the default leaves out ants, whose suite takes over two minutes under `go test`
//! (`GOREPRO_BENCH_OSS_PACKAGES=all` runs every package listed here).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gorepro::diagnose::{self, DiagnoseRequest, Preparation};
use gorepro::{Config, Harness};
use nix::sys::resource::{UsageWho, getrusage};

/// The libraries, at the versions the benchmark was written against.
const MODULES: &[(&str, &str)] = &[
    ("golang.org/x/sync", "v0.25.0"),
    ("github.com/sourcegraph/conc", "v0.3.0"),
    ("go.uber.org/goleak", "v1.3.0"),
    ("github.com/panjf2000/ants/v2", "v2.12.1"),
];

/// Their hashes as the checksum database has them: a module that does not match is refused.
const GO_SUM: &str = "\
github.com/panjf2000/ants/v2 v2.12.1 h1:BWvU2wHpyXWxhhNXsGB6JXLCNbshyLd1QxvoAmZnu10=
github.com/panjf2000/ants/v2 v2.12.1/go.mod h1:tSQuaNQ6r6NRhPt+IZVUevvDyFMTs+eS4ztZc52uJTY=
github.com/sourcegraph/conc v0.3.0 h1:OQTbbt6P72L20UqAkXXuLOj79LfEanQ+YQFNpLA9ySo=
github.com/sourcegraph/conc v0.3.0/go.mod h1:Sdozi7LEKbFPqYX2/J+iBAM6HpqSLTASQIKqDmF7Mt0=
go.uber.org/goleak v1.3.0 h1:2K3zAYmnTNqV73imy9J1T3WC+gmCePx2hEGkimedGto=
go.uber.org/goleak v1.3.0/go.mod h1:CoHD4mav9JJNrW/WLlf7HGZPjdw8EucARQHekz1X6bE=
golang.org/x/sync v0.25.0 h1:dJnifr0nMV8/SBnBvdo4eSGGnrc3O4FFx6IqvtLcmRs=
golang.org/x/sync v0.25.0/go.mod h1:sUUOizhqBxiL6pEWpqNLUiaJn1ShEbZ6BBqskPbjZm0=
";

/// Packages with concurrency-heavy suites that pass under plain `go test`, with the module
/// each is in and whether it runs by default.
const PACKAGES: &[(&str, &str, bool)] = &[
    // errgroup: goroutines cancelled through a context; semaphore: a 5.5 s stress test of
    // waiters under contention.
    ("golang.org/x/sync/errgroup", "golang.org/x/sync", true),
    ("golang.org/x/sync/semaphore", "golang.org/x/sync", true),
    ("golang.org/x/sync/singleflight", "golang.org/x/sync", true),
    // A structured-concurrency pool: worker goroutines fed through a channel.
    (
        "github.com/sourcegraph/conc/pool",
        "github.com/sourcegraph/conc",
        true,
    ),
    (
        "github.com/sourcegraph/conc/stream",
        "github.com/sourcegraph/conc",
        true,
    ),
    // A leak checker whose own tests leave goroutines behind on purpose and check them.
    ("go.uber.org/goleak", "go.uber.org/goleak", true),
    // A goroutine pool: 100,000 goroutines, timers that purge idle workers; 2+ minutes.
    (
        "github.com/panjf2000/ants/v2",
        "github.com/panjf2000/ants/v2",
        false,
    ),
];

const WALL_TARGET: f64 = 3.0;
const MEMORY_TARGET_MB: f64 = 500.0;

/// What one measured command cost.
struct Measured {
    wall: Duration,
    /// Sum of VmRSS over the process tree at the same sample, the highest seen.
    tree_kb: u64,
    /// Sum over the processes of each one's own peak.
    bound_kb: u64,
    /// The biggest single process (getrusage).
    largest_kb: u64,
    exit_code: i32,
}

fn mb(kb: u64) -> f64 {
    kb as f64 * 1024.0 / 1e6
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Parent of `pid` from `/proc/<pid>/stat` (the field after the command name, which may hold
/// spaces and parentheses, so it is read after the last `)`).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// VmRSS and VmHWM of `pid`, in kB.
fn memory_of(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// `root` and its descendants now.
fn tree_of(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Some(parent) = parent_of(pid) {
            children.entry(parent).or_default().push(pid);
        }
    }
    let mut tree = vec![root];
    let mut next = 0;
    while next < tree.len() {
        tree.extend(children.get(&tree[next]).into_iter().flatten());
        next += 1;
    }
    tree
}

/// In the child: runs the command in `dir`, samples its process tree until it exits, and
/// prints the figures as one line.
fn measure(dir: &Path, program: &str, args: &[String], stdout: &Path) {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(stdout).expect("stdout file"))
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let root = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = std::thread::spawn({
        let done = done.clone();
        move || {
            let (mut tree_peak, mut bound) = (0u64, 0u64);
            while !done.load(Ordering::Relaxed) {
                let (mut rss_sum, mut hwm_sum) = (0, 0);
                for pid in tree_of(root) {
                    if let Some((rss, hwm)) = memory_of(pid) {
                        rss_sum += rss;
                        hwm_sum += hwm;
                    }
                }
                tree_peak = tree_peak.max(rss_sum);
                bound = bound.max(hwm_sum);
                std::thread::sleep(Duration::from_millis(10));
            }
            (tree_peak, bound)
        }
    });
    let status = child.wait().expect("waiting for the command");
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let (tree_kb, bound_kb) = sampler.join().expect("sampler");
    let largest_kb = getrusage(UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage")
        .max_rss() as u64;
    println!(
        "{} {tree_kb} {bound_kb} {largest_kb} {}",
        wall.as_micros(),
        status.code().unwrap_or(-1)
    );
}

/// Runs `program args` in `dir` under a fresh copy of this bench; its stdout goes to `stdout`.
fn run_measured(dir: &Path, program: &Path, args: &[String], stdout: &Path) -> Measured {
    let output = Command::new(std::env::current_exe().expect("bench path"))
        .arg("--measure")
        .args([dir.as_os_str(), stdout.as_os_str(), program.as_os_str()])
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("bench child");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "measuring {program:?}: {text}");
    let numbers: Vec<i64> = text
        .split_whitespace()
        .map(|f| f.parse().expect("a figure"))
        .collect();
    let [wall, tree, bound, largest, exit_code] = numbers[..] else {
        panic!("measuring {program:?}: {text}")
    };
    Measured {
        wall: Duration::from_micros(wall as u64),
        tree_kb: tree as u64,
        bound_kb: bound as u64,
        largest_kb: largest as u64,
        exit_code: exit_code as i32,
    }
}

fn go(harness: &Harness, dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(&harness.toolchain.go);
    command.args(args).current_dir(dir);
    command
}

fn check(mut command: Command, what: &str) -> Vec<u8> {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Copies a module out of the read-only module cache, writable.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("copy dir");
    for entry in std::fs::read_dir(from).expect("module dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copying a module file");
            let mut permissions = std::fs::metadata(&target).expect("copy").permissions();
            #[allow(clippy::permissions_set_readonly_false)] // the bench's own scratch copy
            permissions.set_readonly(false);
            std::fs::set_permissions(&target, permissions).expect("making the copy writable");
        }
    }
}

/// The modules fetched with `go mod download` and copied into `scratch`: module path -> copy.
fn fetch(harness: &Harness, scratch: &Path) -> HashMap<String, PathBuf> {
    let main = scratch.join("main");
    std::fs::create_dir_all(&main).expect("scratch module");
    let requires: String = MODULES
        .iter()
        .map(|(path, version)| format!("\t{path} {version}\n"))
        .collect();
    std::fs::write(
        main.join("go.mod"),
        format!("module gorepro.dev/ossbench\n\ngo 1.26\n\nrequire (\n{requires})\n"),
    )
    .expect("go.mod");
    std::fs::write(main.join("go.sum"), GO_SUM).expect("go.sum");
    let listing = check(
        go(harness, &main, &["mod", "download", "-json"]),
        "go mod download",
    );
    let mut copies = HashMap::new();
    for module in serde_json::Deserializer::from_slice(&listing).into_iter::<serde_json::Value>() {
        let module = module.expect("go mod download -json");
        let (Some(path), Some(dir)) = (module["Path"].as_str(), module["Dir"].as_str()) else {
            panic!("go mod download: {module}")
        };
        let copy = scratch.join("src").join(path);
        copy_tree(Path::new(dir), &copy);
        // The module's own test dependencies, checked against its go.sum.
        check(
            go(harness, &copy, &["mod", "download"]),
            &format!("go mod download in {path}"),
        );
        copies.insert(path.to_string(), copy);
    }
    copies
}

/// gorepro's rewrite and build of the package, which it caches for the measured run.
fn warm_gorepro(harness: &Harness, module: &Path, package: &str) {
    let mut request = DiagnoseRequest::new(&[package]);
    request.dir = module.to_path_buf();
    request.runs = 1;
    let toolchain = harness.toolchain.for_user(request.env.clone());
    let mut targets = diagnose::resolve(&toolchain, &request, &harness.config.cache_dir)
        .unwrap_or_else(|e| panic!("{package}: {e}"));
    match diagnose::prepare(harness, &toolchain, targets.remove(0), &request.flags) {
        Ok(Preparation::Built(_)) => {}
        Ok(Preparation::Skipped(skipped)) => panic!("{package} skipped: {skipped:?}"),
        Err(e) => panic!("{package}: {e}"),
    }
}

/// What gorepro's JSON lines say of the package: the summary's classes and failing tests,
/// and how many runs it made (seeds and replays of a reproducing seed).
fn findings(json: &Path) -> (String, usize) {
    let text = std::fs::read_to_string(json).expect("gorepro's output");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let runs = lines
        .iter()
        .filter(|l| l["kind"] == "seed" || l["kind"] == "replay")
        .count();
    let Some(summary) = lines.iter().find(|l| l["kind"] == "summary") else {
        return ("no summary".into(), runs);
    };
    let mut said: Vec<String> = summary["classes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["outcome"] != "clean")
        .map(|c| {
            let outcome = c["outcome"].as_str().unwrap_or("?");
            match c["class"].as_str() {
                Some(class) => format!("{outcome} {class}"),
                None => outcome.to_string(),
            }
        })
        .collect();
    let failed: Vec<&str> = summary["failed_tests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    if summary["test_failures"].as_u64().unwrap_or(0) > 0 {
        said.push(format!("tests failed: {}", failed.join(" ")));
    }
    let said = if said.is_empty() {
        "clean".into()
    } else {
        said.join("; ")
    };
    (said, runs)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, dir, stdout, program, rest @ ..] = &args[..]
        && flag == "--measure"
    {
        measure(Path::new(dir), program, rest, Path::new(stdout));
        return;
    }
    let harness = Harness::new(Config::from_env().expect("GOREPRO_* settings"))
        .unwrap_or_else(|e| panic!("{e}"));
    let gorepro = PathBuf::from(env!("CARGO_BIN_EXE_gorepro"));
    let chosen: Option<HashSet<String>> = std::env::var("GOREPRO_BENCH_OSS_PACKAGES")
        .ok()
        .filter(|v| v != "all")
        .map(|v| v.split(',').map(str::to_string).collect());
    let packages: Vec<_> = PACKAGES
        .iter()
        .filter(|(package, _, default)| match &chosen {
            Some(chosen) => chosen.contains(*package),
            None => *default || std::env::var("GOREPRO_BENCH_OSS_PACKAGES").is_ok(),
        })
        .collect();
    assert!(
        !packages.is_empty(),
        "GOREPRO_BENCH_OSS_PACKAGES selects none of {PACKAGES:?}"
    );
    let scratch = tempfile::tempdir().expect("scratch dir");
    let copies = fetch(&harness, scratch.path());
    println!(
        "oss benchmark: {}, gorepro {}, load average {}",
        harness.toolchain.version,
        gorepro.display(),
        load()
    );
    println!(
        "measured: `go test -count=1 PKG` and `gorepro diagnose PKG --runs 1 --json` in the \
         module's copy, after a warm-up of both (peak RSS in MB of 10^6 bytes: tree = sampled \
         sum over the process tree, bound = its upper bound; see the bench's docs)"
    );
    println!(
        "{:<34} {:>9} {:>9} {:>6}  {:>22}  {:>22}  gorepro says",
        "package", "go test", "gorepro", "ratio", "go test MB tree/bound", "gorepro MB tree/bound"
    );
    let (mut wall_ok, mut memory_ok, mut alarms) = (0, 0, Vec::new());
    for (package, module, _) in &packages {
        let dir = &copies[*module];
        check(
            go(&harness, dir, &["test", "-count=1", "-run=^$", package]),
            &format!("warming go test {package}"),
        );
        warm_gorepro(&harness, dir, package);
        let out = scratch.path().join("out.jsonl");
        let go_test = run_measured(
            dir,
            &harness.toolchain.go,
            &["test".into(), "-count=1".into(), package.to_string()],
            &out,
        );
        let gorepro_args: Vec<String> = ["diagnose", package, "--runs", "1", "--json"]
            .map(String::from)
            .to_vec();
        let ours = run_measured(dir, &gorepro, &gorepro_args, &out);
        let (said, runs) = findings(&out);
        let ratio = ours.wall.as_secs_f64() / go_test.wall.as_secs_f64();
        if ratio <= WALL_TARGET {
            wall_ok += 1;
        }
        if mb(ours.tree_kb.max(ours.largest_kb)) <= MEMORY_TARGET_MB {
            memory_ok += 1;
        }
        // go test passes every package here: anything gorepro reports is a false alarm.
        if go_test.exit_code != 0 || ours.exit_code != 0 {
            alarms.push(format!(
                "{package}: go test exit {}, gorepro exit {} ({said})",
                go_test.exit_code, ours.exit_code
            ));
        }
        println!(
            "{package:<34} {:>7.2} s {:>7.2} s {:>5.1}x  {:>10.0} /{:>10.0}  {:>10.0} /{:>10.0}  {said}",
            go_test.wall.as_secs_f64(),
            ours.wall.as_secs_f64(),
            ratio,
            mb(go_test.tree_kb),
            mb(go_test.bound_kb),
            mb(ours.tree_kb),
            mb(ours.bound_kb),
        );
        println!(
            "{:<34} gorepro runs: {runs}; largest single process: go test {:.0} MB, gorepro {:.0} MB",
            "",
            mb(go_test.largest_kb),
            mb(ours.largest_kb)
        );
    }
    let n = packages.len();
    println!(
        "wall time within {WALL_TARGET}x of go test: {wall_ok}/{n}; peak RSS (gorepro plus \
         children, tree) within {MEMORY_TARGET_MB} MB: {memory_ok}/{n}"
    );
    if alarms.is_empty() {
        println!("no false alarms: go test and gorepro both pass every package");
    } else {
        println!("packages where go test and gorepro disagree:");
        for alarm in &alarms {
            println!("  {alarm}");
        }
    }
    println!("load average after: {}", load());
}
