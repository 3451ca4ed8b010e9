//! Finding `go`, reading its version, and giving every `go` invocation the same controlled
//! environment, so a build or a run depends on the scenario and not on the caller's shell.
//! `gorepro diagnose` builds the user's code in the user's own environment instead
//! ([`Toolchain::for_user`]), with only the settings gorepro must make.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::Config;

/// The oldest Go the harness supports: the goroutine-leak profile and the `/sched/goroutines`
/// metrics first appear in 1.26, and the wait-reason strings the classifier keys on are the
/// 1.24+ ones.
pub const MIN_GO: GoVersion = GoVersion {
    major: 1,
    minor: 26,
    patch: 0,
};

/// A released Go version, as printed by `go version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl GoVersion {
    /// Reads `go version go1.26.8 linux/amd64` (also `go1.27rc1`, `go1.26`).
    pub fn parse_version_output(output: &str) -> Option<GoVersion> {
        let word = output
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("go"))
            .find(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))?;
        let digits_prefix = |s: &str| -> Option<u32> {
            let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            s[..end].parse().ok()
        };
        let mut parts = word.splitn(3, '.');
        let major = digits_prefix(parts.next()?)?;
        let minor = digits_prefix(parts.next()?)?;
        let patch = parts.next().and_then(digits_prefix).unwrap_or(0);
        Some(GoVersion {
            major,
            minor,
            patch,
        })
    }

    /// On 1.26 the goroutine-leak profile exists only when the program is built with this
    /// experiment; 1.27 has it built in and rejects the experiment's name.
    pub fn leak_profile_experiment(&self) -> Option<&'static str> {
        (self.major == 1 && self.minor == 26).then_some("goroutineleakprofile")
    }
}

/// The harness cannot use the Go toolchain it was pointed at.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    #[error(
        "no `go` found ({searched}); install Go 1.26 or newer, or set GOREPRO_GO to its `go` binary"
    )]
    NotFound { searched: String },
    #[error("could not run `{go} version`")]
    Spawn {
        go: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{go} version` printed {output:?}, which is not a Go version")]
    Unreadable { go: PathBuf, output: String },
    #[error("{go} is {found}, but gorepro needs Go 1.26 or newer (set GOREPRO_GO to a newer `go`)")]
    TooOld { go: PathBuf, found: GoVersion },
    #[error(
        "could not build the trace reader (go-samples/tools/tracereader as cmd/goreprotrace) for {version}: {output}"
    )]
    TraceTool { version: GoVersion, output: String },
    #[error(
        "could not build the source rewriter (go-samples/tools/perturb) for {version}: {output}"
    )]
    PerturbTool { version: GoVersion, output: String },
    #[error("`go env GOROOT` failed for {version}: {output}")]
    Goroot { version: GoVersion, output: String },
}

/// One build of the trace reader at a time: parallel runs would all build it at once.
static TRACE_TOOL_BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// The same for the source rewriter.
static PERTURB_TOOL_BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A usable `go` plus the environment every invocation of it gets.
#[derive(Debug, Clone)]
pub struct Toolchain {
    pub go: PathBuf,
    pub version: GoVersion,
    /// Go's build cache, shared by all builds (Go keeps it safe for concurrent use).
    gocache: PathBuf,
    /// `GOREPRO_GOCACHE`, when set: it also replaces the user's cache for their builds.
    explicit_gocache: Option<PathBuf>,
    /// `go env GOROOT`, asked once.
    goroot: std::sync::OnceLock<PathBuf>,
    /// Set by [`Toolchain::for_user`]: the environment [`Toolchain::env`] starts from.
    user_env: Option<UserEnv>,
}

/// The user's environment; its `Debug` names no values (they may hold secrets).
#[derive(Clone)]
struct UserEnv(Vec<(OsString, OsString)>);

impl fmt::Debug for UserEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserEnv({} variables)", self.0.len())
    }
}

impl Toolchain {
    /// Finds `go` (`GOREPRO_GO`, else `PATH`) and checks its version.
    pub fn discover(config: &Config) -> Result<Toolchain, ToolchainError> {
        let go = match &config.go {
            Some(path) => path.clone(),
            None => find_on_path("go").ok_or_else(|| ToolchainError::NotFound {
                searched: "GOREPRO_GO is unset and PATH has no `go`".into(),
            })?,
        };
        if !go.is_file() {
            return Err(ToolchainError::NotFound {
                searched: format!("{} does not exist", go.display()),
            });
        }
        let gocache = config.go_cache();
        let probe = Toolchain {
            go: go.clone(),
            version: MIN_GO,
            gocache,
            explicit_gocache: config.go_cache_dir.clone(),
            goroot: std::sync::OnceLock::new(),
            user_env: None,
        };
        // The version decides GOEXPERIMENT, so ask without one.
        let probe_env = probe.env().into_iter().map(|(k, v)| {
            if k == "GOEXPERIMENT" {
                (k, OsString::new())
            } else {
                (k, v)
            }
        });
        let output = duct::cmd(&go, ["version"])
            .full_env(probe_env)
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run()
            .map_err(|source| ToolchainError::Spawn {
                go: go.clone(),
                source,
            })?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        let version =
            GoVersion::parse_version_output(&text).ok_or_else(|| ToolchainError::Unreadable {
                go: go.clone(),
                output: text,
            })?;
        if version < MIN_GO {
            return Err(ToolchainError::TooOld { go, found: version });
        }
        Ok(Toolchain { version, ..probe })
    }

    /// This toolchain as `gorepro diagnose` uses it on the user's code: [`Toolchain::env`] is
    /// `user` (the user's environment) with only what gorepro must set for a build.
    pub fn for_user(&self, user: Vec<(OsString, OsString)>) -> Toolchain {
        Toolchain {
            user_env: Some(UserEnv(user)),
            ..self.clone()
        }
    }

    /// The complete environment of every `go` invocation and of every built program's parent
    /// side. For the catalog and gorepro's own tools the caller's environment is not inherited,
    /// only `PATH`, `HOME` and `TMPDIR` are: `GOTOOLCHAIN=local` stops `go` from downloading
    /// another toolchain, `GOENV=off` ignores the user's `go env -w` settings,
    /// `GOFLAGS`/`GODEBUG` are cleared, `CGO_ENABLED=0` keeps the runtime's own deadlock
    /// detector alive, and `GOPROXY=off` keeps builds offline. For the user's code
    /// ([`Toolchain::for_user`]), see [`user_build_env`].
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        if let Some(UserEnv(user)) = &self.user_env {
            return user_build_env(
                user,
                self.explicit_gocache.as_deref(),
                self.version.leak_profile_experiment(),
            );
        }
        let mut env: Vec<(OsString, OsString)> = ["PATH", "HOME", "TMPDIR", "GOPATH", "GOMODCACHE"]
            .into_iter()
            .filter_map(|name| std::env::var_os(name).map(|value| (name.into(), value)))
            .collect();
        let fixed = [
            ("GOTOOLCHAIN", "local"),
            ("GOENV", "off"),
            ("GOWORK", "off"),
            ("GOFLAGS", ""),
            ("GO111MODULE", "on"),
            ("GOPROXY", "off"),
            ("CGO_ENABLED", "0"),
            ("LANG", "C"),
            ("LC_ALL", "C"),
        ];
        env.extend(fixed.into_iter().map(|(k, v)| (k.into(), v.into())));
        env.push(("GOCACHE".into(), self.gocache.clone().into_os_string()));
        env.push((
            "GOEXPERIMENT".into(),
            self.version.leak_profile_experiment().unwrap_or("").into(),
        ));
        env
    }

    /// `go <args>` with the controlled environment, run in `dir`.
    pub fn command<I, S>(&self, dir: &Path, args: I) -> duct::Expression
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.tool_command(&self.go, dir, args)
    }

    /// `go <args>` with the controlled environment and some of its variables replaced
    /// (`CGO_ENABLED=1` for a race build).
    pub fn command_with<I, S>(
        &self,
        dir: &Path,
        args: I,
        overrides: &[(&str, &str)],
    ) -> duct::Expression
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut env = self.env();
        for (name, value) in overrides {
            env.retain(|(k, _)| k != name);
            env.push(((*name).into(), (*value).into()));
        }
        duct::cmd(&self.go, args).dir(dir).full_env(env)
    }

    /// Any toolchain binary (the trace reader) with the controlled environment.
    pub fn tool_command<I, S>(&self, program: &Path, dir: &Path, args: I) -> duct::Expression
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        duct::cmd(program, args).dir(dir).full_env(self.env())
    }
}

impl Toolchain {
    /// The toolchain's own source tree (`go env GOROOT`), asked once per toolchain.
    pub fn goroot(&self) -> Result<PathBuf, ToolchainError> {
        if let Some(goroot) = self.goroot.get() {
            return Ok(goroot.clone());
        }
        let failed = |output: String| ToolchainError::Goroot {
            version: self.version,
            output,
        };
        let output = self
            .command(Path::new("."), ["env", "GOROOT"])
            .stdout_capture()
            .stderr_to_stdout()
            .unchecked()
            .run()
            .map_err(|e| failed(e.to_string()))?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !output.status.success() || text.is_empty() {
            return Err(failed(text));
        }
        Ok(self.goroot.get_or_init(|| PathBuf::from(text)).clone())
    }

    /// Where the tool built from `source` lives: `cache_dir/tools/<version>/<name>-<hash>`, the
    /// hash of the source, so an edited tool is rebuilt. Errors name the source.
    fn tool_path(&self, cache_dir: &Path, name: &str, source: &Path) -> Result<PathBuf, String> {
        let text = std::fs::read(source).map_err(|e| format!("{}: {e}", source.display()))?;
        let hash = blake3::hash(&text).to_hex()[..16].to_string();
        Ok(cache_dir
            .join("tools")
            .join(self.version.to_string())
            .join(format!("{name}-{hash}")))
    }

    /// gorepro's trace reader (`go-samples/tools/tracereader`), built once per Go version and
    /// source into `cache_dir/tools/<version>/tracereader-<hash>`. It is built as the package
    /// `cmd/goreprotrace` of the toolchain's own tree, laid in with `-overlay` (nothing in
    /// GOROOT is written), because only that tree may import the toolchain's trace parser,
    /// `internal/trace`, the one that always reads what this Go version writes. Building it
    /// explicitly keeps its first-time cost out of every run's trace-reading deadline.
    pub fn trace_tool(
        &self,
        cache_dir: &Path,
        samples_dir: &Path,
    ) -> Result<PathBuf, ToolchainError> {
        let failed = |output: String| ToolchainError::TraceTool {
            version: self.version,
            output,
        };
        let source = samples_dir
            .join("tools")
            .join("tracereader")
            .join("main.go");
        let tool = self
            .tool_path(cache_dir, "tracereader", &source)
            .map_err(failed)?;
        if tool.is_file() {
            return Ok(tool);
        }
        let dir = tool.parent().unwrap_or(cache_dir);
        std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
        let goroot = self.goroot().map_err(|e| failed(e.to_string()))?;
        let overlay = serde_json::json!({
            "Replace": {
                goroot.join("src/cmd/goreprotrace/main.go").display().to_string(): source.canonicalize()
                    .map_err(|e| failed(format!("{}: {e}", source.display())))?,
            }
        });
        let overlay_file = tool.with_extension("overlay.json");
        // Renamed into place: a build running in another thread may be reading it.
        let mut scratch =
            tempfile::NamedTempFile::new_in(dir).map_err(|e| failed(e.to_string()))?;
        std::io::Write::write_all(&mut scratch, overlay.to_string().as_bytes())
            .map_err(|e| failed(e.to_string()))?;
        scratch
            .persist(&overlay_file)
            .map_err(|e| failed(e.to_string()))?;
        let overlay_arg = format!("-overlay={}", overlay_file.display());
        self.build_tool_once(
            &TRACE_TOOL_BUILD,
            &tool,
            None,
            &["-tags=goreprotrace", &overlay_arg, "cmd/goreprotrace"],
        )
        .map_err(failed)
    }

    /// The source rewriter of `gorepro diagnose` (`go-samples/tools/perturb`), built once per
    /// Go version and source into `cache_dir/tools/<version>/perturb-<hash>`, like the trace
    /// reader: never `go run`.
    pub fn perturb_tool(
        &self,
        cache_dir: &Path,
        samples_dir: &Path,
    ) -> Result<PathBuf, ToolchainError> {
        let failed = |output: String| ToolchainError::PerturbTool {
            version: self.version,
            output,
        };
        let source = samples_dir.join("tools").join("perturb").join("main.go");
        let tool = self
            .tool_path(cache_dir, "perturb", &source)
            .map_err(failed)?;
        self.build_tool_once(
            &PERTURB_TOOL_BUILD,
            &tool,
            Some(samples_dir),
            &["-trimpath", "./tools/perturb"],
        )
        .map_err(failed)
    }

    /// Builds a Go tool into `tool` unless it is there: one build at a time per tool, in a
    /// scratch dir beside it, renamed into place. `module_dir` is where `go build` runs (the
    /// scratch dir if none); `args` follow `go build -o <out>`. Errors are the build's words.
    fn build_tool_once(
        &self,
        lock: &std::sync::Mutex<()>,
        tool: &Path,
        module_dir: Option<&Path>,
        args: &[&str],
    ) -> Result<PathBuf, String> {
        if tool.is_file() {
            return Ok(tool.to_path_buf());
        }
        let _building = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if tool.is_file() {
            return Ok(tool.to_path_buf());
        }
        let dir = tool.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let scratch = tempfile::tempdir_in(dir).map_err(|e| e.to_string())?;
        let out = scratch.path().join("tool");
        let mut command: Vec<OsString> = vec!["build".into(), "-o".into(), out.clone().into()];
        command.extend(args.iter().map(OsString::from));
        let output = self
            .command(module_dir.unwrap_or(scratch.path()), command)
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stdout).trim().to_string());
        }
        std::fs::rename(&out, tool).map_err(|e| e.to_string())?;
        Ok(tool.to_path_buf())
    }
}

/// The user's environment as their code's `go` commands see it, with what gorepro must set
/// (each in the README, with its reason):
/// - `GOTOOLCHAIN=local`: the `go` gorepro checked and knows the output of, not a toolchain a
///   `go.mod` line would download;
/// - `GOWORK=off` and `GO111MODULE=on`: the supervisor's module is added through the module's
///   own `go.mod` (laid over it), which a workspace or GOPATH mode would not read;
/// - `GOEXPERIMENT`: on Go 1.26, `goroutineleakprofile` added to the user's experiments, for the
///   goroutine-leak profile;
/// - `GOCACHE`: only when `GOREPRO_GOCACHE` is set (`gocache`); otherwise the user's own cache.
///
/// Everything else is the user's: `GOFLAGS`, `GOPROXY`, `GOPRIVATE`, `GOENV` (their `go env -w`
/// settings), `CGO_ENABLED` and the C compiler.
pub fn user_build_env(
    user: &[(OsString, OsString)],
    gocache: Option<&Path>,
    experiment: Option<&str>,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = user.to_vec();
    let mut set = |name: &str, value: OsString| {
        env.retain(|(k, _)| k != name);
        env.push((name.into(), value));
    };
    set("GOTOOLCHAIN", "local".into());
    set("GOWORK", "off".into());
    set("GO111MODULE", "on".into());
    if let Some(experiment) = experiment {
        let theirs = user
            .iter()
            .find(|(k, _)| k == "GOEXPERIMENT")
            .map(|(_, v)| v.to_string_lossy().into_owned())
            .filter(|v| !v.is_empty());
        let experiments = match theirs {
            Some(theirs) if theirs.split(',').any(|e| e == experiment) => theirs,
            Some(theirs) => format!("{theirs},{experiment}"),
            None => experiment.to_string(),
        };
        set("GOEXPERIMENT", experiments.into());
    }
    if let Some(gocache) = gocache {
        set("GOCACHE", gocache.into());
    }
    env
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_version_lines() {
        let v = |s| GoVersion::parse_version_output(s);
        assert_eq!(
            v("go version go1.26.8 linux/amd64"),
            Some(GoVersion {
                major: 1,
                minor: 26,
                patch: 8
            })
        );
        assert_eq!(
            v("go version go1.27rc1 linux/amd64"),
            Some(GoVersion {
                major: 1,
                minor: 27,
                patch: 0
            })
        );
        assert_eq!(
            v("go version go1.26 linux/amd64"),
            Some(GoVersion {
                major: 1,
                minor: 26,
                patch: 0
            })
        );
        assert_eq!(v("bash: go: command not found"), None);
        assert_eq!(v(""), None);
    }

    #[test]
    fn the_user_environment_keeps_their_settings_and_gains_only_gorepros() {
        let user: Vec<(OsString, OsString)> = [
            ("PATH", "/bin"),
            ("GOFLAGS", "-mod=vendor"),
            ("GOPROXY", "https://proxy.example"),
            ("GOTOOLCHAIN", "auto"),
            ("GOEXPERIMENT", "jsonv2"),
            ("SHOP_REGION", "eu"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
        let env = |gocache, experiment| {
            let mut env: Vec<(String, String)> = user_build_env(&user, gocache, experiment)
                .into_iter()
                .map(|(k, v)| (k.into_string().unwrap(), v.into_string().unwrap()))
                .collect();
            env.sort();
            env
        };
        let pairs = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            env(None, Some("goroutineleakprofile")),
            pairs(&[
                ("GO111MODULE", "on"),
                ("GOEXPERIMENT", "jsonv2,goroutineleakprofile"),
                ("GOFLAGS", "-mod=vendor"),
                ("GOPROXY", "https://proxy.example"),
                ("GOTOOLCHAIN", "local"),
                ("GOWORK", "off"),
                ("PATH", "/bin"),
                ("SHOP_REGION", "eu"),
            ])
        );
        let on_1_27 = env(Some(Path::new("/cache")), None);
        assert!(on_1_27.contains(&("GOEXPERIMENT".into(), "jsonv2".into())));
        assert!(on_1_27.contains(&("GOCACHE".into(), "/cache".into())));
    }

    #[test]
    fn only_1_26_needs_the_leak_profile_experiment() {
        let v = |minor| GoVersion {
            major: 1,
            minor,
            patch: 0,
        };
        assert_eq!(
            v(26).leak_profile_experiment(),
            Some("goroutineleakprofile")
        );
        assert_eq!(v(27).leak_profile_experiment(), None);
        assert!(v(25) < MIN_GO);
        // The error messages spell the minimum out.
        assert_eq!(MIN_GO, v(26));
    }
}
