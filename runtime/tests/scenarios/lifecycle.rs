//! One model's whole lifecycle through the command line, on every backend:
//! `catalog add` → apply → `catalog deprecate` → apply (flagged, its team
//! told) → a week before the sunset, apply (reminded once) → after it, `check`
//! fails → `catalog delete` → apply (its references repointed, its row gone);
//! a refused edit and a dry run leave the file byte for byte; `catalog sync`
//! compares with a models.dev `api.json` and `--write` applies it. The binary
//! applies the catalogue it was built with: here each edited file is parsed
//! again, as the next build would compile it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::common::*;
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::cli::{exit, run};
use llm_lifecycle_test_support::TestDb;

const START: &str = r#"# The platform's catalogue.
[providers.openai]
label = "OpenAI"
models = [
  { name = "gpt-4.1",      token_limit = 1_000_000, default = true },   # the default
  { name = "gpt-4.1-mini", token_limit = 1_000_000 },
]

[[references]]
table = "assistants"
column = "llm_provider_model_id"
resource = "assistant"
team_column = "team_id"
name_column = "name"

[notifications]
reminders = [30, 7, 1]
"#;

struct Outcome {
    code: u8,
    out: String,
    err: String,
}

/// `apply-models ARGS` with the catalogue compiled from `file`'s current text.
fn apply_models(db: &TestDb, file: &Path, args: &[&str]) -> Outcome {
    let catalog = Catalog::parse(&std::fs::read_to_string(file).unwrap(), "models.toml").unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let catalog_path = file.to_str().unwrap();
    let mut argv = vec!["apply-models", "--database-url", db.url(), "-q"];
    argv.extend_from_slice(args);
    if args.contains(&"catalog") {
        argv.extend_from_slice(&["--catalog", catalog_path]);
    }
    let code = run(&catalog, argv, &mut out, &mut err);
    Outcome {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

fn ok(outcome: &Outcome) -> &str {
    assert_eq!(
        outcome.code,
        exit::OK,
        "stdout: {}\nstderr: {}",
        outcome.out,
        outcome.err
    );
    &outcome.out
}

fn a_model_lives_and_dies_through_the_command_line(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("models.toml");
    std::fs::write(&file, START).unwrap();
    migrate(db);
    host_schema(db);
    ok(&apply_models(db, &file, &["apply"]));

    // Add: one line appended in the file's style, created by the next apply.
    let out = ok(&apply_models(
        db,
        &file,
        &["catalog", "add", "openai/gpt-5", "--token-limit", "400000"],
    ))
    .to_owned();
    assert!(
        out.contains("+  { name = \"gpt-5\", token_limit = 400_000 },"),
        "{out}"
    );
    ok(&apply_models(db, &file, &["apply"]));
    let gpt5 = global_id(db, "openai/gpt-5").unwrap();
    db.execute(&format!(
        "INSERT INTO assistants (id, team_id, name, llm_provider_model_id) VALUES (1, 7, 'Helper', {gpt5})"
    ));

    // Deprecate: flagged, the team told once, the sunset shown.
    let out = ok(&apply_models(
        db,
        &file,
        &[
            "catalog",
            "deprecate",
            "openai/gpt-5",
            "--replacement",
            "gpt-4.1",
            "--sunset",
            "2027-01-31",
        ],
    ))
    .to_owned();
    assert!(
        out.contains("deprecated = true, replacement = \"gpt-4.1\", sunset = 2027-01-31 }"),
        "{out}"
    );
    let applied = ok(&apply_models(
        db,
        &file,
        &["--today", "2026-12-03", "apply"],
    ))
    .to_owned();
    assert!(
        applied.contains("~ update openai/gpt-5: deprecated"),
        "{applied}"
    );
    assert!(
        applied.contains("⏳ sunset: openai/gpt-5 retires on 2027-01-31: 59 days left"),
        "{applied}"
    );
    assert_eq!(
        count(
            db,
            "llm_model_notifications WHERE slug = 'llm-model-deprecated' AND team_id = 7"
        ),
        1
    );

    // A week before the sunset: the plan lists the reminder, the apply sends
    // it once, a second deploy that day sends nothing.
    let planned = ok(&apply_models(db, &file, &["--today", "2027-01-24", "plan"])).to_owned();
    assert!(
        planned.contains(
            "✉ notify 1 team about openai/gpt-5 (retires on 2027-01-31, in 7 days: the 7-day \
             reminder, use openai/gpt-4.1): team 7 (1 assistant(s))"
        ),
        "{planned}"
    );
    for _ in 0..2 {
        ok(&apply_models(
            db,
            &file,
            &["--today", "2027-01-24", "apply"],
        ));
    }
    assert_eq!(
        db.strings(
            "SELECT title AS v FROM llm_model_notifications WHERE slug = 'llm-model-sunset' AND team_id = 7"
        ),
        [Some("LLM Model 'openai/gpt-5' Retires on 2027-01-31".to_owned())]
    );
    // After the sunset, CI's check fails while the team still uses it.
    let check = apply_models(db, &file, &["--today", "2027-02-01", "check"]);
    assert_eq!(check.code, exit::REFUSED, "{}", check.out);
    assert!(
        check.out.contains(
            "✗ openai/gpt-5 passed its sunset on 2027-01-31 (1 day(s) ago) and is still used by \
             1 team(s): team 7 (1 assistant(s)); move them to openai/gpt-4.1"
        ),
        "{}{}",
        check.out,
        check.err
    );

    // Delete: moved to `deleted` with today's date; the reference moves.
    let out = ok(&apply_models(
        db,
        &file,
        &[
            "--today",
            "2027-02-01",
            "catalog",
            "delete",
            "openai/gpt-5",
            "--replacement",
            "gpt-4.1",
        ],
    ))
    .to_owned();
    assert!(
        out.contains(
            "+  { name = \"gpt-5\", replacement = \"gpt-4.1\", deleted_on = 2027-02-01 },"
        ),
        "{out}"
    );
    let applied = ok(&apply_models(db, &file, &["apply"])).to_owned();
    assert!(applied.contains("- delete openai/gpt-5"), "{applied}");
    assert_eq!(global_id(db, "openai/gpt-5"), None);
    assert_eq!(
        db.string(&format!(
            "SELECT {} AS v FROM assistants WHERE id = 1",
            db.text_cast("llm_provider_model_id")
        )),
        global_id(db, "openai/gpt-4.1").unwrap().to_string()
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# The platform's catalogue.\n"),
        "comments kept: {text}"
    );
    assert!(
        text.contains(
            "{ name = \"gpt-4.1\",      token_limit = 1_000_000, default = true },   # the default"
        ),
        "alignment and comments kept: {text}"
    );

    // A refused edit and a dry run leave the file byte for byte.
    let refused = apply_models(db, &file, &["catalog", "delete", "openai/gpt-4.1"]);
    assert_eq!(refused.code, exit::REFUSED, "{}", refused.err);
    assert!(
        refused
            .err
            .contains("`openai/gpt-4.1` is the default model of `[providers.openai]`"),
        "{}",
        refused.err
    );
    assert!(refused.err.contains("is unchanged"), "{}", refused.err);
    let dry = ok(&apply_models(
        db,
        &file,
        &[
            "catalog",
            "add",
            "openai/o3",
            "--token-limit",
            "200000",
            "--dry-run",
        ],
    ))
    .to_owned();
    assert!(dry.contains("(dry run:"), "{dry}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // The database is the next plan's business: nothing left to do.
    let plan = apply_models(db, &file, &["plan", "--exit-code"]);
    assert_eq!(plan.code, exit::OK, "{}", plan.out);
}

fn sync_compares_with_models_dev_and_writes_what_it_can(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("models.toml");
    std::fs::write(
        &file,
        "[providers.openai]\nmodels = [\n  { name = \"gpt-4.1\", token_limit = 1_000_000, default = true },\n  \
         { name = \"gpt-4o\", token_limit = 128_000 },\n]\n",
    )
    .unwrap();
    let api = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../catalog/tests/fixtures/models-dev-api.json"
    );
    let out = ok(&apply_models(
        db,
        &file,
        &["catalog", "sync", "--from", api],
    ))
    .to_owned();
    assert!(out.contains("openai/gpt-4o"), "{out}");
    let json = ok(&apply_models(
        db,
        &file,
        &["--format", "json", "catalog", "sync", "--from", api],
    ))
    .to_owned();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        report["deprecated_upstream"].as_array().unwrap().len(),
        1,
        "{json}"
    );
    let before = std::fs::read_to_string(&file).unwrap();
    ok(&apply_models(
        db,
        &file,
        &["catalog", "sync", "--from", api, "--write"],
    ));
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(before, after);
    assert!(
        after.contains("{ name = \"gpt-4o\", token_limit = 128_000, deprecated = true }"),
        "{after}"
    );
    assert!(after.contains("token_limit = 1_047_576"), "{after}");
    Catalog::parse(&after, "models.toml").unwrap();
    // A file that is not there is one clear line, exit 1.
    let missing = apply_models(
        db,
        &file,
        &["catalog", "sync", "--from", "/nonexistent/api.json"],
    );
    assert_eq!(missing.code, exit::ERROR);
    assert!(
        missing
            .err
            .starts_with("error: cannot read /nonexistent/api.json"),
        "{}",
        missing.err
    );
}

llm_lifecycle_test_support::backend_tests!(
    a_model_lives_and_dies_through_the_command_line,
    sync_compares_with_models_dev_and_writes_what_it_can
);
