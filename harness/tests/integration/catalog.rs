//! The specs, the Go packages and the snapshot files agree with each other. No Go needed.

use gorepro::codegen::render_params;
use gorepro::scenario::{Catalog, Variant};

use crate::common::{root, snapshot_name};

fn catalog() -> Catalog {
    Catalog::load(&root().join("scenarios"), &root().join("go-samples"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_spec_loads_and_names_a_distinct_package() {
    let catalog = catalog();
    assert!(!catalog.scenarios.is_empty());
    let mut packages: Vec<_> = catalog.scenarios.iter().map(|s| &s.package).collect();
    packages.sort();
    packages.dedup();
    assert_eq!(
        packages.len(),
        catalog.scenarios.len(),
        "two scenarios share a Go package"
    );
}

/// The committed `params.go` is the rendering of the spec's defaults, so the package builds
/// and vets as committed and `go run` gives the default behaviour.
#[test]
fn committed_params_go_renders_the_defaults() {
    for scenario in &catalog().scenarios {
        let path = root()
            .join("go-samples")
            .join(&scenario.package)
            .join("params.go");
        let committed = std::fs::read_to_string(&path).unwrap();
        let rendered = render_params(scenario, &scenario.params::<&str>(&[]).unwrap());
        assert_eq!(
            committed,
            rendered,
            "{} is not the rendering of {}'s defaults",
            path.display(),
            scenario.id
        );
    }
}

/// The insta `--unreferenced=reject` check, without cargo-insta: every snapshot file belongs
/// to a scenario variant and every variant has one.
#[test]
fn snapshots_match_the_catalog_exactly() {
    let mut expected: Vec<String> = catalog()
        .scenarios
        .iter()
        .flat_map(|s| Variant::ALL.map(|v| format!("{}.snap", snapshot_name(&s.id, v))))
        .collect();
    expected.sort();
    let mut found: Vec<String> = std::fs::read_dir(root().join("snapshots"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".snap"))
        .collect();
    found.sort();
    assert_eq!(
        found, expected,
        "snapshots/ holds unreferenced or missing snapshots"
    );
}

/// The README's catalog table is generated from the specs, so it cannot drift.
#[test]
fn readme_catalog_table_is_generated_from_the_specs() {
    const START: &str = "<!-- catalog:start (generated from scenarios/*.toml; GOREPRO_BLESS=1 cargo test rewrites it) -->\n";
    const END: &str = "<!-- catalog:end -->";
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (before, rest) = readme
        .split_once(START)
        .expect("README has the catalog start marker");
    let (_, after) = rest
        .split_once(END)
        .expect("README has the catalog end marker");
    let expected = format!(
        "{before}{START}{}{END}{after}",
        gorepro::report::catalog_markdown(&catalog())
    );
    if readme != expected {
        if std::env::var_os("GOREPRO_BLESS").is_some() {
            std::fs::write(&path, expected).unwrap();
        } else {
            panic!(
                "the README's catalog table is out of date: rerun with GOREPRO_BLESS=1 and review the diff"
            );
        }
    }
}
