//! The Go sources and the catalog that travel inside the binary, for a `gorepro` installed
//! with `cargo install` and run far from any checkout.
//!
//! `build.rs` embeds the supervisor's module (`go-samples/`: `go.mod`, `support/`, `tools/`,
//! the scenario and fuzz packages), the specs (`scenarios/`) and the reviewed snapshots
//! (`snapshots/`, for `gorepro explain`). [`materialize`] writes them out once, laid out as in
//! the workspace, under `<cache>/sources/<digest>`: the directory is named after its content,
//! so binaries built from different sources never share one, and it is written in a scratch
//! directory beside it and renamed into place, so another `gorepro` starting at the same
//! moment sees either nothing or the whole tree. Nothing there is written afterwards.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every embedded file: its path relative to the root (`go-samples/support/supervisor.go`) and
/// its bytes, sorted by path.
static FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The embedded tree could not be written under the cache directory.
#[derive(Debug, thiserror::Error)]
#[error("cannot write gorepro's Go sources into {}", path.display())]
pub struct SourcesError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The embedded files, sorted by path.
pub fn files() -> &'static [(&'static str, &'static [u8])] {
    FILES
}

/// The first 16 hex digits of the BLAKE3 hash of every path and content: the name of the
/// directory the tree is written to.
pub fn digest() -> &'static str {
    static DIGEST: OnceLock<String> = OnceLock::new();
    DIGEST.get_or_init(|| {
        let mut hasher = blake3::Hasher::new();
        for (path, bytes) in FILES {
            // Lengths first, so no two different trees hash the same byte stream.
            hasher.update(&(path.len() as u64).to_le_bytes());
            hasher.update(path.as_bytes());
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        }
        hasher.finalize().to_hex()[..16].to_string()
    })
}

/// Where [`materialize`] puts the tree under `cache_dir`.
pub fn root_in(cache_dir: &Path) -> PathBuf {
    cache_dir.join("sources").join(digest())
}

/// Writes the embedded tree to [`root_in`]`(cache_dir)` unless it is there, and returns that
/// directory.
pub fn materialize(cache_dir: &Path) -> Result<PathBuf, SourcesError> {
    let root = root_in(cache_dir);
    if root.is_dir() {
        return Ok(root);
    }
    let parent = root.parent().expect("root_in has a parent");
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SourcesError { path, source }
    };
    std::fs::create_dir_all(parent).map_err(error(parent))?;
    let scratch = tempfile::Builder::new()
        .prefix(".writing-")
        .tempdir_in(parent)
        .map_err(error(parent))?;
    for (path, bytes) in FILES {
        let file = scratch.path().join(path);
        let dir = file.parent().expect("an embedded file is inside the root");
        std::fs::create_dir_all(dir).map_err(error(dir))?;
        std::fs::write(&file, bytes).map_err(error(&file))?;
    }
    match std::fs::rename(scratch.path(), &root) {
        Ok(()) => {
            // Renamed away: nothing is left for the guard to remove.
            let _ = scratch.keep();
            Ok(root)
        }
        // Another process renamed its complete copy into place first; ours is dropped.
        Err(_) if root.is_dir() => Ok(root),
        Err(source) => Err(SourcesError { path: root, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_holds_what_diagnose_and_the_catalog_need() {
        let paths: Vec<&str> = files().iter().map(|(path, _)| *path).collect();
        for needed in [
            "go-samples/go.mod",
            "go-samples/support/supervisor.go",
            "go-samples/support/synchook/synchook.go",
            "go-samples/support/_goroot/runtime/gorepro_instances.go",
            "go-samples/tools/perturb/main.go",
            "go-samples/tools/tracereader/main.go",
            "go-samples/fuzz/batch/main.go",
            "scenarios/chan-send-abandoned.toml",
            "go-samples/scenarios/chan_send_abandoned/buggy.go",
            "snapshots/chan-send-abandoned__buggy.snap",
        ] {
            assert!(paths.contains(&needed), "{needed} is not embedded");
        }
        assert!(paths.is_sorted());
        // Workspace material that an installed binary has no use for stays out.
        assert!(!paths.iter().any(|p| p.starts_with("go-samples/corpus/")
            || p.starts_with("go-samples/realworld/")
            || p.ends_with(".snap.new")));
    }

    #[test]
    fn materialized_tree_is_the_embedded_one() {
        let cache = tempfile::tempdir().unwrap();
        let root = materialize(cache.path()).unwrap();
        assert_eq!(root, cache.path().join("sources").join(digest()));
        for (path, bytes) in files() {
            assert_eq!(std::fs::read(root.join(path)).unwrap(), *bytes, "{path}");
        }
        // No scratch directory is left beside it.
        let entries: Vec<_> = std::fs::read_dir(root.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, [std::ffi::OsString::from(digest())]);
    }

    #[test]
    fn concurrent_writers_leave_one_whole_tree() {
        let cache = tempfile::tempdir().unwrap();
        let roots: Vec<PathBuf> = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| materialize(cache.path()).unwrap()))
                .collect();
            writers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert!(roots.iter().all(|r| *r == roots[0]));
        for (path, bytes) in files() {
            assert_eq!(
                std::fs::read(roots[0].join(path)).unwrap(),
                *bytes,
                "{path}"
            );
        }
        let left = std::fs::read_dir(cache.path().join("sources"))
            .unwrap()
            .count();
        assert_eq!(left, 1, "scratch directories were left behind");
    }

    #[test]
    fn an_unwritable_cache_is_an_error_naming_it() {
        let cache = tempfile::tempdir().unwrap();
        let blocked = cache.path().join("file");
        std::fs::write(&blocked, "not a directory").unwrap();
        let error = materialize(&blocked).unwrap_err();
        assert!(error.path.starts_with(&blocked), "{error:?}");
        assert!(
            error
                .to_string()
                .contains("cannot write gorepro's Go sources")
        );
    }
}
