//! `gorepro export` writes a module that builds and runs with plain `go run`, outside the
//! repository, with no harness around it.

use gorepro::{Config, Harness};

fn go_run(go: &std::path::Path, dir: &std::path::Path, package: &str) -> (Option<i32>, String) {
    let output = std::process::Command::new(go)
        .args(["run", package])
        .current_dir(dir)
        // Keep the caller's workspace and toolchain switching out of the student's module.
        .env("GOWORK", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env_remove("GOEXPERIMENT")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_exported_scenario_runs_with_plain_go_run() {
    let harness = Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let scenario = harness.catalog.get("chan-send-deadlock").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files =
        gorepro::export::export(scenario, &harness.config.samples_dir(), dir.path()).unwrap();
    assert!(
        files.iter().any(|f| f.ends_with("support/supervisor.go")),
        "{files:?}"
    );

    let (code, stderr) = go_run(&harness.toolchain.go, dir.path(), "./buggy");
    // `go run` reports the program's own exit status 3 (deadlock) as its status 1.
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("gorepro: verdict=deadlock"), "{stderr}");
    assert!(stderr.contains("exit status 3"), "{stderr}");

    let (code, stderr) = go_run(&harness.toolchain.go, dir.path(), "./fixed");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("gorepro: verdict=clean"), "{stderr}");
}

#[test]
fn export_refuses_a_directory_that_is_not_empty() {
    let harness = Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let scenario = harness.catalog.get("wg-reuse").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let err =
        gorepro::export::export(scenario, &harness.config.samples_dir(), dir.path()).unwrap_err();
    assert!(err.to_string().contains("is not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
        "mine"
    );
}

/// A scenario held inside package sync cannot run as a plain module: export says so and
/// writes nothing.
#[test]
fn export_refuses_a_scenario_that_needs_the_sync_hook() {
    let harness = Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let scenario = harness.catalog.get("wg-add-concurrent-with-wait").unwrap();
    assert!(scenario.sync_hook);
    let dir = tempfile::tempdir().unwrap();
    let err =
        gorepro::export::export(scenario, &harness.config.samples_dir(), dir.path()).unwrap_err();
    assert!(err.to_string().contains("inside package sync"), "{err}");
    assert_eq!(dir.path().read_dir().unwrap().count(), 0);
}

/// A bug that only the program's own check sees says so when it runs alone too.
#[test]
fn an_exported_invariant_check_reports_itself() {
    let harness = Harness::new(Config::from_env().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let scenario = harness.catalog.get("chan-select-default-drop").unwrap();
    let dir = tempfile::tempdir().unwrap();
    gorepro::export::export(scenario, &harness.config.samples_dir(), dir.path()).unwrap();
    let (code, stderr) = go_run(&harness.toolchain.go, dir.path(), "./buggy");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("gorepro: invariant violated (lost-message): received 0 of 3 events"),
        "{stderr}"
    );
    assert!(stderr.contains("exit status 8"), "{stderr}");
    let (code, stderr) = go_run(&harness.toolchain.go, dir.path(), "./fixed");
    assert_eq!(code, Some(0), "{stderr}");
}
