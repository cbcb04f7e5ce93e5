//! The real catalogue, `models.toml`, has one smoke test: it validates, the API
//! generated from it compiled (this crate links the root crate, which expands
//! `catalog!("models.toml")`) and agrees with it, and the `apply-models` binary
//! built from it applies it to a fresh SQLite database, after which a second
//! apply has nothing to do. It names no model and counts nothing in the file, so
//! adding, deprecating or pruning a model keeps it green; the facts of a
//! production-size catalogue are tested on a frozen copy (`frozen_catalog.rs`).
//! It needs the `cli` binary with the `sqlite` backend (both on by default).
#![cfg(all(feature = "cli", feature = "sqlite"))]

use std::path::Path;
use std::process::{Command, Output};

use llm_lifecycle::{CATALOG, LlmModel, ParseModelError, Provider};
use llm_lifecycle_catalog::Catalog;

/// `apply-models --database-url DB -q ARGS`, isolated from the environment.
fn apply_models(dir: &Path, db: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_apply-models"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("LLM_LIFECYCLE_FAIL_AT")
        .env_remove("APPLY_MODELS_LOG")
        .arg("--database-url")
        .arg(db)
        .arg("-q")
        .args(args)
        .output();
    match output {
        Ok(output) => output,
        Err(error) => panic!("cannot run apply-models {args:?}: {error}"),
    }
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn models_toml_validates_compiles_and_applies_to_a_fresh_sqlite_database() {
    // It validates, and it is what the root crate compiled.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models.toml");
    let catalog = Catalog::load(&path).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(CATALOG, catalog, "the compiled catalogue is models.toml");

    // The generated API agrees with it.
    assert_eq!(LlmModel::all().len(), catalog.models().count());
    assert_eq!(Provider::ALL.len(), catalog.providers.len());
    for &model in LlmModel::all() {
        assert_eq!(model.id().parse::<LlmModel>(), Ok(model), "{model}");
    }
    for (provider, entry) in catalog.deleted() {
        let id = format!("{}/{}", provider.key, entry.name);
        assert!(
            matches!(id.parse::<LlmModel>(), Err(ParseModelError::Deleted { .. })),
            "{id}"
        );
    }

    // It applies to a fresh SQLite database; a second apply has nothing to do.
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("a temporary directory: {error}"),
    };
    let db = dir.path().join("smoke.db");
    let plan = apply_models(dir.path(), &db, &["plan", "--exit-code"]);
    assert_eq!(
        plan.status.code(),
        Some(4),
        "something to do\n{}",
        describe(&plan)
    );
    let first = apply_models(dir.path(), &db, &["apply"]);
    assert!(first.status.success(), "{}", describe(&first));
    let second = apply_models(dir.path(), &db, &["apply"]);
    assert!(second.status.success(), "{}", describe(&second));
    assert!(
        String::from_utf8_lossy(&second.stdout).starts_with("Nothing to do"),
        "{}",
        describe(&second)
    );
    let plan = apply_models(dir.path(), &db, &["plan", "--exit-code"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "nothing to do\n{}",
        describe(&plan)
    );
    let status = apply_models(dir.path(), &db, &["status", "--exit-code"]);
    assert_eq!(
        status.status.code(),
        Some(0),
        "no drift\n{}",
        describe(&status)
    );
}
