//! Running a built program under supervision, treating it as hazardous material.
//!
//! The program runs in its own process group with a controlled environment. Both pipes are
//! drained on threads (a full pipe never stalls the child) and capped (the head is kept, the
//! rest counted). The in-process supervisor normally ends the run itself; the harness keeps an
//! external deadline as a backstop: SIGQUIT (the Go runtime answers with a goroutine dump),
//! a short grace, then SIGKILL to the whole group. The group is killed after every run, so
//! children the program spawned do not outlive it.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use wait_timeout::ChildExt;

use crate::config::Config;

/// How to run one program.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub binary: PathBuf,
    /// Where the supervisor writes `verdict.json`, `goroutines.txt` and `trace.out`. Wiped at
    /// the start of the run, so a failed run leaves its files for inspection.
    pub evidence_dir: PathBuf,
    pub gomaxprocs: u32,
    /// The environment the program starts from (the toolchain's controlled one).
    pub base_env: Vec<(OsString, OsString)>,
    /// Arguments of the program (a fuzz batch binary takes the name of the program to run).
    pub args: Vec<String>,
    /// Extra settings for the program, set last: the scenario's `GODEBUG`, supervisor
    /// settings such as `GOREPRO_TRACE=off` (the evidence reader copes with the missing trace).
    pub env: Vec<(String, String)>,
}

/// What a run produced, before any interpretation.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub exit: Exit,
    pub stdout: Captured,
    pub stderr: Captured,
    /// Set when the external deadline fired.
    pub backstop: Option<Backstop>,
    pub wall: Duration,
    pub evidence_dir: PathBuf,
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "value")]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

/// The backstop had to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Backstop {
    /// SIGQUIT did not end the program within the grace, so the group was killed.
    pub killed: bool,
}

/// A capped capture of one output stream.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// The first `cap` bytes, decoded lossily.
    pub text: String,
    /// Everything the stream carried, including what was dropped.
    pub total_bytes: u64,
}

impl Captured {
    pub fn truncated(&self) -> bool {
        self.total_bytes > self.text.len() as u64
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start {}", binary.display())]
    Spawn {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not prepare the evidence dir {}", path.display())]
    EvidenceDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("waiting for {} failed", binary.display())]
    Wait {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Runs the program to completion (or to the backstop) and returns what it did.
pub fn run(request: &RunRequest, config: &Config) -> Result<RunOutput, RunError> {
    let dir = &request.evidence_dir;
    let dir_err = |source| RunError::EvidenceDir {
        path: dir.clone(),
        source,
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(dir_err)?;
    }
    std::fs::create_dir_all(dir).map_err(dir_err)?;

    let mut command = Command::new(&request.binary);
    command
        .env_clear()
        .envs(request.base_env.iter().cloned())
        .envs(program_env(request, config))
        .envs(request.env.iter().cloned())
        .args(&request.args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let started = Instant::now();
    let mut child = command.spawn().map_err(|source| RunError::Spawn {
        binary: request.binary.clone(),
        source,
    })?;
    let pid = Pid::from_raw(child.id() as i32);
    let stdout = drain(child.stdout.take(), config.output_cap);
    let stderr = drain(child.stderr.take(), config.output_cap);

    let wait_err = |source| RunError::Wait {
        binary: request.binary.clone(),
        source,
    };
    let mut backstop = None;
    let status = match child
        .wait_timeout(config.hard_deadline())
        .map_err(wait_err)?
    {
        Some(status) => status,
        None => {
            // Ask the runtime for a goroutine dump, then insist.
            let _ = kill(pid, Signal::SIGQUIT);
            match child.wait_timeout(config.quit_grace).map_err(wait_err)? {
                Some(status) => {
                    backstop = Some(Backstop { killed: false });
                    status
                }
                None => {
                    let _ = killpg(pid, Signal::SIGKILL);
                    backstop = Some(Backstop { killed: true });
                    child.wait().map_err(wait_err)?
                }
            }
        }
    };
    // Whatever the program started in its group dies with it.
    let _ = killpg(pid, Signal::SIGKILL);
    let wall = started.elapsed();
    let exit = match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(signal)) => Exit::Signal(signal),
        (None, None) => Exit::Code(-1),
    };
    // A pipe can only stay open past the group kill if a descendant left the group
    // (setsid); don't wait for it forever.
    let collect = |rx: mpsc::Receiver<Captured>| {
        rx.recv_timeout(config.quit_grace)
            .unwrap_or_else(|_| Captured {
                text: "[gorepro: output pipe held open by a process that left the group]".into(),
                total_bytes: 0,
            })
    };
    let (stdout, stderr) = (collect(stdout), collect(stderr));
    // Kept beside the supervisor's files so a failed run can be inspected as a whole.
    for (name, captured) in [("stdout.txt", &stdout), ("stderr.txt", &stderr)] {
        std::fs::write(dir.join(name), &captured.text).map_err(dir_err)?;
    }
    Ok(RunOutput {
        exit,
        stdout,
        stderr,
        backstop,
        wall,
        evidence_dir: dir.clone(),
    })
}

/// The variables the program and its supervisor read.
fn program_env(request: &RunRequest, config: &Config) -> Vec<(&'static str, OsString)> {
    vec![
        ("GOTRACEBACK", "all".into()),
        // A -race program otherwise sleeps a second at exit; no effect on other builds. Added
        // to the user's own race options, if any.
        ("GORACE", gorace(&request.base_env)),
        ("GOMAXPROCS", request.gomaxprocs.to_string().into()),
        (
            "GOREPRO_EVIDENCE_DIR",
            request.evidence_dir.clone().into_os_string(),
        ),
        (
            "GOREPRO_DEADLINE_MS",
            config.supervisor_deadline.as_millis().to_string().into(),
        ),
        (
            "GOREPRO_SETTLE_UNPROVEN_MS",
            config.settle_unproven.as_millis().to_string().into(),
        ),
        ("GOREPRO_TRACE", config.trace.as_str().into()),
        (
            "GOREPRO_TRACE_WINDOW_MB",
            config.trace_window_mb.to_string().into(),
        ),
    ]
}

/// `GORACE` with the exit sleep switched off, keeping the options `base` already has.
fn gorace(base: &[(OsString, OsString)]) -> OsString {
    let mut value = OsString::new();
    if let Some((_, theirs)) = base.iter().find(|(k, _)| k == "GORACE")
        && !theirs.is_empty()
    {
        value.push(theirs);
        value.push(" ");
    }
    value.push("atexit_sleep_ms=0");
    value
}

/// Reads a stream to its end on a thread, keeping the first `cap` bytes.
fn drain<R: Read + Send + 'static>(stream: Option<R>, cap: usize) -> mpsc::Receiver<Captured> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0u64;
        if let Some(mut stream) = stream {
            let mut buf = [0u8; 64 * 1024];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        total += n as u64;
                        let room = cap.saturating_sub(kept.len());
                        kept.extend_from_slice(&buf[..n.min(room)]);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        let _ = tx.send(Captured {
            text: String::from_utf8_lossy(&kept).into_owned(),
            total_bytes: total,
        });
    });
    rx
}

/// Whether a process with this id still exists (tests use it to prove nothing is left).
pub fn process_alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok() && !is_zombie(Path::new(&format!("/proc/{pid}/stat")))
}

fn is_zombie(stat: &Path) -> bool {
    std::fs::read_to_string(stat)
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .map(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_race_options_are_kept() {
        let base = |value: &str| vec![("GORACE".into(), value.into())];
        assert_eq!(gorace(&[]), "atexit_sleep_ms=0");
        assert_eq!(gorace(&base("")), "atexit_sleep_ms=0");
        assert_eq!(
            gorace(&base("halt_on_error=1")),
            "halt_on_error=1 atexit_sleep_ms=0"
        );
    }
}
