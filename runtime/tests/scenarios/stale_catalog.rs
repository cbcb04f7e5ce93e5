//! The stale-catalogue guard: a binary whose catalogue predates a deletion
//! (a rolled-back deploy, the old half of a blue/green overlap) never
//! re-creates the deleted model; un-deprecating a model an earlier run
//! deprecated, and a catalogue applied again after a newer one, are warned
//! about. In the API and in `plan` (text, json, markdown) and `apply`, on
//! every backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::cli::{exit, run};
use llm_lifecycle_runtime::plan::ModelId;
use llm_lifecycle_runtime::{ApplyOptions, Error, PlanOptions, PlanWarning, Refusal};
use llm_lifecycle_test_support::TestDb;

/// The release before: `openai/gpt-4.1-nano` is live, `gpt-4.1-mini` is not
/// deprecated.
const OLD: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000 },
  { name = "gpt-4.1-nano", token_limit = 1_000_000 },
]
"#;

/// The release after: `gpt-4.1-nano` deleted (replaced by `gpt-4.1-mini`),
/// `gpt-4.1-mini` deprecated in favour of `gpt-4.1`.
const NEW: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000, deprecated = true, replacement = "gpt-4.1" },
]
deleted = [
  { name = "gpt-4.1-nano", replacement = "gpt-4.1-mini" },
]
"#;

fn in_env(environment: &str) -> ApplyOptions {
    ApplyOptions {
        environment: environment.to_owned(),
        ..ApplyOptions::default()
    }
}

fn cli(db: &TestDb, catalog: &Catalog, args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["apply-models", "--database-url", db.url(), "-q"];
    argv.extend_from_slice(args);
    let code = run(catalog, argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn nano() -> ModelId {
    ModelId::new("openai", "gpt-4.1-nano")
}

/// Old then new applied in `production`; the run ids.
fn deploy_old_then_new(db: &TestDb) -> (i64, i64) {
    let old = llm_lifecycle_runtime::apply(&mut connect(db), &catalog(OLD), &in_env("production"))
        .unwrap();
    let new = llm_lifecycle_runtime::apply(&mut connect(db), &catalog(NEW), &in_env("production"))
        .unwrap();
    assert_eq!(new.counts.deleted, 1);
    (old.run_id, new.run_id)
}

fn model_rows(db: &TestDb) -> Vec<String> {
    let mut rows: Vec<String> = db
        .strings(&format!(
            "SELECT {} AS v FROM llm_provider_models WHERE team_id IS NULL",
            db.concat(&[
                "provider",
                "'/'",
                "name",
                "CASE WHEN deprecated THEN ' deprecated' ELSE '' END"
            ])
        ))
        .into_iter()
        .map(Option::unwrap)
        .collect();
    rows.sort();
    rows
}

fn a_stale_catalogue_never_recreates_a_deleted_model(db: &TestDb) {
    let (_, deleting_run) = deploy_old_then_new(db);
    let digest = catalog(NEW).digest();
    let before = model_rows(db);
    assert_eq!(before, ["openai/gpt-4.1", "openai/gpt-4.1-mini deprecated"]);

    // The old binary again: refused, nothing written.
    let error =
        llm_lifecycle_runtime::apply(&mut connect(db), &catalog(OLD), &in_env("production"))
            .unwrap_err();
    let Error::Refused(plan) = &error else {
        panic!("expected a refusal, got {error}");
    };
    let [Refusal::RestoresDeleted { model, deleted_by }] = plan.refusals.as_slice() else {
        panic!("{:?}", plan.refusals);
    };
    assert_eq!(*model, nano());
    assert_eq!(deleted_by.run_id, deleting_run);
    assert_eq!(deleted_by.environment, "production");
    assert_eq!(deleted_by.catalog_digest, digest);
    let line = plan.refusals[0].to_string();
    for part in [
        "openai/gpt-4.1-nano was deleted by run ",
        &format!("run {deleting_run} ("),
        "environment production",
        &format!("catalogue {}", &digest[..12]),
        "deploy the newer build",
        "--allow-restore openai/gpt-4.1-nano",
    ] {
        assert!(line.contains(part), "{line:?} lacks {part:?}");
    }
    let finished = deleted_by.finished_at.as_deref().unwrap();
    assert!(line.contains(finished), "{line}");
    assert_eq!(model_rows(db), before, "nothing written");

    // The command line: plan in every format, and apply, exit 3.
    let (code, out, _) = cli(db, &catalog(OLD), &["--environment", "production", "plan"]);
    assert_eq!(code, exit::REFUSED, "{out}");
    assert!(out.contains(&format!("✗ refused: {line}")), "{out}");
    let (code, out, _) = cli(db, &catalog(OLD), &["--format", "json", "plan"]);
    assert_eq!(code, exit::REFUSED);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["refusals"][0]["problem"], "restores_deleted");
    assert_eq!(json["refusals"][0]["deleted_by"]["run_id"], deleting_run);
    let (code, out, _) = cli(db, &catalog(OLD), &["--format", "markdown", "plan"]);
    assert_eq!(code, exit::REFUSED);
    assert!(
        out.contains("openai/gpt-4.1-nano was deleted by run"),
        "{out}"
    );
    let (code, out, err) = cli(db, &catalog(OLD), &["apply"]);
    assert_eq!(code, exit::REFUSED);
    assert!(out.contains(&format!("✗ refused: {line}")), "{out}");
    assert!(err.contains("plan refused"), "{err}");
    assert_eq!(model_rows(db), before, "nothing written");

    // The model really is coming back: --allow-restore names it.
    let (code, out, _) = cli(
        db,
        &catalog(OLD),
        &["--allow-restore", "openai/gpt-4.1-nano", "plan"],
    );
    assert_eq!(code, exit::OK, "{out}");
    assert!(
        out.contains(&format!(
            "! restoring openai/gpt-4.1-nano, which run {deleting_run} ("
        )),
        "{out}"
    );
    let options = ApplyOptions {
        allow_restore: vec![nano()],
        ..in_env("production")
    };
    let report = llm_lifecycle_runtime::apply(&mut connect(db), &catalog(OLD), &options).unwrap();
    assert!(
        matches!(
            report.plan.warnings.as_slice(),
            [PlanWarning::Restores { model, .. }, ..] if *model == nano()
        ),
        "{:?}",
        report.plan.warnings
    );
    assert!(model_rows(db).contains(&"openai/gpt-4.1-nano".to_owned()));
    // Restored, it is no longer "deleted by the last run": no refusal now.
    let plan = llm_lifecycle_runtime::plan(&mut connect(db), &catalog(OLD)).unwrap();
    assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);

    // A bad --allow-restore is a usage error.
    let (code, _, err) = cli(
        db,
        &catalog(OLD),
        &["--allow-restore", "gpt-4.1-nano", "plan"],
    );
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(err.contains("provider/name"), "{err}");
}

fn undeprecating_and_rollbacks_are_warned_about(db: &TestDb) {
    let (old_run, new_run) = deploy_old_then_new(db);
    // The nano refusal aside (tested above), the old catalogue un-deprecates
    // gpt-4.1-mini, which the new one's run deprecated, and is a rollback.
    let options = PlanOptions {
        environment: "production".to_owned(),
        allow_restore: vec![nano()],
        ..PlanOptions::default()
    };
    let plan = llm_lifecycle_runtime::plan_with(&mut connect(db), &catalog(OLD), &options).unwrap();
    assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);
    let undeprecates = plan
        .warnings
        .iter()
        .find_map(|warning| match warning {
            PlanWarning::Undeprecates {
                model,
                deprecated_by,
            } => Some((model.to_string(), deprecated_by.run_id)),
            _ => None,
        })
        .unwrap();
    assert_eq!(undeprecates, ("openai/gpt-4.1-mini".to_owned(), new_run));
    let rollback = plan
        .warnings
        .iter()
        .find_map(|warning| match warning {
            PlanWarning::Rollback {
                applied_by,
                superseded_by,
            } => Some((applied_by.run_id, superseded_by.run_id)),
            _ => None,
        })
        .unwrap();
    assert_eq!(rollback, (old_run, new_run));

    // In the text, json and markdown plans.
    let args = [
        "--environment",
        "production",
        "--allow-restore",
        "openai/gpt-4.1-nano",
    ];
    let (code, out, _) = cli(db, &catalog(OLD), &[&args[..], &["plan"]].concat());
    assert_eq!(code, exit::OK, "{out}");
    assert!(
        out.contains(&format!(
            "! openai/gpt-4.1-mini is no longer deprecated in this catalogue, but run {new_run} ("
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "! this looks like a rollback: this catalogue was applied by run {old_run} ("
        )),
        "{out}"
    );
    let (_, out, _) = cli(
        db,
        &catalog(OLD),
        &[&args[..], &["--format", "json", "plan"]].concat(),
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let kinds: Vec<&str> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["warning"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["restores", "undeprecates", "rollback"]);
    let (_, out, _) = cli(
        db,
        &catalog(OLD),
        &[&args[..], &["--format", "markdown", "plan"]].concat(),
    );
    assert!(out.contains("### Warnings"), "{out}");
    assert!(out.contains("this looks like a rollback"), "{out}");

    // Another environment never applied the new catalogue: no rollback there.
    let elsewhere = PlanOptions {
        environment: "staging".to_owned(),
        ..options.clone()
    };
    let plan =
        llm_lifecycle_runtime::plan_with(&mut connect(db), &catalog(OLD), &elsewhere).unwrap();
    assert!(
        !plan
            .warnings
            .iter()
            .any(|w| matches!(w, PlanWarning::Rollback { .. })),
        "{:?}",
        plan.warnings
    );
    // The newest catalogue again: nothing odd.
    let plan = llm_lifecycle_runtime::plan_with(&mut connect(db), &catalog(NEW), &options).unwrap();
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);

    // The apply proceeds with the warnings, and prints them.
    let (code, out, _) = cli(db, &catalog(OLD), &[&args[..], &["apply"]].concat());
    assert_eq!(code, exit::OK, "{out}");
    assert!(
        out.contains("! openai/gpt-4.1-mini is no longer deprecated"),
        "{out}"
    );
    assert!(out.contains("! this looks like a rollback"), "{out}");
    assert_eq!(
        model_rows(db),
        [
            "openai/gpt-4.1",
            "openai/gpt-4.1-mini",
            "openai/gpt-4.1-nano"
        ]
    );
}

llm_lifecycle_test_support::backend_tests!(
    a_stale_catalogue_never_recreates_a_deleted_model,
    undeprecating_and_rollbacks_are_warned_about
);
