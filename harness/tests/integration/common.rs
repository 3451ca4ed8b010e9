//! Shared helpers: the project root and insta settings that put snapshots in `snapshots/`.

use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Snapshots live in the workspace's `snapshots/`, named `<scenario>__<variant>.snap`.
pub fn insta_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

pub fn snapshot_name(scenario: &str, variant: gorepro::scenario::Variant) -> String {
    format!("{scenario}__{variant}")
}
