//! SIGINT and SIGTERM while `gorepro diagnose` runs: stop starting runs, end every process the
//! harness started, report the runs that finished, exit 130 or 143.
//!
//! [`install`] hands both signals to a thread (signal-hook's iterator), so what follows a
//! signal runs as ordinary code, not in signal context. The first signal is recorded
//! ([`received`]) for the stages to see between steps; from then on, until gorepro exits, the
//! thread ends every process below gorepro every few milliseconds: the running program and
//! the process group it leads, the trace reader, a `go build` or `go vet` with the compilers
//! it started, and anything a stage starts before it has seen the signal. Going by descent
//! (parent links in `/proc`) rather than by a list of what was started means no place that
//! spawns a process can forget to register it. A second signal ends gorepro at once.
//!
//! Without [`install`] (the library, the other commands) nothing changes: [`received`] stays
//! `None` and the signals keep their default action.

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The first signal received, 0 before one.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// How often processes are ended after the signal: a process started after one sweep lives at
/// most this long.
const SWEEP_EVERY: Duration = Duration::from_millis(10);

/// Handles SIGINT and SIGTERM from now on, for the rest of the process.
pub fn install() -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("gorepro-signals".into())
        .spawn(move || {
            let Some(first) = signals.forever().next() else {
                return;
            };
            RECEIVED.store(first, Ordering::SeqCst);
            crate::report::print_stopping(
                Signal::try_from(first).map_or("a signal", Signal::as_str),
            );
            loop {
                end_descendants();
                if let Some(second) = signals.pending().next() {
                    end_descendants();
                    std::process::exit(exit_status(second).into());
                }
                std::thread::sleep(SWEEP_EVERY);
            }
        })?;
    Ok(())
}

/// The signal that asked gorepro to stop, if one did.
pub fn received() -> Option<Signal> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Signal::try_from(signal).ok(),
    }
}

/// The conventional status of a process ended by `signal`: 128 + its number (130 for SIGINT,
/// 143 for SIGTERM).
pub fn exit_status(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

/// One line of the process table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessEntry {
    pub pid: i32,
    pub parent: i32,
    pub group: i32,
}

/// Every process in `/proc` (one that exits while it is read is left out).
pub fn process_table() -> Vec<ProcessEntry> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: i32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            parse_stat(pid, &stat)
        })
        .collect()
}

/// `pid (comm) state ppid pgrp ...`; the command name may hold spaces and parentheses, so
/// the fields are read after its last `)`.
fn parse_stat(pid: i32, stat: &str) -> Option<ProcessEntry> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(1);
    Some(ProcessEntry {
        pid,
        parent: fields.next()?.parse().ok()?,
        group: fields.next()?.parse().ok()?,
    })
}

/// The processes below `root` in `table`: its children, theirs, and so on.
pub fn descendants(table: &[ProcessEntry], root: i32) -> Vec<ProcessEntry> {
    let mut found = Vec::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for entry in table.iter().filter(|e| e.parent == parent) {
            found.push(*entry);
            parents.push(entry.pid);
        }
    }
    found
}

/// Kills every process below gorepro, and every process group one of them leads (a program
/// runs in a group of its own; what it started stays in the group even when orphaned).
/// gorepro's own group is never signalled: a process below gorepro that is still in it leads
/// no group.
fn end_descendants() {
    let table = process_table();
    for entry in descendants(&table, std::process::id() as i32) {
        let pid = Pid::from_raw(entry.pid);
        if entry.group == entry.pid {
            let _ = killpg(pid, Signal::SIGKILL);
        }
        let _ = kill(pid, Signal::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names() {
        assert_eq!(
            parse_stat(42, "42 (a (b) c) S 7 42 42 0 -1 4194560 0"),
            Some(ProcessEntry {
                pid: 42,
                parent: 7,
                group: 42
            })
        );
        assert_eq!(parse_stat(42, "42 (truncated"), None);
    }

    #[test]
    fn descendants_follow_parent_links() {
        let entry = |pid, parent| ProcessEntry {
            pid,
            parent,
            group: pid,
        };
        let table = [
            entry(1, 0),
            entry(10, 1),
            entry(11, 10),
            entry(12, 11),
            entry(13, 10),
            entry(20, 1),
        ];
        let mut below: Vec<i32> = descendants(&table, 10).iter().map(|e| e.pid).collect();
        below.sort();
        assert_eq!(below, vec![11, 12, 13]);
        assert!(descendants(&table, 12).is_empty());
    }

    #[test]
    fn a_child_is_found_in_the_live_process_table() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let below = descendants(&process_table(), std::process::id() as i32);
        let _ = child.kill();
        let _ = child.wait();
        let entry = below.iter().find(|e| e.pid == pid);
        assert!(entry.is_some(), "{pid} not among {below:?}");
    }

    #[test]
    fn conventional_exit_statuses() {
        assert_eq!(exit_status(SIGINT), 130);
        assert_eq!(exit_status(SIGTERM), 143);
    }
}
