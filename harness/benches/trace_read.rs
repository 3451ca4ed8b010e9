//! `cargo bench --bench trace_read`: reading a big execution trace in bounded memory.
//!
//! Writes a trace of `GOREPRO_BENCH_TRACE_MB` MiB (default 40) with `go-samples/tools/tracegen`
//! (goroutines passing values, contending on a mutex, coming and going), then, in the same run,
//! measures two ways of reading it, each in a child process of this bench so that its peak
//! memory is its own:
//!
//! - gorepro: the trace reader (filtered, windowed, each stack sent once) streamed into the
//!   parser, as the evidence stage does;
//! - baseline: `go tool trace -d=parsed`, the toolchain's full text dump, which is what the
//!   harness used to read whole (its text is only counted here, not held).
//!
//! It prints the wall time, the peak RSS of the harness side and of the Go side, and the
//! ratios against the baseline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gorepro::{Config, Harness};
use nix::sys::resource::{UsageWho, getrusage};

/// Peak RSS in MiB: of this process, or of the children it has waited for.
fn peak_mib(who: UsageWho) -> f64 {
    let usage = getrusage(who).expect("getrusage");
    usage.max_rss() as f64 / 1024.0 // kilobytes on Linux
}

struct Measured {
    wall: Duration,
    harness_mib: f64,
    go_mib: f64,
    detail: String,
}

/// In the child: reads the trace one way and prints the figures as one line.
fn measure(how: &str, harness: Harness, trace: &Path) {
    let started = Instant::now();
    let detail = match how {
        "gorepro" => {
            let read = harness
                .trace_reader
                .read(trace, &[])
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(read.cut.is_none(), "{:?}", read.cut);
            let t = read.trace;
            format!(
                "kept {} transitions and {} logs, dropped {} transitions (window)",
                t.transitions.len(),
                t.logs.len(),
                t.dropped_transitions
            )
        }
        _ => {
            let mut dump = harness
                .toolchain
                .command(Path::new("."), ["tool", "trace", "-d=parsed"])
                .before_spawn({
                    let trace = trace.to_path_buf();
                    move |command| {
                        command.arg(&trace);
                        Ok(())
                    }
                })
                .reader()
                .expect("go tool trace");
            let mut bytes = 0u64;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                match dump.read(&mut buf).expect("reading the dump") {
                    0 => break,
                    n => bytes += n as u64,
                }
            }
            format!("{:.0} MiB of text", bytes as f64 / (1 << 20) as f64)
        }
    };
    let wall = started.elapsed();
    // The reader process must be reaped for its peak to count among the children.
    drop(harness);
    println!(
        "{} {} {} {}",
        wall.as_millis(),
        peak_mib(UsageWho::RUSAGE_SELF),
        peak_mib(UsageWho::RUSAGE_CHILDREN),
        detail
    );
}

fn run_child(how: &str, trace: &Path) -> Measured {
    let output = Command::new(std::env::current_exe().expect("bench path"))
        .args(["--measure", how])
        .arg(trace)
        .output()
        .expect("bench child");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{how}: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = text.lines().last().unwrap_or_default();
    let mut fields = line.splitn(4, ' ');
    let mut number = || {
        fields
            .next()
            .and_then(|f| f.parse::<f64>().ok())
            .expect(line)
    };
    Measured {
        wall: Duration::from_millis(number() as u64),
        harness_mib: number(),
        go_mib: number(),
        detail: fields.next().unwrap_or_default().to_string(),
    }
}

fn trace_file(harness: &Harness, megabytes: u64) -> PathBuf {
    let dir = harness.config.cache_dir.join("bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let trace = dir.join(format!("tracegen-{megabytes}mb.out"));
    if !trace.is_file() {
        let tool = dir.join("tracegen");
        harness
            .toolchain
            .command(
                &harness.config.samples_dir(),
                [
                    std::ffi::OsStr::new("build"),
                    "-o".as_ref(),
                    tool.as_os_str(),
                    "./tools/tracegen".as_ref(),
                ],
            )
            .run()
            .expect("building tracegen");
        duct::cmd!(&tool, "-out", &trace, "-mb", megabytes.to_string())
            .run()
            .expect("tracegen");
    }
    trace
}

fn main() {
    let config = Config::from_env().expect("GOREPRO_* settings");
    let harness = Harness::new(config).unwrap_or_else(|e| panic!("{e}"));
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, how, trace] = &args[..]
        && flag == "--measure"
    {
        measure(how, harness, Path::new(trace));
        return;
    }
    let megabytes: u64 = std::env::var("GOREPRO_BENCH_TRACE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let trace = trace_file(&harness, megabytes);
    let size = std::fs::metadata(&trace).expect("trace").len() as f64 / (1 << 20) as f64;
    // Build the reader outside the measurement.
    harness
        .toolchain
        .trace_tool(&harness.config.cache_dir, &harness.config.samples_dir())
        .unwrap_or_else(|e| panic!("{e}"));
    println!("trace: {} ({size:.1} MiB)", trace.display());
    let ours = run_child("gorepro", &trace);
    let baseline = run_child("baseline", &trace);
    for (name, m) in [("gorepro", &ours), ("baseline", &baseline)] {
        println!(
            "{name:>9}: {:>8.2} s  harness peak {:>7.1} MiB  Go side peak {:>7.1} MiB  ({})",
            m.wall.as_secs_f64(),
            m.harness_mib,
            m.go_mib,
            m.detail
        );
    }
    println!(
        "gorepro / baseline: wall {:.2}x, Go side peak memory {:.2}x; harness plus reader peak {:.0} MiB",
        ours.wall.as_secs_f64() / baseline.wall.as_secs_f64(),
        ours.go_mib / baseline.go_mib,
        ours.harness_mib + ours.go_mib
    );
}
