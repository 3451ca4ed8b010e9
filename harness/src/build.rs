//! Building a rendered program into a cached binary.
//!
//! Builds are content-addressed: the key hashes the Go version, the build settings and every
//! Go source and module file of `go-samples/` with the overlay applied. An unchanged program is
//! found in the cache without running `go` at all. A build goes to a fresh temp dir and is
//! renamed into place, so concurrent builds of the same key never see a half-written binary.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::codegen::Program;
use crate::toolchain::Toolchain;

/// A built program, ready to run.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub binary: PathBuf,
    /// The content hash the binary is stored under.
    pub key: String,
    /// Whether the binary came from the cache.
    pub cached: bool,
    pub build_time: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The program does not compile; `output` is what `go build` printed.
    #[error("{package} ({variant}) does not compile:\n{output}")]
    Compile {
        package: String,
        variant: String,
        output: String,
    },
    #[error("could not run `go build`")]
    Spawn(#[source] std::io::Error),
    #[error("build cache {}", path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The flags every build uses; part of the cache key. `-ldflags=-w` leaves out the DWARF
/// tables, which nothing here reads (tracebacks, the race detector and the profiles use the
/// runtime's own tables): a fifth to a quarter less link time (100 ms of a 400 ms batch build).
const BUILD_FLAGS: &[&str] = &["build", "-trimpath", "-buildvcs=false", "-ldflags=-w"];
/// The same for a test binary.
const TEST_BUILD_FLAGS: &[&str] = &["test", "-c", "-trimpath", "-buildvcs=false", "-ldflags=-w"];

impl Program {
    fn build_flags(&self) -> &'static [&'static str] {
        if self.test_binary {
            TEST_BUILD_FLAGS
        } else {
            BUILD_FLAGS
        }
    }
}

/// Builds `program` (or finds it in `cache_dir/bin`).
pub fn build(
    toolchain: &Toolchain,
    program: &Program,
    cache_dir: &Path,
) -> Result<Artifact, BuildError> {
    let started = Instant::now();
    let cache_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Cache { path, source }
    };
    let key = cache_key(toolchain, program).map_err(cache_err(&program.module_dir))?;
    let final_dir = cache_dir.join("bin").join(&key);
    let binary = final_dir.join("program");
    if binary.is_file() {
        return Ok(Artifact {
            binary,
            key,
            cached: true,
            build_time: started.elapsed(),
        });
    }

    let tmp_root = cache_dir.join("tmp");
    std::fs::create_dir_all(&tmp_root).map_err(cache_err(&tmp_root))?;
    let work = tempfile::tempdir_in(&tmp_root).map_err(cache_err(&tmp_root))?;
    let out = work.path().join("program");
    let mut args: Vec<String> = program
        .build_flags()
        .iter()
        .map(|s| s.to_string())
        .collect();
    if program.race {
        args.push("-race".into());
    }
    args.extend(
        program
            .selection_flags(work.path())
            .map_err(cache_err(work.path()))?,
    );
    args.push("-o".into());
    args.push(out.display().to_string());
    args.extend(program.build_targets());
    // The race runtime is linked through cgo; everything else builds without it.
    let cgo: &[(&str, &str)] = if program.race {
        &[("CGO_ENABLED", "1")]
    } else {
        &[]
    };
    let output = toolchain
        .command_with(&program.module_dir, &args, cgo)
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()
        .map_err(BuildError::Spawn)?;
    if !output.status.success() {
        return Err(BuildError::Compile {
            package: program.package.trim_start_matches("./").to_string(),
            variant: program.variant.to_string(),
            output: String::from_utf8_lossy(&output.stdout)
                .trim_end()
                .to_string(),
        });
    }

    std::fs::create_dir_all(&final_dir).map_err(cache_err(&final_dir))?;
    // Another build of the same key may have won the race; both binaries are identical.
    if let Err(source) = std::fs::rename(&out, &binary)
        && !binary.is_file()
    {
        return Err(BuildError::Cache {
            path: binary,
            source,
        });
    }
    Ok(Artifact {
        binary,
        key,
        cached: false,
        build_time: started.elapsed(),
    })
}

/// Hash of everything that affects the binary.
fn cache_key(toolchain: &Toolchain, program: &Program) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    let mut field = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(toolchain.version.to_string().as_bytes());
    field(toolchain.go.as_os_str().as_encoded_bytes());
    // What the go command reads: its own variables and cgo's (a user's build may use cgo).
    for (name, value) in toolchain.env() {
        if name.to_str().is_some_and(|n| {
            (n.starts_with("GO") || n.starts_with("CGO_") || ["CC", "CXX", "AR"].contains(&n))
                && n != "GOCACHE"
                && !n.starts_with("GOREPRO_")
        }) {
            field(name.as_encoded_bytes());
            field(value.as_encoded_bytes());
        }
    }
    for flag in program.build_flags() {
        field(flag.as_bytes());
    }
    for target in program.build_targets() {
        field(target.as_bytes());
    }
    field(program.tags.join(",").as_bytes());
    field(program.flags.join(" ").as_bytes());
    field(&[u8::from(program.race)]);
    let mut files = Vec::new();
    collect_module_files(&program.module_dir, &mut files)?;
    for dir in &program.extra_inputs {
        collect_module_files(dir, &mut files)?;
    }
    files.sort();
    // Files the overlay adds (rather than replaces) count too.
    for (target, contents) in &program.overlay {
        if !files.contains(target) {
            field(target.as_os_str().as_encoded_bytes());
            field(contents.as_bytes());
        }
    }
    for path in files {
        let overlaid = program.overlay.iter().find(|(target, _)| *target == path);
        field(
            path.strip_prefix(&program.module_dir)
                .unwrap_or(&path)
                .as_os_str()
                .as_encoded_bytes(),
        );
        match overlaid {
            Some((_, contents)) => field(contents.as_bytes()),
            None => field(&std::fs::read(&path)?),
        }
    }
    Ok(hasher.finalize().to_hex()[..32].to_string())
}

/// Every `.go`, `go.mod` and `go.sum` file of the module, skipping hidden dirs and testdata.
fn collect_module_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            if !name.starts_with('.') && name != "testdata" {
                collect_module_files(&path, files)?;
            }
        } else if name.ends_with(".go") || name == "go.mod" || name == "go.sum" {
            files.push(path);
        }
    }
    Ok(())
}
