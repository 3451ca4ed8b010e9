//! The trace reader process: `go-samples/tools/tracereader`, built from the toolchain's own
//! trace parser ([`Toolchain::trace_tool`]), kept running and asked for one trace at a time.
//! It prints only the events gorepro reads, each stack once, and streams its answer in
//! chunks that are parsed as they arrive ([`TraceParser`]), so memory is bounded by the
//! parser's window, not by the size of the trace or of its text.
//!
//! Starting a Go process per trace (`go tool trace -d=parsed`) cost 4 to 9 ms a run, more than
//! everything else the evidence stage does (parsing the text and classifying take about
//! 0.4 ms), so one reader serves every run of a harness: a scenario's trace takes it 1 to 2 ms.
//! A reader that stops answering within the deadline is killed and the next trace starts a new
//! one; the reader exits by itself when the harness goes away (its stdin closes), and is killed
//! and reaped when the harness drops it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use super::trace::{MAX_LOGS, MAX_TRANSITIONS, Trace, TraceParser};
use crate::toolchain::Toolchain;

/// The longest the reader may take to convert one trace.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Traces larger than this are not converted. The supervisor keeps its trace within a window
/// (`GOREPRO_TRACE_WINDOW_MB`, 32 MiB by default), so only a trace from elsewhere gets here.
const MAX_TRACE_BYTES: u64 = 1 << 30;
/// The reader sends chunks of about 64 KiB: an answer claiming more is garbled.
const MAX_CHUNK_BYTES: usize = 16 << 20;

/// Converts traces with one long-lived reader process, started on first use.
pub struct TraceReader {
    toolchain: Toolchain,
    cache_dir: PathBuf,
    samples_dir: PathBuf,
    session: Mutex<Option<Session>>,
}

impl std::fmt::Debug for TraceReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceReader")
            .field("cache_dir", &self.cache_dir)
            .finish_non_exhaustive()
    }
}

impl TraceReader {
    pub fn new(toolchain: Toolchain, cache_dir: &Path, samples_dir: &Path) -> TraceReader {
        TraceReader {
            toolchain,
            cache_dir: cache_dir.to_path_buf(),
            samples_dir: samples_dir.to_path_buf(),
            session: Mutex::new(None),
        }
    }

    /// The goroutine transitions and user logs of the trace at `path`, except the transitions
    /// of the `omitted` goroutines (the supervisor's), or why there are none. A trace damaged
    /// part way (a crash cut it) keeps the events before the damage, and says where it stopped.
    pub fn read(&self, path: &Path, omitted: &[u64]) -> Result<ReadTrace, String> {
        let size = std::fs::metadata(path)
            .map_err(|_| "the run left no trace.out".to_string())?
            .len();
        if size == 0 {
            return Err("trace.out is empty".into());
        }
        if size > MAX_TRACE_BYTES {
            return Err(format!(
                "trace.out is {size} bytes, over the {MAX_TRACE_BYTES}-byte limit"
            ));
        }
        let path = std::path::absolute(path).map_err(|e| e.to_string())?;
        let mut slot = self
            .session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() {
            *slot = Some(self.start()?);
        }
        let Some(session) = slot.as_mut() else {
            unreachable!("the session was just started")
        };
        match session.convert(&path, omitted, READ_TIMEOUT) {
            Ok(reply) => reply.into_trace(),
            Err(failure) => {
                *slot = None; // kills it; the next trace gets a fresh reader
                Err(failure)
            }
        }
    }

    fn start(&self) -> Result<Session, String> {
        let tool = self
            .toolchain
            .trace_tool(&self.cache_dir, &self.samples_dir)
            .map_err(|e| e.to_string())?;
        let mut child = Command::new(&tool)
            .env_clear()
            .envs(self.toolchain.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not run the trace reader: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both pipes were requested")
        };
        Ok(Session {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
        })
    }
}

/// A running reader.
struct Session {
    child: Child,
    /// `None` only while dropping: closing it tells the reader to exit.
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

/// One answer: the events read, and the error that stopped the reader, if any.
struct Reply {
    trace: Trace,
    error: String,
}

/// A trace as read, and the error that stopped the reading part way, if one did.
#[derive(Debug)]
pub struct ReadTrace {
    pub trace: Trace,
    pub cut: Option<String>,
}

impl Reply {
    fn into_trace(self) -> Result<ReadTrace, String> {
        let error = self
            .error
            .lines()
            .next()
            .unwrap_or("no message")
            .to_string();
        // A trace cut short by a crash still converts up to the damage; keep that part.
        if self.error.is_empty() {
            Ok(ReadTrace {
                trace: self.trace,
                cut: None,
            })
        } else if !self.trace.transitions.is_empty() {
            Ok(ReadTrace {
                trace: self.trace,
                cut: Some(error),
            })
        } else {
            Err(format!(
                "the trace reader could not read the trace: {error}"
            ))
        }
    }
}

impl Session {
    /// Sends one path and reads the answer, killing the reader if it takes longer than
    /// `timeout` (the blocked read then fails).
    fn convert(
        &mut self,
        path: &Path,
        omitted: &[u64],
        timeout: Duration,
    ) -> Result<Reply, String> {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let (answered, watched) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            scope.spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = watched.recv_timeout(timeout) {
                    // Not reaped until the session drops, so the pid is still the reader's.
                    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                }
            });
            let reply = self.exchange(path, omitted);
            drop(answered);
            reply.map_err(|e| {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    format!("the trace reader stopped (more than {timeout:?}, or it crashed): {e}")
                } else {
                    format!("the trace reader failed: {e}")
                }
            })
        })
    }

    fn exchange(&mut self, path: &Path, omitted: &[u64]) -> std::io::Result<Reply> {
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
        let line = path
            .to_str()
            .filter(|p| !p.contains(['\n', '\t']))
            .ok_or_else(|| bad("the trace path is not UTF-8 without tabs and newlines"))?;
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| bad("the reader is closing"))?;
        let omitted: Vec<String> = omitted.iter().map(u64::to_string).collect();
        stdin.write_all(
            format!(
                "{line}\t{}\t{MAX_TRANSITIONS},{MAX_LOGS}\n",
                omitted.join(",")
            )
            .as_bytes(),
        )?;
        stdin.flush()?;
        let mut parser = TraceParser::default();
        // A line may be split between chunks: its start waits here for the rest.
        let mut partial: Vec<u8> = Vec::new();
        let mut chunk = Vec::new();
        loop {
            let mut header = String::new();
            self.stdout.read_line(&mut header)?;
            let unexpected = || bad(&format!("unexpected answer {header:?}"));
            let mut fields = header.split_whitespace();
            let kind = fields.next().ok_or_else(unexpected)?;
            let numbers = fields
                .map(|n| n.parse::<usize>().map_err(|_| unexpected()))
                .collect::<Result<Vec<_>, _>>()?;
            let size = *numbers
                .first()
                .filter(|size| **size <= MAX_CHUNK_BYTES)
                .ok_or_else(unexpected)?;
            chunk.resize(size, 0);
            self.stdout.read_exact(&mut chunk)?;
            match kind {
                "chunk" => {
                    partial.extend_from_slice(&chunk);
                    let complete = partial
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1);
                    for line in partial[..complete].split(|&b| b == b'\n') {
                        parser.line(&String::from_utf8_lossy(line));
                    }
                    partial.drain(..complete);
                }
                "end" => {
                    let [_, transitions, logs] = numbers[..] else {
                        return Err(unexpected());
                    };
                    parser.line(&String::from_utf8_lossy(&partial));
                    let mut trace = parser.finish();
                    // The reader's window left these out before the parser's could.
                    trace.dropped_transitions += transitions;
                    trace.dropped_logs += logs;
                    return Ok(Reply {
                        trace,
                        error: String::from_utf8_lossy(&chunk).into_owned(),
                    });
                }
                _ => return Err(unexpected()),
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
