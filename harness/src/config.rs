//! Harness settings. Every knob has a default and one `GOREPRO_*` environment variable that
//! overrides it; a value that does not parse is rejected loudly rather than ignored.

use std::path::PathBuf;
use std::time::Duration;

/// Settings shared by every stage. Build with [`Config::from_env`] or [`Config::default`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The `go` binary. Default: `go` on `PATH`. Env: `GOREPRO_GO`.
    pub go: Option<PathBuf>,
    /// The project root holding `scenarios/` and `go-samples/`. Default: the repository this
    /// crate was built from. Env: `GOREPRO_ROOT`.
    pub root: PathBuf,
    /// Built programs, Go's build cache and run scratch dirs. Default: `<root>/target/gorepro`.
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

/// A `GOREPRO_*` variable holds a value the harness cannot use.
#[derive(Debug, thiserror::Error)]
#[error("{var}={value:?} is not valid: expected {expected}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl Default for Config {
    fn default() -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the harness crate lives inside the project root")
            .to_path_buf();
        Config {
            go: None,
            cache_dir: root.join("target").join("gorepro"),
            go_cache_dir: None,
            root,
            supervisor_deadline: Duration::from_secs(10),
            settle_unproven: Duration::from_millis(1000),
            backstop_after: Duration::from_secs(5),
            quit_grace: Duration::from_secs(1),
            output_cap: 4 << 20,
            trace: TraceMode::Stream,
            trace_window_mb: 32,
            instances: true,
        }
    }
}

impl Config {
    /// Defaults overridden by whichever `GOREPRO_*` variables are set.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup` (tests use a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(go) = lookup("GOREPRO_GO").filter(|v| !v.is_empty()) {
            config.go = Some(PathBuf::from(go));
        }
        if let Some(root) = lookup("GOREPRO_ROOT").filter(|v| !v.is_empty()) {
            config.root = PathBuf::from(root);
            config.cache_dir = config.root.join("target").join("gorepro");
        }
        if let Some(dir) = lookup("GOREPRO_CACHE_DIR").filter(|v| !v.is_empty()) {
            config.cache_dir = PathBuf::from(dir);
        }
        if let Some(dir) = lookup("GOREPRO_GOCACHE").filter(|v| !v.is_empty()) {
            config.go_cache_dir = Some(PathBuf::from(dir));
        }
        let millis = |var: &'static str, slot: &mut Duration| -> Result<(), ConfigError> {
            if let Some(value) = lookup(var) {
                let ms: u64 = value.trim().parse().map_err(|_| ConfigError {
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
            config.output_cap =
                value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n > 0)
                    .ok_or(ConfigError {
                        var: "GOREPRO_OUTPUT_CAP",
                        value,
                        expected: "a positive number of bytes",
                    })?;
        }
        if let Some(value) = lookup("GOREPRO_TRACE_WINDOW_MB") {
            config.trace_window_mb = value
                .trim()
                .parse()
                .ok()
                .filter(|n: &u32| (1..=1 << 20).contains(n))
                .ok_or(ConfigError {
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
                    return Err(ConfigError {
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
                    return Err(ConfigError {
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
