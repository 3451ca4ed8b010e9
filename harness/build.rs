//! Embeds the Go sources and the catalog an installed `gorepro` needs (see `src/sources.rs`).
//!
//! Writes `$OUT_DIR/embedded.rs`: a sorted array of (path, bytes) with one `include_bytes!` per
//! file, read through `embed/` (symlinks to the workspace's `go-samples/`, `scenarios/` and
//! `snapshots/`, which `cargo package` copies as real files, so the packaged crate carries them
//! too). A build script rather than a `include_dir!`-style macro: it tells cargo to rerun when a
//! file is added to one of the directories (a macro on stable Rust only sees the files that
//! existed when it last ran), and it embeds only the kinds of file the harness reads, so an
//! insta `.snap.new` or an editor's scratch file never travels.
//!
//! The roots and extensions must match `include` in Cargo.toml; `harness/tests/integration/
//! install.rs` checks that `cargo package --list` holds exactly these files.

use std::path::{Path, PathBuf};

/// (directory under `embed/`, extensions of the files taken from it, recursively).
const ROOTS: &[(&str, &[&str])] = &[
    ("go-samples/support", &["go"]),
    ("go-samples/tools", &["go"]),
    ("go-samples/scenarios", &["go"]),
    ("go-samples/fuzz", &["go"]),
    ("scenarios", &["toml"]),
    ("snapshots", &["snap"]),
];

/// Single files under `embed/`.
const FILES: &[&str] = &["go-samples/go.mod"];

fn main() {
    let embed = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("embed");
    let mut files: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    for (root, extensions) in ROOTS {
        let dir = embed.join(root);
        // A directory: cargo reruns the script when anything under it changes or appears.
        println!("cargo::rerun-if-changed={}", dir.display());
        walk(&embed, &dir, extensions, &mut files);
    }
    for file in FILES {
        println!("cargo::rerun-if-changed={}", embed.join(file).display());
    }
    files.sort();
    let mut out = String::from("&[\n");
    for file in &files {
        let path = embed.join(file);
        assert!(path.is_file(), "embedded file missing: {}", path.display());
        out.push_str(&format!(
            "    ({file:?}, include_bytes!({:?}).as_slice()),\n",
            path.display().to_string()
        ));
    }
    out.push_str("]\n");
    let target = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(&target, out).unwrap();
}

/// Adds the files under `dir` with one of `extensions` to `files`, as paths relative to
/// `embed` with `/` separators. Hidden entries are skipped.
fn walk(embed: &Path, dir: &Path, extensions: &[&str], files: &mut Vec<String>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(embed, &path, extensions, files);
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
            let relative = path.strip_prefix(embed).unwrap();
            let parts: Vec<_> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push(parts.join("/"));
        }
    }
}
