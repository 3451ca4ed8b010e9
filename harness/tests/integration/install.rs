//! An installed gorepro. `cargo install` leaves the binary outside the workspace; so does
//! copying it out, which is what these tests do (the real `cargo install --path` and
//! `--git`, with the workspace hidden from the installed binary, are `ci/install-check.sh`).
//! From a directory outside the workspace, with `HOME` and `XDG_CACHE_HOME` in a temp dir,
//! the copy diagnoses a module and shows the catalog from what it carries, caches in the
//! user's cache directory and writes nothing into the workspace. And the packaged crate
//! carries exactly what the binary embeds.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use serde_json::Value;

use crate::common::root;

/// A settings cache whose `Refresh` holds the lock and calls `Get`, which takes it again: the
/// goroutine waits for itself on every schedule.
const SETTINGS: &str = "// Package settings keeps a service's settings.
package settings

import \"sync\"

// Store is safe for concurrent use.
type Store struct {
	mu     sync.Mutex
	values map[string]string
}

// Get returns the value of key.
func (s *Store) Get(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[key]
}

// Refresh replaces the values, keeping the region.
func (s *Store) Refresh(values map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	values[\"region\"] = s.Get(\"region\")
	s.values = values
}
";

const SETTINGS_TEST: &str = "package settings

import \"testing\"

func TestRefreshKeepsRegion(t *testing.T) {
	s := &Store{values: map[string]string{\"region\": \"eu\"}}
	s.Refresh(map[string]string{\"tier\": \"gold\"})
	if got := s.Get(\"region\"); got != \"eu\" {
		t.Fatalf(\"region = %q, want eu\", got)
	}
}
";

/// A temp dir outside the workspace holding a copy of the CLI (`bin/gorepro`), an empty home
/// (`home/`), an empty `XDG_CACHE_HOME` (`xdg-cache/`) and a module `settings` (`settings/`).
struct Installed {
    dir: tempfile::TempDir,
}

impl Installed {
    fn new() -> Installed {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            !dir.path().starts_with(root()),
            "the temp dir must be outside the workspace"
        );
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::copy(
            env!("CARGO_BIN_EXE_gorepro"),
            dir.path().join("bin/gorepro"),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("xdg-cache")).unwrap();
        let module = dir.path().join("settings");
        std::fs::create_dir_all(&module).unwrap();
        std::fs::write(module.join("go.mod"), "module settings\n\ngo 1.26\n").unwrap();
        std::fs::write(module.join("settings.go"), SETTINGS).unwrap();
        std::fs::write(module.join("settings_test.go"), SETTINGS_TEST).unwrap();
        Installed { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// gorepro's cache directory: in `XDG_CACHE_HOME`, which wins over `~/.cache`.
    fn cache(&self) -> PathBuf {
        self.path("xdg-cache/gorepro")
    }

    /// The copy run in the module's directory as a user with an empty home would run it.
    /// Go's own build cache stays the one this machine already has (`go env GOCACHE`, outside
    /// the workspace), for gorepro's tools too: it is content-addressed and safe to share, and
    /// a cold one would cost this test minutes of compiling the standard library.
    fn gorepro(&self, args: &[&str]) -> Output {
        let go_cache = go_cache();
        let mut command = Command::new(self.path("bin/gorepro"));
        command
            .args(args)
            .current_dir(self.path("settings"))
            .env("HOME", self.path("home"))
            .env("XDG_CACHE_HOME", self.path("xdg-cache"))
            .env("GOCACHE", &go_cache)
            .env("GOREPRO_GOCACHE", &go_cache)
            .env("GOPROXY", "off")
            .env_remove("GOREPRO_ROOT")
            .env_remove("GOREPRO_CACHE_DIR");
        command.output().unwrap()
    }
}

/// This machine's Go build cache, asked with the real environment.
fn go_cache() -> PathBuf {
    let go = std::env::var_os("GOREPRO_GO").unwrap_or_else(|| "go".into());
    let output = Command::new(go).args(["env", "GOCACHE"]).output().unwrap();
    assert!(output.status.success());
    let cache = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    assert!(
        !cache.starts_with(root()),
        "GOCACHE {} is inside the workspace",
        cache.display()
    );
    cache
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Files under `dir` modified at or after `since` (insta's `.snap.new` proposals aside: a
/// failing snapshot test elsewhere may write one).
fn modified_since(dir: &Path, since: SystemTime, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            modified_since(&path, since, found);
        } else if meta.modified().unwrap() >= since
            && !path.to_string_lossy().ends_with(".snap.new")
        {
            found.push(path);
        }
    }
}

#[test]
fn installed_binary_diagnoses_a_module_from_anywhere() {
    let installed = Installed::new();
    let started = SystemTime::now();
    let output = installed.gorepro(&["diagnose", "--runs", "2", "--json"]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "a bug was planted:\n{all}");

    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let seeds: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "seed").collect();
    assert_eq!(seeds.len(), 2, "{all}");
    for seed in &seeds {
        assert_eq!(seed["class"], "mutex.double-lock", "{seed}");
        assert_eq!(seed["import_path"], "settings", "{seed}");
        let evidence = Path::new(seed["evidence_dir"].as_str().unwrap());
        assert!(
            evidence.starts_with(installed.cache().join("runs")),
            "evidence outside the user's cache: {}",
            evidence.display()
        );
    }

    // Everything came from, and went to, the user's cache directory.
    assert!(!installed.path("home/.cache").exists());
    let sources = installed
        .cache()
        .join("sources")
        .join(gorepro::sources::digest());
    assert!(sources.join("go-samples/go.mod").is_file());
    assert!(sources.join("go-samples/support/supervisor.go").is_file());
    let tools: Vec<String> = std::fs::read_dir(installed.cache().join("tools"))
        .unwrap()
        .flat_map(|version| std::fs::read_dir(version.unwrap().path()).unwrap())
        .map(|tool| tool.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for tool in ["perturb-", "tracereader-"] {
        assert!(
            tools.iter().any(|t| t.starts_with(tool)),
            "no {tool}* in {tools:?}"
        );
    }
    let build = seeds[0]["build"].as_str().unwrap();
    assert!(
        std::fs::read_dir(installed.cache().join("bin"))
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().starts_with(build)),
        "build {build} is not in the user's cache"
    );

    // And nothing from or into the workspace.
    let workspace = root();
    assert!(
        !all.contains(&workspace.display().to_string()),
        "the output names the workspace:\n{all}"
    );
    let workspace_cache = workspace.join("target/gorepro");
    for (dir, prefix) in [
        ("bin", build.to_string()),
        ("runs", format!("diagnose-{}", &build[..12])),
    ] {
        let Ok(entries) = std::fs::read_dir(workspace_cache.join(dir)) else {
            continue;
        };
        for entry in entries {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with(&prefix),
                "the installed binary wrote target/gorepro/{dir}/{name}"
            );
        }
    }
    let mut touched = Vec::new();
    for dir in ["go-samples", "scenarios", "snapshots", "harness/embed"] {
        modified_since(&workspace.join(dir), started, &mut touched);
    }
    assert!(touched.is_empty(), "written in the workspace: {touched:?}");
}

#[test]
fn installed_binary_carries_the_catalog() {
    let installed = Installed::new();
    let list = installed.gorepro(&["list"]);
    assert!(list.status.success(), "{}", text(&list));
    let listed = text(&list);
    assert!(
        listed.contains("chan-send-abandoned") && listed.contains("mutex.lock-order-inversion"),
        "{listed}"
    );
    // `explain` shows the reviewed snapshot, which travels with the binary too.
    let explain = installed.gorepro(&["explain", "mutex-ab-ba"]);
    assert!(explain.status.success(), "{}", text(&explain));
    let snapshot =
        std::fs::read_to_string(root().join("snapshots/mutex-ab-ba__buggy.snap")).unwrap();
    let reviewed = snapshot.splitn(3, "---\n").nth(2).unwrap().trim_end();
    let stuck_line = reviewed
        .lines()
        .find(|l| l.contains("waits to lock"))
        .expect("the snapshot has a wait-for graph");
    assert!(
        text(&explain).contains(stuck_line.trim()),
        "{}",
        text(&explain)
    );
    assert!(
        installed
            .cache()
            .join("sources")
            .join(gorepro::sources::digest())
            .join("scenarios/mutex-ab-ba.toml")
            .is_file()
    );
}

#[test]
fn packaged_crate_carries_what_the_binary_embeds() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--offline",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let packaged: BTreeSet<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("embed/"))
        .map(str::to_string)
        .collect();
    let embedded: BTreeSet<String> = gorepro::sources::files()
        .iter()
        .map(|(path, _)| path.to_string())
        .collect();
    assert_eq!(
        packaged.difference(&embedded).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "packaged but not embedded: Cargo.toml's include and build.rs's ROOTS disagree"
    );
    assert_eq!(
        embedded.difference(&packaged).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "embedded but not packaged: `cargo install` from the crate would miss them"
    );
}
