//! Static evidence: `go vet` on the program as it is built (same tags, same overlay), beside
//! the runtime's evidence. Some bugs are visible to vet before anything runs (`copylocks`,
//! `lostcancel`, `waitgroup`); the report shows vet's findings next to what the runtime said.
//! The output is cached next to the binary, under the same content key.

use std::path::Path;

use crate::build::Artifact;
use crate::codegen::Program;
use crate::toolchain::Toolchain;

/// One vet finding, in the program's own source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Module-relative file.
    pub file: String,
    pub line: u32,
    pub message: String,
}

const VET_FILE: &str = "vet.txt";

/// vet's output for the program: from the cache, else by running `go vet` once. A vet that
/// cannot run is not a harness error: its output (whatever it said) is kept and parsed, and
/// lines that are not findings are ignored.
pub fn vet(
    toolchain: &Toolchain,
    program: &Program,
    artifact: &Artifact,
    scratch_root: &Path,
) -> String {
    let cached = artifact.binary.with_file_name(VET_FILE);
    if let Ok(text) = std::fs::read_to_string(&cached) {
        return text;
    }
    match run_vet(toolchain, program, scratch_root) {
        Ok(text) => {
            // A concurrent run of the same key writes the same text.
            let _ = std::fs::write(&cached, &text);
            text
        }
        // Not cached: the next run tries again.
        Err(why) => format!("go vet could not run: {why}"),
    }
}

fn run_vet(
    toolchain: &Toolchain,
    program: &Program,
    scratch_root: &Path,
) -> std::io::Result<String> {
    std::fs::create_dir_all(scratch_root)?;
    let work = tempfile::tempdir_in(scratch_root)?;
    let mut args = vec!["vet".to_string()];
    args.extend(program.selection_flags(work.path())?);
    args.push(program.package.clone());
    let output = toolchain
        .command(&program.module_dir, &args)
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The findings in vet's output: `path/file.go:LINE:COL: message` lines.
pub fn parse(output: &str) -> Vec<Finding> {
    output
        .lines()
        .filter_map(|line| {
            let (location, message) = line.split_once(": ")?;
            let mut parts = location.rsplitn(3, ':');
            let _column: u32 = parts.next()?.parse().ok()?;
            let line_number: u32 = parts.next()?.parse().ok()?;
            let file = parts.next()?.trim_start_matches("./");
            file.ends_with(".go").then(|| Finding {
                file: crate::classify::world::module_relative(file),
                line: line_number,
                message: message
                    .trim()
                    .replace(crate::classify::world::SAMPLES_MODULE, ""),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_read_and_other_lines_ignored() {
        let output = "# gorepro.dev/samples/scenarios/p\n\
                      scenarios/p/main.go:10:12: get passes lock by value: gorepro.dev/samples/scenarios/p.counter contains sync.Mutex\n\
                      ./scenarios/p/buggy.go:33:7: the cancel function returned by context.WithTimeout should be called, not discarded, to avoid a context leak\n\
                      go: warning: nothing to see\n";
        assert_eq!(
            parse(output),
            vec![
                Finding {
                    file: "scenarios/p/main.go".into(),
                    line: 10,
                    message: "get passes lock by value: scenarios/p.counter contains sync.Mutex".into(),
                },
                Finding {
                    file: "scenarios/p/buggy.go".into(),
                    line: 33,
                    message: "the cancel function returned by context.WithTimeout should be called, not discarded, to avoid a context leak".into(),
                },
            ]
        );
        assert!(parse("").is_empty());
        assert!(parse("garbage: x\n:::\n").is_empty());
    }
}
