//! Harness settings. Every knob has a default and one `GOREPRO_*` environment variable that
//! overrides it; a value that does not parse is rejected loudly rather than ignored.
//!
//! Where the Go sources, the catalog and the cache live ([`Sources`]) follows from where the
//! binary runs: inside the workspace it was built in (`target/debug/gorepro`, `cargo run`,
//! `cargo test`), it reads the workspace in place and caches under `target/gorepro`, as a
//! developer editing `go-samples/` expects; anywhere else (`cargo install`, a copied binary) it
//! uses the copy embedded in it ([`crate::sources`]) and the user's cache directory, and never
//! reads or writes a checkout unless `GOREPRO_ROOT` names one.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Settings shared by every stage. Build with [`Config::from_env`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The `go` binary. Default: `go` on `PATH`. Env: `GOREPRO_GO`.
    pub go: Option<PathBuf>,
    /// Where the Go sources and the catalog come from. Default: the workspace when the binary
    /// runs from inside the one it was built in, else the embedded copy. `GOREPRO_ROOT` makes
    /// it a workspace.
    pub sources: Sources,
    /// The tree holding `scenarios/`, `go-samples/` and `snapshots/`: the workspace, or for
    /// [`Sources::Embedded`] `<cache_dir>/sources/<digest>`, written by [`crate::Harness::new`].
    /// Env: `GOREPRO_ROOT` (a checkout).
    pub root: PathBuf,
    /// Built programs, gorepro's tools, Go's build cache for them and run scratch dirs.
    /// Default: `<root>/target/gorepro` in a workspace, else `gorepro` in the user's cache
    /// directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS).
    /// Env: `GOREPRO_CACHE_DIR`.
    pub cache_dir: PathBuf,
    /// Go's build cache (`GOCACHE`), shared by every build; Go keeps it safe for concurrent
    /// use. Default: `<cache_dir>/go-build`. Env: `GOREPRO_GOCACHE`.
    pub go_cache_dir: Option<PathBuf>,
    /// The in-process supervisor gives up and reports `timeout` after this long.
    /// Default 10 s. Env: `GOREPRO_DEADLINE_MS`. `gorepro diagnose` sets its own
    /// (`--timeout`, default 10 minutes, as `go test`).
    pub supervisor_deadline: Duration,
    /// How long the supervisor watches a state in which every goroutine is blocked but the
    /// goroutine-leak profile cannot prove them stuck (a timer or a global still reaches
    /// them) before it calls the run a deadlock; any change starts the wait over. Proven
    /// states are called at once. Default 1000 ms: a ticker, a poll loop or a short timeout
    /// wakes something well within it. Env: `GOREPRO_SETTLE_UNPROVEN_MS`.
    pub settle_unproven: Duration,
    /// Grace after the supervisor's deadline before the harness sends SIGQUIT (backstop).
    /// Default 5 s. Env: `GOREPRO_BACKSTOP_MS`.
    pub backstop_after: Duration,
    /// How long a program may take to die after SIGQUIT before its process group is killed.
    /// Default 1 s. Env: `GOREPRO_GRACE_MS`.
    pub quit_grace: Duration,
    /// Bytes kept of each of stdout and stderr; the rest is counted and dropped.
    /// Default 4 MiB. Env: `GOREPRO_OUTPUT_CAP`.
    pub output_cap: usize,
    /// How the program records its execution trace: `stream` (from the start, so a panic still
    /// leaves one), `flight` (a flight recorder written at the verdict) or `off` (no trace, no
    /// trace reader: diagnoses say "no trace evidence"; for measuring what tracing costs).
    /// Default `stream`. Env: `GOREPRO_TRACE`.
    pub trace: TraceMode,
    /// In `stream` mode, the MiB of trace the program keeps on disk: the most recent whole
    /// generations; older ones are deleted as it runs, and the diagnosis says so.
    /// Default 32. Env: `GOREPRO_TRACE_WINDOW_MB`.
    pub trace_window_mb: u32,
    /// Whether programs are built with the instance-evidence overlay over the toolchain's
    /// `runtime`, `sync` and `context` ([`crate::codegen::instances`]): which primitive each
    /// stuck goroutine waits on, who holds each lock, every context cancel in the trace. Off,
    /// programs are stock builds (nothing of the toolchain is laid over): no `instances.json`,
    /// no wait-for graph, and classes fall back to what the goroutine dump and the trace say.
    /// Default on. Env: `GOREPRO_INSTANCES` (`on` or `off`).
    pub instances: bool,
}

/// [`Config::trace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMode {
    Stream,
    Flight,
    Off,
}

impl TraceMode {
    /// The value of the support package's `GOREPRO_TRACE`.
    pub fn as_str(self) -> &'static str {
        match self {
            TraceMode::Stream => "stream",
            TraceMode::Flight => "flight",
            TraceMode::Off => "off",
        }
    }
}

/// [`Config::sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sources {
    /// A checkout read in place ([`Config::root`]).
    Workspace,
    /// The tree embedded in the binary, written under the cache directory on first use.
    Embedded,
}

/// The settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A `GOREPRO_*` variable holds a value the harness cannot use.
    #[error("{var}={value:?} is not valid: expected {expected}")]
    Invalid {
        var: &'static str,
        value: String,
        expected: &'static str,
    },
    /// Outside a workspace, with no `$HOME` to find the user's cache directory from.
    #[error(
        "no cache directory: this system names no user cache directory (is HOME set?); set GOREPRO_CACHE_DIR"
    )]
    NoCacheDir,
}

/// The workspace this binary was built in, if `exe` (the running executable) lies inside it
/// and it still holds `go-samples/`. Compared canonically, so a symlink to the binary counts
/// as where it points.
fn home_workspace(exe: Option<&Path>) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let inside = exe?
        .canonicalize()
        .ok()?
        .starts_with(root.canonicalize().ok()?);
    (inside && root.join("go-samples").join("go.mod").is_file()).then(|| root.to_path_buf())
}

impl Config {
    /// Defaults overridden by whichever `GOREPRO_*` variables are set.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup` (tests use a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let exe = std::env::current_exe().ok();
        Config::resolve(lookup, home_workspace(exe.as_deref()), dirs::cache_dir())
    }

    /// [`Config::from_lookup`] with the binary's own workspace (if it runs from one) and the
    /// user's cache directory given.
    fn resolve(
        lookup: impl Fn(&str) -> Option<String>,
        workspace: Option<PathBuf>,
        user_cache: Option<PathBuf>,
    ) -> Result<Config, ConfigError> {
        // Absolute: these paths reach go.mod `replace` lines and commands run elsewhere.
        let dir = |var| {
            lookup(var)
                .filter(|v| !v.is_empty())
                .map(|v| std::path::absolute(&v).unwrap_or_else(|_| PathBuf::from(v)))
        };
        let root = dir("GOREPRO_ROOT").or(workspace);
        let cache_dir = dir("GOREPRO_CACHE_DIR");
        let (sources, root, cache_dir) = match root {
            Some(root) => {
                let cache_dir = cache_dir.unwrap_or_else(|| root.join("target").join("gorepro"));
                (Sources::Workspace, root, cache_dir)
            }
            None => {
                let cache_dir = cache_dir
                    .or_else(|| user_cache.map(|dir| dir.join("gorepro")))
                    .ok_or(ConfigError::NoCacheDir)?;
                (
                    Sources::Embedded,
                    crate::sources::root_in(&cache_dir),
                    cache_dir,
                )
            }
        };
        let mut config = Config {
            go: None,
            sources,
            root,
            cache_dir,
            go_cache_dir: None,
            supervisor_deadline: Duration::from_secs(10),
            settle_unproven: Duration::from_millis(1000),
            backstop_after: Duration::from_secs(5),
            quit_grace: Duration::from_secs(1),
            output_cap: 4 << 20,
            trace: TraceMode::Stream,
            trace_window_mb: 32,
            instances: true,
        };
        if let Some(go) = lookup("GOREPRO_GO").filter(|v| !v.is_empty()) {
            config.go = Some(PathBuf::from(go));
        }
        if let Some(dir) = lookup("GOREPRO_GOCACHE").filter(|v| !v.is_empty()) {
            config.go_cache_dir = Some(PathBuf::from(dir));
        }
        let millis = |var: &'static str, slot: &mut Duration| -> Result<(), ConfigError> {
            if let Some(value) = lookup(var) {
                let ms: u64 = value.trim().parse().map_err(|_| ConfigError::Invalid {
                    var,
                    value: value.clone(),
                    expected: "a whole number of milliseconds",
                })?;
                *slot = Duration::from_millis(ms);
            }
            Ok(())
        };
        millis("GOREPRO_DEADLINE_MS", &mut config.supervisor_deadline)?;
        millis("GOREPRO_SETTLE_UNPROVEN_MS", &mut config.settle_unproven)?;
        millis("GOREPRO_BACKSTOP_MS", &mut config.backstop_after)?;
        millis("GOREPRO_GRACE_MS", &mut config.quit_grace)?;
        if let Some(value) = lookup("GOREPRO_OUTPUT_CAP") {
            config.output_cap = value.trim().parse().ok().filter(|&n: &usize| n > 0).ok_or(
                ConfigError::Invalid {
                    var: "GOREPRO_OUTPUT_CAP",
                    value,
                    expected: "a positive number of bytes",
                },
            )?;
        }
        if let Some(value) = lookup("GOREPRO_TRACE_WINDOW_MB") {
            config.trace_window_mb = value
                .trim()
                .parse()
                .ok()
                .filter(|n: &u32| (1..=1 << 20).contains(n))
                .ok_or(ConfigError::Invalid {
                    var: "GOREPRO_TRACE_WINDOW_MB",
                    value,
                    expected: "a number of MiB from 1 to 1048576",
                })?;
        }
        if let Some(value) = lookup("GOREPRO_TRACE") {
            config.trace = match value.trim() {
                "stream" => TraceMode::Stream,
                "flight" => TraceMode::Flight,
                "off" => TraceMode::Off,
                _ => {
                    return Err(ConfigError::Invalid {
                        var: "GOREPRO_TRACE",
                        value,
                        expected: "stream, flight or off",
                    });
                }
            };
        }
        if let Some(value) = lookup("GOREPRO_INSTANCES") {
            config.instances = match value.trim() {
                "on" => true,
                "off" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        var: "GOREPRO_INSTANCES",
                        value,
                        expected: "on or off",
                    });
                }
            };
        }
        Ok(config)
    }

    /// `scenarios/`: one TOML spec per scenario.
    pub fn scenarios_dir(&self) -> PathBuf {
        self.root.join("scenarios")
    }

    /// `go-samples/`: the Go module holding the support package and the scenario programs.
    pub fn samples_dir(&self) -> PathBuf {
        self.root.join("go-samples")
    }

    /// Where `GOCACHE` points.
    pub fn go_cache(&self) -> PathBuf {
        self.go_cache_dir
            .clone()
            .unwrap_or_else(|| self.cache_dir.join("go-build"))
    }

    /// The external deadline: the supervisor's own deadline plus the backstop margin.
    pub fn hard_deadline(&self) -> Duration {
        self.supervisor_deadline + self.backstop_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn env_overrides_defaults() {
        let config = config(&[
            ("GOREPRO_DEADLINE_MS", "250"),
            ("GOREPRO_SETTLE_UNPROVEN_MS", "3000"),
            ("GOREPRO_GO", "/opt/go/bin/go"),
        ])
        .unwrap();
        assert_eq!(config.supervisor_deadline, Duration::from_millis(250));
        assert_eq!(config.settle_unproven, Duration::from_secs(3));
        assert_eq!(config.go, Some(PathBuf::from("/opt/go/bin/go")));
    }

    #[test]
    fn bad_values_are_rejected_with_the_variable_named() {
        let err = config(&[("GOREPRO_GRACE_MS", "soon")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "GOREPRO_GRACE_MS=\"soon\" is not valid: expected a whole number of milliseconds"
        );
        assert!(config(&[("GOREPRO_OUTPUT_CAP", "0")]).is_err());
        assert!(config(&[("GOREPRO_TRACE_WINDOW_MB", "0")]).is_err());
        assert_eq!(
            config(&[("GOREPRO_TRACE_WINDOW_MB", "4")])
                .unwrap()
                .trace_window_mb,
            4
        );
    }

    /// `resolve` with variables from `vars`, the binary in a workspace or not, and a user
    /// cache directory or none.
    fn placed(
        vars: &[(&str, &str)],
        workspace: Option<&str>,
        user_cache: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        Config::resolve(
            |name| map.get(name).map(|v| v.to_string()),
            workspace.map(PathBuf::from),
            user_cache.map(PathBuf::from),
        )
    }

    #[test]
    fn a_binary_in_its_workspace_reads_it_in_place() {
        let config = placed(&[], Some("/src/gorepro"), Some("/home/u/.cache")).unwrap();
        assert_eq!(config.sources, Sources::Workspace);
        assert_eq!(config.samples_dir(), Path::new("/src/gorepro/go-samples"));
        assert_eq!(config.cache_dir, Path::new("/src/gorepro/target/gorepro"));
    }

    #[test]
    fn an_installed_binary_uses_its_embedded_tree_in_the_user_cache() {
        let config = placed(&[], None, Some("/home/u/.cache")).unwrap();
        assert_eq!(config.sources, Sources::Embedded);
        assert_eq!(config.cache_dir, Path::new("/home/u/.cache/gorepro"));
        assert_eq!(
            config.root,
            Path::new("/home/u/.cache/gorepro/sources").join(crate::sources::digest())
        );
        assert_eq!(
            config.go_cache(),
            Path::new("/home/u/.cache/gorepro/go-build")
        );
        // GOREPRO_CACHE_DIR moves the cache and the tree with it.
        let config = placed(&[("GOREPRO_CACHE_DIR", "/scratch/g")], None, None).unwrap();
        assert_eq!(config.sources, Sources::Embedded);
        assert!(config.root.starts_with("/scratch/g/sources"));
        // A relative one is taken from the current directory.
        let config = placed(&[("GOREPRO_CACHE_DIR", "rel")], None, None).unwrap();
        assert_eq!(
            config.cache_dir,
            std::env::current_dir().unwrap().join("rel")
        );
        // Without either, there is nowhere to write: a clear error, not a guess.
        let error = placed(&[], None, None).unwrap_err();
        assert!(
            error.to_string().contains("set GOREPRO_CACHE_DIR"),
            "{error}"
        );
    }

    #[test]
    fn gorepro_root_names_a_checkout_for_any_binary() {
        let config = placed(&[("GOREPRO_ROOT", "/co")], None, Some("/home/u/.cache")).unwrap();
        assert_eq!(config.sources, Sources::Workspace);
        assert_eq!(config.root, Path::new("/co"));
        assert_eq!(config.cache_dir, Path::new("/co/target/gorepro"));
        let config = placed(
            &[("GOREPRO_ROOT", "/co"), ("GOREPRO_CACHE_DIR", "/c")],
            Some("/src/gorepro"),
            None,
        )
        .unwrap();
        assert_eq!(
            (config.root.as_path(), config.cache_dir.as_path()),
            (Path::new("/co"), Path::new("/c"))
        );
    }

    #[test]
    fn the_test_binary_runs_from_its_workspace() {
        let exe = std::env::current_exe().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert_eq!(home_workspace(Some(&exe)).as_deref(), Some(root));
        // A binary elsewhere is not the workspace's; a symlink to one inside it is.
        let elsewhere = tempfile::tempdir().unwrap();
        let copy = elsewhere.path().join("gorepro");
        std::fs::write(&copy, "").unwrap();
        assert_eq!(home_workspace(Some(&copy)), None);
        let link = elsewhere.path().join("linked");
        std::os::unix::fs::symlink(&exe, &link).unwrap();
        assert_eq!(home_workspace(Some(&link)).as_deref(), Some(root));
        assert_eq!(home_workspace(None), None);
    }

    #[test]
    fn the_instance_overlay_is_on_unless_turned_off() {
        assert!(config(&[]).unwrap().instances);
        assert!(config(&[("GOREPRO_INSTANCES", "on")]).unwrap().instances);
        assert!(!config(&[("GOREPRO_INSTANCES", "off")]).unwrap().instances);
        assert_eq!(
            config(&[("GOREPRO_INSTANCES", "no")])
                .unwrap_err()
                .to_string(),
            "GOREPRO_INSTANCES=\"no\" is not valid: expected on or off"
        );
    }
}
