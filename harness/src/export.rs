//! Exporting a scenario as a standalone Go module a student can `go run` anywhere: the buggy
//! and fixed programs side by side, with the support package vendored into the module (the
//! programs use its gates to force the interleaving), and no dependency on the harness.

use std::path::{Path, PathBuf};

use crate::codegen;
use crate::scenario::{Scenario, Variant};

/// The support package's import path inside `go-samples/`.
const SUPPORT_IMPORT: &str = "\"gorepro.dev/samples/support\"";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{} exists and is not empty; export into a new or empty directory", path.display())]
    NotEmpty { path: PathBuf },
    #[error(
        "{id} holds a goroutine inside package sync (gorepro builds it with a hooked copy of the \
         toolchain's sync/waitgroup.go), which a standalone module cannot carry; run it with \
         `gorepro run {id}`"
    )]
    NeedsSyncHook { id: String },
    #[error("cannot write the export at {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `dest/{go.mod,README.md,buggy/,fixed/,support/}`; returns the files written.
pub fn export(
    scenario: &Scenario,
    samples_dir: &Path,
    dest: &Path,
) -> Result<Vec<PathBuf>, ExportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { path, source }
    };
    if scenario.sync_hook {
        return Err(ExportError::NeedsSyncHook {
            id: scenario.id.clone(),
        });
    }
    if dest
        .read_dir()
        .is_ok_and(|mut entries| entries.next().is_some())
    {
        return Err(ExportError::NotEmpty {
            path: dest.to_path_buf(),
        });
    }
    let module = scenario
        .package
        .rsplit('/')
        .next()
        .unwrap_or(&scenario.id)
        .to_string();
    let support_import = format!("\"{module}/support\"");
    let mut written = Vec::new();
    let mut write = |path: PathBuf, text: &str| -> Result<(), ExportError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, text).map_err(io(&path))?;
        written.push(path);
        Ok(())
    };

    write(
        dest.join("go.mod"),
        &format!("module {module}\n\ngo 1.26\n"),
    )?;
    let params = scenario
        .params::<&str>(&[])
        .unwrap_or_else(|_| crate::scenario::Params(Default::default()));
    for variant in Variant::ALL {
        let program = codegen::render(scenario, variant, &params, samples_dir.to_path_buf());
        let sources = program
            .sources()
            .map_err(io(&samples_dir.join(&scenario.package)))?;
        for (name, text) in sources {
            let text = without_build_constraint(&text).replace(SUPPORT_IMPORT, &support_import);
            write(dest.join(variant.as_str()).join(name), &text)?;
        }
    }
    let support_dir = samples_dir.join("support");
    let mut support_files: Vec<PathBuf> = std::fs::read_dir(&support_dir)
        .map_err(io(&support_dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "go") && !p.to_string_lossy().ends_with("_test.go")
        })
        .collect();
    support_files.sort();
    for path in support_files {
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        write(
            dest.join("support")
                .join(path.file_name().unwrap_or_default()),
            &text,
        )?;
    }
    write(dest.join("README.md"), &readme(scenario))?;
    Ok(written)
}

/// The variant directories hold one variant each, so the `//go:build` line that selects it
/// in `go-samples/` would only hide the fixed program from `go run ./fixed`.
fn without_build_constraint(text: &str) -> String {
    let mut lines = text.lines().peekable();
    let mut out = String::new();
    while let Some(line) = lines.next() {
        if line.starts_with("//go:build ") {
            if lines.peek().is_some_and(|next| next.is_empty()) {
                lines.next();
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn readme(scenario: &Scenario) -> String {
    // The settings the harness gives the run, spelled as a shell prefix and go run flags.
    let mut prefix = String::from("GOTRACEBACK=all ");
    if let Some(godebug) = &scenario.godebug {
        prefix.push_str(&format!("GODEBUG={godebug} "));
    }
    let flags = if scenario.race {
        "CGO_ENABLED=1 go run -race"
    } else {
        "go run"
    };
    format!(
        "# {title}\n\nBug class `{class}` (exported from gorepro scenario `{id}`).\n\n{explanation}\n\n\
         ## Run it\n\n```sh\n{prefix}{flags} ./buggy   # reproduces the bug\n{prefix}{flags} ./fixed   # the fix: ends clean\n```\n\n\
         Each program runs under `support`, a small in-process supervisor: it prints\n\
         `gorepro: verdict=...` (deadlock, leak, clean) and exits 3 for a deadlock, 4 for a leak,\n\
         8 when the program's own invariant check failed (`gorepro: invariant violated ...`), 0\n\
         when clean; a panic or fatal error is the runtime's own, and a race report exits 66. Set\n\
         `GOREPRO_EVIDENCE_DIR=/some/dir` to also get the goroutine dump (`goroutines.txt`) and the\n\
         execution trace (`trace.out`, open it with `go tool trace`). On Go 1.26, build with\n\
         `GOEXPERIMENT=goroutineleakprofile` to get the goroutine-leak profile's proof.\n\n\
         ## The fix\n\n{fix}\n",
        title = scenario.title,
        class = scenario.class,
        id = scenario.id,
        explanation = scenario.explanation,
        fix = scenario.fix,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_constraint_and_its_blank_line_go() {
        assert_eq!(
            without_build_constraint("//go:build fixed\n\npackage main\n"),
            "package main\n"
        );
        assert_eq!(without_build_constraint("package main\n"), "package main\n");
    }
}
