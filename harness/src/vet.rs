//! Static evidence: `go vet` on the program as it is built (same tags, same overlay), beside
//! the runtime's evidence. Some bugs are visible to vet before anything runs (`copylocks`,
//! `lostcancel`, `waitgroup`); the report shows vet's findings next to what the runtime said.
//! vet runs with `-json`, so each finding names its analyzer; the output is cached next to the
//! binary, under the same content key.

use std::collections::BTreeMap;
use std::path::Path;

use crate::build::Artifact;
use crate::codegen::Program;
use crate::codegen::SAMPLES_MODULE_PATH;
use crate::toolchain::Toolchain;

/// One vet finding, in the program's own source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The analyzer that reported it (`copylocks`, `lostcancel`, `waitgroup`, ...).
    pub analyzer: String,
    /// Module-relative file.
    pub file: String,
    pub line: u32,
    pub message: String,
}

const VET_FILE: &str = "vet.json";

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
    let mut args = vec!["vet".to_string(), "-json".to_string()];
    args.extend(program.selection_flags(work.path())?);
    args.extend(program.build_targets());
    let output = toolchain
        .command(&program.module_dir, &args)
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The findings in `go vet -json` output: one JSON object per package, mapping analyzer
/// names to diagnostics whose `posn` is an absolute `file:line:col` under `module_dir`. Text
/// around the objects (`# package` headers, compile errors) is ignored.
pub fn parse(output: &str, module_dir: &Path) -> Vec<Finding> {
    #[derive(serde::Deserialize)]
    struct Diagnostic {
        posn: String,
        message: String,
    }
    type Package = BTreeMap<String, Vec<Diagnostic>>;
    let Some(start) = output.find('{') else {
        return Vec::new();
    };
    let packages = serde_json::Deserializer::from_str(&output[start..])
        .into_iter::<BTreeMap<String, Package>>()
        .map_while(Result::ok);
    // Type names in messages read as the report's functions do, relative to the samples module.
    let samples_prefix = format!("{SAMPLES_MODULE_PATH}/");
    let mut findings = Vec::new();
    for analyzers in packages.flat_map(BTreeMap::into_values) {
        for (analyzer, diagnostics) in analyzers {
            for diagnostic in diagnostics {
                let mut parts = diagnostic.posn.rsplitn(3, ':');
                let (Some(_column), Some(line), Some(file)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                let Ok(line) = line.parse() else { continue };
                let file = Path::new(file);
                findings.push(Finding {
                    analyzer: analyzer.clone(),
                    file: file
                        .strip_prefix(module_dir)
                        .unwrap_or(file)
                        .display()
                        .to_string(),
                    line,
                    message: diagnostic.message.replace(&samples_prefix, ""),
                });
            }
        }
    }
    findings.sort_by(|a, b| (&a.file, a.line, &a.analyzer).cmp(&(&b.file, b.line, &b.analyzer)));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_read_and_other_lines_ignored() {
        let output = r#"# gorepro.dev/samples/scenarios/p
{
	"gorepro.dev/samples/scenarios/p": {
		"lostcancel": [
			{
				"posn": "/m/scenarios/p/buggy.go:33:7",
				"end": "/m/scenarios/p/buggy.go:33:8",
				"message": "the cancel function returned by context.WithTimeout should be called, not discarded, to avoid a context leak"
			}
		],
		"copylocks": [
			{
				"posn": "/m/scenarios/p/main.go:10:12",
				"message": "get passes lock by value: gorepro.dev/samples/scenarios/p.counter contains sync.Mutex"
			},
			{ "posn": "nonsense", "message": "skipped" }
		]
	}
}
"#;
        assert_eq!(
            parse(output, Path::new("/m")),
            vec![
                Finding {
                    analyzer: "lostcancel".into(),
                    file: "scenarios/p/buggy.go".into(),
                    line: 33,
                    message: "the cancel function returned by context.WithTimeout should be called, not discarded, to avoid a context leak".into(),
                },
                Finding {
                    analyzer: "copylocks".into(),
                    file: "scenarios/p/main.go".into(),
                    line: 10,
                    message: "get passes lock by value: scenarios/p.counter contains sync.Mutex".into(),
                },
            ]
        );
        assert!(parse("", Path::new("/m")).is_empty());
        assert!(parse("go vet could not run: x", Path::new("/m")).is_empty());
        assert!(parse("{ not json", Path::new("/m")).is_empty());
        assert!(parse("# pkg\nvet: compile error\n", Path::new("/m")).is_empty());
    }
}
