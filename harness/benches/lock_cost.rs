//! `cargo bench --bench lock_cost`: what the runtime overlay adds to every `sync.Mutex` and
//! `sync.RWMutex` operation of a program.
//!
//! Builds one Go benchmark package three ways and runs them alternately, pass by pass, so that
//! load on the machine falls on all alike: `plain` (the toolchain as it is), `registry` (the
//! overlay with its lock-order recording turned off, `GOREPRO_LOCK_ORDER=off`: the holder
//! registry alone) and `lock order` (the overlay as every gorepro build has it). Prints the
//! median ns/op of each benchmark in each mode and what each layer adds. `GOREPRO_BENCH_PASSES`
//! sets the passes (default 5); `GOREPRO_GO` the go command.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const BENCH_TEST: &str = r#"package lockbench

import (
	"sync"
	"testing"
)

var (
	outer, inner, gate sync.Mutex
	rw                 sync.RWMutex
)

// One uncontended Lock/Unlock pair, no other lock held.
func BenchmarkLockUnlock(b *testing.B) {
	for b.Loop() {
		outer.Lock()
		outer.Unlock()
	}
}

// A pair nested in another: one lock-order edge, known after the first iteration.
func BenchmarkNestedPair(b *testing.B) {
	for b.Loop() {
		outer.Lock()
		inner.Lock()
		inner.Unlock()
		outer.Unlock()
	}
}

// Three deep: three edges per iteration, two of them with a gate lock to check.
func BenchmarkNestedUnderGate(b *testing.B) {
	for b.Loop() {
		gate.Lock()
		outer.Lock()
		inner.Lock()
		inner.Unlock()
		outer.Unlock()
		gate.Unlock()
	}
}

// One uncontended RLock/RUnlock pair.
func BenchmarkRLockRUnlock(b *testing.B) {
	for b.Loop() {
		rw.RLock()
		rw.RUnlock()
	}
}

// Every P locking a mutex of its own: the shared tables under parallel load.
func BenchmarkParallelLockUnlock(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		var mu sync.Mutex
		for pb.Next() {
			mu.Lock()
			mu.Unlock()
		}
	})
}
"#;

const MODES: [&str; 3] = ["plain", "registry", "lock order"];

fn go_command(go: &str, dir: &Path) -> Command {
    let mut command = Command::new(go);
    command
        .current_dir(dir)
        .env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .env("GOFLAGS", "")
        .env_remove("GODEBUG")
        .env("GOREPRO_LOCK_ORDER", "on");
    command
}

/// `BenchmarkX-2   1000000   14.3 ns/op` -> (`BenchmarkX`, 14.3).
fn parse(stdout: &str) -> Vec<(String, f64)> {
    stdout
        .lines()
        .filter(|l| l.starts_with("Benchmark"))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let ns = fields.iter().position(|f| *f == "ns/op")?;
            let name = fields[0].rsplit_once('-').map_or(fields[0], |(n, _)| n);
            Some((name.to_string(), fields[ns - 1].parse().ok()?))
        })
        .collect()
}

fn main() {
    let passes: usize = std::env::var("GOREPRO_BENCH_PASSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let go = std::env::var("GOREPRO_GO").unwrap_or_else(|_| "go".into());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module lockbench\n\ngo 1.26\n").unwrap();
    std::fs::write(dir.path().join("lock_test.go"), BENCH_TEST).unwrap();
    let goroot = go_command(&go, dir.path())
        .args(["env", "GOROOT"])
        .output()
        .unwrap();
    let goroot = String::from_utf8(goroot.stdout).unwrap();
    let overlay = gorepro::codegen::instances::overlay(Path::new(goroot.trim()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut replace = serde_json::Map::new();
    // Outside the package directory, which must hold only the benchmark's package.
    let files = tempfile::tempdir().unwrap();
    for (i, (target, text)) in overlay.iter().enumerate() {
        let file = files.path().join(format!("overlay-{i}.go"));
        std::fs::write(&file, text).unwrap();
        replace.insert(
            target.display().to_string(),
            file.display().to_string().into(),
        );
    }
    let overlay_json = files.path().join("overlay.json");
    std::fs::write(
        &overlay_json,
        serde_json::json!({ "Replace": replace }).to_string(),
    )
    .unwrap();
    // One test binary without the overlay, one with it (the mode switch is the environment).
    let build = |name: &str, overlay: bool| {
        let mut command = go_command(&go, dir.path());
        command.args(["test", "-c", "-o", name]);
        if overlay {
            command.arg(format!("-overlay={}", overlay_json.display()));
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        dir.path().join(name)
    };
    let plain = build("plain.test", false);
    let overlaid = build("overlaid.test", true);
    let mut samples: BTreeMap<(String, usize), Vec<f64>> = BTreeMap::new();
    for _ in 0..passes {
        for (m, mode) in MODES.iter().enumerate() {
            let binary = if m == 0 { &plain } else { &overlaid };
            let output = Command::new(binary)
                .current_dir(dir.path())
                .args([
                    "-test.run",
                    "^$",
                    "-test.bench",
                    ".",
                    "-test.benchtime",
                    "1s",
                ])
                .env("GOREPRO_LOCK_ORDER", if m == 1 { "off" } else { "on" })
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "{mode}: {stdout}");
            for (name, ns) in parse(&stdout) {
                samples.entry((name, m)).or_default().push(ns);
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut names: Vec<String> = samples.keys().map(|(n, _)| n.clone()).collect();
    names.dedup();
    println!(
        "lock cost, median ns/op over {passes} passes ({}):",
        goroot.trim()
    );
    println!(
        "  {:<28} {:>8} {:>9} {:>11} {:>10} {:>11}",
        "benchmark", "plain", "registry", "lock order", "+registry", "+lock order"
    );
    for name in names {
        let ns: Vec<f64> = (0..MODES.len())
            .map(|m| median(samples[&(name.clone(), m)].clone()))
            .collect();
        println!(
            "  {name:<28} {:>8.1} {:>9.1} {:>11.1} {:>+10.1} {:>+11.1}",
            ns[0],
            ns[1],
            ns[2],
            ns[1] - ns[0],
            ns[2] - ns[1]
        );
    }
}
