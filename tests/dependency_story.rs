//! What a user's dependency line pulls in: `llm-lifecycle` without default
//! features is the enums and their proc macros only (no clap, indicatif, diesel
//! or tokio), and a backend feature brings the runtime on that backend alone.
//!
//! Runs `cargo tree` on this package, offline: it resolves from `Cargo.lock`
//! and the sources the build of these tests already fetched.

use std::collections::BTreeSet;
use std::process::Command;

/// The crates in the normal dependency tree of this package under `features`.
fn dependencies(features: &[&str]) -> BTreeSet<String> {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["tree", "--offline", "--no-default-features"])
        .args(["-e", "normal", "--prefix", "none", "--color", "never"])
        .args(["-p", env!("CARGO_PKG_NAME")])
        .arg("--manifest-path")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = match command.output() {
        Ok(output) => output,
        Err(error) => panic!("cannot run cargo tree: {error}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo tree {features:?} failed ({}):\n{}{stdout}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let crates: BTreeSet<String> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert!(
        crates.contains(env!("CARGO_PKG_NAME")),
        "cargo tree {features:?} printed no tree:\n{stdout}"
    );
    crates
}

fn assert_absent(crates: &BTreeSet<String>, absent: &[&str], what: &str) {
    let found: Vec<&&str> = absent
        .iter()
        .filter(|name| crates.contains(**name))
        .collect();
    assert!(found.is_empty(), "{what} pulls in {found:?}: {crates:?}");
}

#[test]
fn without_default_features_only_the_enums_are_built() {
    let crates = dependencies(&[]);
    for expected in ["llm-lifecycle-catalog", "llm-lifecycle-macros"] {
        assert!(crates.contains(expected), "{expected} missing: {crates:?}");
    }
    assert_absent(
        &crates,
        &[
            "clap",
            "indicatif",
            "diesel",
            "diesel-async",
            "tokio",
            "tokio-postgres",
            "mysql_async",
            "libsqlite3-sys",
            "llm-lifecycle-runtime",
        ],
        "default-features = false",
    );
}

#[test]
fn a_backend_feature_brings_the_runtime_on_that_backend_only() {
    let crates = dependencies(&["runtime", "sqlite"]);
    for expected in ["llm-lifecycle-runtime", "diesel", "libsqlite3-sys"] {
        assert!(crates.contains(expected), "{expected} missing: {crates:?}");
    }
    assert_absent(
        &crates,
        &["tokio", "tokio-postgres", "mysql_async", "diesel-async"],
        "features runtime,sqlite",
    );
}

#[test]
fn serde_and_diesel_alone_bring_no_runtime() {
    let crates = dependencies(&["serde", "diesel"]);
    assert!(
        crates.contains("diesel") && crates.contains("serde"),
        "{crates:?}"
    );
    assert_absent(
        &crates,
        &["clap", "indicatif", "tokio", "llm-lifecycle-runtime"],
        "features serde,diesel",
    );
}
