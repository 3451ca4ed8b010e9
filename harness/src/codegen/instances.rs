//! Instance evidence: which channel, mutex, WaitGroup or Cond each blocked goroutine waits on,
//! and which goroutine holds each lock, read by the support package at the verdict
//! (`instances.json`, see [`crate::evidence::instances`]).
//!
//! Nothing in the toolchain's tree is written. Every program build lays eight files over it
//! with `-overlay`:
//!
//! - `runtime/gorepro_instances.go` (added): the lock-holder registry, a stop-the-world
//!   snapshot of what every goroutine is parked on, the trace event of a context cancel, a way
//!   to start a goroutine the runtime counts as its own (the supervisor of a test binary, which
//!   the tests then do not see) and an exit hook;
//! - `runtime/gorepro_lockorder.go` (added): the lock order of the run (which lock each
//!   goroutine held when it acquired another), for predicted lock-order inversions;
//! - `sync/gorepro_instances.go` (added): new `Lock`/`Unlock`/`RLock`/... that report to the
//!   registry, then call the originals;
//! - `sync/mutex.go` and `sync/rwmutex.go`: the toolchain's own files with their exported
//!   locking methods renamed (`Lock` -> `goreproLock`, ...), so the added file's methods take
//!   their place;
//! - `runtime/proc.go`: `os_beforeExit` (what `os.Exit` calls first) calls the exit hook;
//! - `context/gorepro_instances.go` (added) and `context/context.go` (its `cancelCtx.cancel`
//!   renamed `goreproCancel`): a cancel that tells the trace (`gorepro.context` / `cancel`)
//!   before it cancels, so that a cancel nobody waits on still leaves evidence.
//!
//! The four added files are committed Go (`go-samples/support/_goroot/`, a directory the go
//! command skips, so gofmt sees them and no build does) and compiled into the harness. The
//! renames are exact-count text edits of the toolchain's files: a Go whose sync package
//! changed shape is a [`CodegenError::Anchor`] naming the text that moved, never a silently
//! different program. The support package reads the snapshot only when built with [`TAG`];
//! without it (an exported module under plain `go run`) a stub writes nothing.

use std::path::{Path, PathBuf};

use super::{CodegenError, Program};

/// The build tag that compiles the support package's snapshot (`instances_on.go`), which
/// links only against the overlaid runtime.
pub const TAG: &str = "gorepro_instances";

const RUNTIME_FILE: &str =
    include_str!("../../embed/go-samples/support/_goroot/runtime/gorepro_instances.go");
const LOCK_ORDER_FILE: &str =
    include_str!("../../embed/go-samples/support/_goroot/runtime/gorepro_lockorder.go");
const SYNC_FILE: &str =
    include_str!("../../embed/go-samples/support/_goroot/sync/gorepro_instances.go");
const CONTEXT_FILE: &str =
    include_str!("../../embed/go-samples/support/_goroot/context/gorepro_instances.go");

/// One text edit: `anchor` must occur exactly `count` times, and every occurrence becomes
/// `replacement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    pub anchor: &'static str,
    pub replacement: &'static str,
    pub count: usize,
}

const fn edit(anchor: &'static str, replacement: &'static str, count: usize) -> Edit {
    Edit {
        anchor,
        replacement,
        count,
    }
}

/// `sync/mutex.go`: the exported methods step aside for the recording ones. Their declarations
/// are the anchors because Go 1 compatibility freezes them.
pub const MUTEX_EDITS: &[Edit] = &[
    edit(
        "func (m *Mutex) Lock() {",
        "func (m *Mutex) goreproLock() {",
        1,
    ),
    edit(
        "func (m *Mutex) TryLock() bool {",
        "func (m *Mutex) goreproTryLock() bool {",
        1,
    ),
    edit(
        "func (m *Mutex) Unlock() {",
        "func (m *Mutex) goreproUnlock() {",
        1,
    ),
];

/// `sync/rwmutex.go`: the same for the six locking methods, and RWMutex's own use of its
/// writer Mutex `w` goes straight to the internal mutex, so that a write lock is recorded
/// once, as the RWMutex's.
pub const RWMUTEX_EDITS: &[Edit] = &[
    edit(
        "func (rw *RWMutex) RLock() {",
        "func (rw *RWMutex) goreproRLock() {",
        1,
    ),
    edit(
        "func (rw *RWMutex) TryRLock() bool {",
        "func (rw *RWMutex) goreproTryRLock() bool {",
        1,
    ),
    edit(
        "func (rw *RWMutex) RUnlock() {",
        "func (rw *RWMutex) goreproRUnlock() {",
        1,
    ),
    edit(
        "func (rw *RWMutex) Lock() {",
        "func (rw *RWMutex) goreproLock() {",
        1,
    ),
    edit(
        "func (rw *RWMutex) TryLock() bool {",
        "func (rw *RWMutex) goreproTryLock() bool {",
        1,
    ),
    edit(
        "func (rw *RWMutex) Unlock() {",
        "func (rw *RWMutex) goreproUnlock() {",
        1,
    ),
    edit("rw.w.Lock()", "rw.w.mu.Lock()", 1),
    edit("rw.w.TryLock()", "rw.w.mu.TryLock()", 1),
    edit("rw.w.Unlock()", "rw.w.mu.Unlock()", 2),
];

/// `runtime/proc.go`: `os.Exit` calls the exit hook of the added runtime file first, so the
/// supervisor of a test binary can keep a root goroutine that exits (`goleak.VerifyTestMain`).
/// The call goes on the declaration's own line: the runtime's line numbers stay the same.
pub const PROC_EDITS: &[Edit] = &[edit(
    "func os_beforeExit(exitCode int) {",
    "func os_beforeExit(exitCode int) { goreproBeforeExit(exitCode);",
    1,
)];

/// `context/context.go`: every cancel of a `cancelCtx` (a `timerCtx` and an `afterFuncCtx`
/// cancel through theirs) goes through the added file's `cancel`.
pub const CONTEXT_EDITS: &[Edit] = &[edit(
    "func (c *cancelCtx) cancel(removeFromParent bool, err, cause error) {",
    "func (c *cancelCtx) goreproCancel(removeFromParent bool, err, cause error) {",
    1,
)];

/// `original` (the file at `path`) with `edits` applied in order; the first anchor whose count
/// differs is the error.
pub fn patch(path: &Path, original: &str, edits: &[Edit]) -> Result<String, CodegenError> {
    let mut text = original.to_string();
    for e in edits {
        let found = text.matches(e.anchor).count();
        if found != e.count {
            return Err(CodegenError::Anchor {
                path: path.to_path_buf(),
                anchor: e.anchor,
                expected: e.count,
                found,
            });
        }
        text = text.replace(e.anchor, e.replacement);
    }
    Ok(text)
}

/// The eight overlay entries (target in `goroot`, contents) for this toolchain.
pub fn overlay(goroot: &Path) -> Result<Vec<(PathBuf, String)>, CodegenError> {
    let src = goroot.join("src");
    let patched = |name: &str, edits: &[Edit]| {
        let path = src.join(name);
        let original = std::fs::read_to_string(&path).map_err(|source| CodegenError::Read {
            path: path.clone(),
            source,
        })?;
        let text = patch(&path, &original, edits)?;
        Ok::<_, CodegenError>((path, text))
    };
    Ok(vec![
        (
            src.join("runtime/gorepro_instances.go"),
            RUNTIME_FILE.to_string(),
        ),
        (
            src.join("runtime/gorepro_lockorder.go"),
            LOCK_ORDER_FILE.to_string(),
        ),
        (src.join("sync/gorepro_instances.go"), SYNC_FILE.to_string()),
        patched("sync/mutex.go", MUTEX_EDITS)?,
        patched("sync/rwmutex.go", RWMUTEX_EDITS)?,
        patched("runtime/proc.go", PROC_EDITS)?,
        (
            src.join("context/gorepro_instances.go"),
            CONTEXT_FILE.to_string(),
        ),
        patched("context/context.go", CONTEXT_EDITS)?,
    ])
}

impl Program {
    /// Lays the instance-evidence overlay of the toolchain at `goroot` over this program and
    /// selects the support package's snapshot with [`TAG`].
    pub fn add_instances(&mut self, goroot: &Path) -> Result<(), CodegenError> {
        self.overlay.extend(overlay(goroot)?);
        self.tags.push(TAG.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The declarations and inner calls the edits anchor on, as Go 1.26 and 1.27 have them
    /// (the test on a real toolchain is every catalog build).
    const RWMUTEX: &str = "package sync\n\n\
        func (rw *RWMutex) RLock() {\n}\n\
        func (rw *RWMutex) TryRLock() bool {\n}\n\
        func (rw *RWMutex) RUnlock() {\n}\n\
        func (rw *RWMutex) Lock() {\n\trw.w.Lock()\n}\n\
        func (rw *RWMutex) TryLock() bool {\n\tif !rw.w.TryLock() {\n\t}\n\trw.w.Unlock()\n}\n\
        func (rw *RWMutex) Unlock() {\n\trw.w.Unlock()\n}\n\
        func (r *rlocker) Lock() { (*RWMutex)(r).RLock() }\n";

    #[test]
    fn every_anchor_is_renamed_and_nothing_else_changes() {
        let patched = patch(Path::new("rwmutex.go"), RWMUTEX, RWMUTEX_EDITS).unwrap();
        for name in ["RLock", "TryRLock", "RUnlock", "Lock", "TryLock", "Unlock"] {
            assert!(
                patched.contains(&format!("func (rw *RWMutex) gorepro{name}(")),
                "{name}: {patched}"
            );
            assert!(
                !patched.contains(&format!("func (rw *RWMutex) {name}(")),
                "{name}: {patched}"
            );
        }
        assert_eq!(patched.matches("rw.w.mu.").count(), 4);
        assert!(!patched.contains("rw.w.Lock") && !patched.contains("rw.w.Unlock"));
        // The RLocker adapter still calls the exported (now recording) method.
        assert!(patched.ends_with("func (r *rlocker) Lock() { (*RWMutex)(r).RLock() }\n"));
        // Undoing the edits gives the original back.
        let mut undone = patched;
        for e in RWMUTEX_EDITS.iter().rev() {
            undone = undone.replace(e.replacement, e.anchor);
        }
        assert_eq!(undone, RWMUTEX);
    }

    #[test]
    fn a_moved_anchor_is_an_error_that_names_it() {
        let missing = RWMUTEX.replace(
            "func (rw *RWMutex) RUnlock() {",
            "func (rw *RWMutex) RUnlock(x int) {",
        );
        let err = patch(
            Path::new("/go/src/sync/rwmutex.go"),
            &missing,
            RWMUTEX_EDITS,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                CodegenError::Anchor {
                    anchor: "func (rw *RWMutex) RUnlock() {",
                    expected: 1,
                    found: 0,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "/go/src/sync/rwmutex.go: gorepro's toolchain overlay needs exactly 1 of \
             `func (rw *RWMutex) RUnlock() {` in it, and this Go has 0 (the file changed \
             shape); gorepro needs an update for this Go version"
        );
        // One more inner use of the writer mutex than expected is as wrong as one fewer.
        let extra = RWMUTEX.replace("rw.w.Lock()\n", "rw.w.Lock()\n\trw.w.Unlock()\n");
        let err = patch(Path::new("rwmutex.go"), &extra, RWMUTEX_EDITS).unwrap_err();
        assert!(
            matches!(
                err,
                CodegenError::Anchor {
                    anchor: "rw.w.Unlock()",
                    expected: 2,
                    found: 3,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn the_mutex_methods_are_renamed_once_each() {
        let mutex = "func (m *Mutex) Lock() {\n}\nfunc (m *Mutex) TryLock() bool {\n}\n\
                     func (m *Mutex) Unlock() {\n}\n";
        assert_eq!(
            patch(Path::new("mutex.go"), mutex, MUTEX_EDITS).unwrap(),
            "func (m *Mutex) goreproLock() {\n}\nfunc (m *Mutex) goreproTryLock() bool {\n}\n\
             func (m *Mutex) goreproUnlock() {\n}\n"
        );
        let twice = format!("{mutex}func (m *Mutex) Unlock() {{\n}}\n");
        assert!(matches!(
            patch(Path::new("mutex.go"), &twice, MUTEX_EDITS),
            Err(CodegenError::Anchor {
                anchor: "func (m *Mutex) Unlock() {",
                found: 2,
                ..
            })
        ));
    }

    #[test]
    fn the_context_cancel_is_renamed_and_replaced() {
        let context = "func (c *cancelCtx) cancel(removeFromParent bool, err, cause error) {\n}\n\
                       func (c *timerCtx) cancel(removeFromParent bool, err, cause error) {\n}\n";
        let patched = patch(Path::new("context.go"), context, CONTEXT_EDITS).unwrap();
        assert!(patched.starts_with("func (c *cancelCtx) goreproCancel("));
        // timerCtx keeps its own cancel, which calls the embedded cancelCtx's.
        assert!(patched.contains("func (c *timerCtx) cancel("));
        assert_eq!(
            CONTEXT_FILE
                .matches(&format!("{}\n", CONTEXT_EDITS[0].anchor))
                .count(),
            1
        );
        assert_eq!(
            CONTEXT_FILE
                .matches("c.goreproCancel(removeFromParent, err, cause)")
                .count(),
            1
        );
    }

    /// The added sync file declares every method the edits rename away, and calls the renamed
    /// one from it.
    #[test]
    fn the_added_sync_file_replaces_every_renamed_method() {
        let renames: Vec<_> = MUTEX_EDITS
            .iter()
            .chain(RWMUTEX_EDITS)
            .filter(|e| e.anchor.starts_with("func "))
            .collect();
        assert_eq!(renames.len(), 9);
        for e in renames {
            assert_eq!(
                SYNC_FILE.matches(&format!("{}\n", e.anchor)).count(),
                1,
                "{}",
                e.anchor
            );
            // "func (m *Mutex) goreproLock() {" -> "m.goreproLock()"
            let (receiver, method) = e.replacement["func (".len()..].split_once(' ').unwrap();
            let (_, method) = method.split_once(") ").unwrap();
            let call = format!("{receiver}.{}()", method.split_once('(').unwrap().0);
            assert_eq!(SYNC_FILE.matches(&call).count(), 1, "{call}");
        }
    }
}
