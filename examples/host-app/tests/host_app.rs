//! The application as it runs, on every engine: its own migrations, then the
//! in-process deploy; its diesel code over the governed table; its own
//! harness after an apply (revert, redo, list); its `apply-models` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use host_app::connection::{AppConnection, connect};
use host_app::deploy::{deploy, plan};
use host_app::{CATALOG, LlmModel, migrations, model, records};
use llm_lifecycle_test_support::{TestDb, backend_tests};

/// The application's versions, oldest first.
const HOST_VERSIONS: [&str; 4] = [
    "20260110000001",
    "20260110000002",
    "20260110000003",
    "20260201000001",
];

fn open(db: &TestDb) -> AppConnection {
    connect(db.url()).unwrap()
}

/// `provider/name max_tokens retired origin` of every global row, sorted.
fn global_rows(db: &TestDb) -> Vec<String> {
    let retired = "CASE WHEN retired THEN 'retired' ELSE 'live' END";
    let mut rows: Vec<String> = db
        .strings(&format!(
            "SELECT {} AS v FROM app_llm_models WHERE team_id IS NULL",
            db.concat(&[
                "kind",
                "'/'",
                "name",
                "' '",
                &db.text_cast("max_tokens"),
                "' '",
                retired,
                "' '",
                "origin"
            ])
        ))
        .into_iter()
        .map(Option::unwrap)
        .collect();
    rows.sort();
    rows
}

/// An error and its sources, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

fn sorted(mut versions: Vec<String>) -> Vec<String> {
    versions.sort();
    versions
}

/// The host's migrations run, the catalogue is applied on the same
/// connection, and the application's code works on the rows it wrote.
fn deploy_governs_the_model_table(db: &TestDb) {
    let mut conn = open(db);
    let report = deploy(&mut conn).unwrap();
    assert!(
        report.plan.refusals.is_empty(),
        "{:?}",
        report.plan.refusals
    );
    assert_eq!(report.plan.creates.len(), 3);
    assert!(
        !report.migrations.is_empty(),
        "the runtime's schema was created"
    );
    assert_eq!(
        sorted(migrations::applied(&mut conn).unwrap()),
        HOST_VERSIONS
    );
    // Live, non-deprecated models only (a deprecated model is not created
    // on a database that never had it); the NOT NULL columns without a
    // default set by the insert.
    assert_eq!(
        global_rows(db),
        [
            "anthropic/claude-sonnet-4 200000 live catalog",
            "openai/gpt-4.1-mini 1000000 live catalog",
            "openai/gpt-4o 128000 live catalog",
        ]
    );
    let stamped = db.string(
        "SELECT CASE WHEN COUNT(*) = 3 THEN 'ok' ELSE 'missing' END AS v FROM app_llm_models \
         WHERE created_at IS NOT NULL AND updated_at IS NOT NULL",
    );
    assert_eq!(stamped, "ok");

    let team = records::create_team(&mut conn, "Acme").unwrap();
    let helper = records::create_assistant(
        &mut conn,
        team,
        "Helper",
        model!("openai/gpt-4o"),
        Some(model!("anthropic/claude-sonnet-4")),
    )
    .unwrap();
    assert_eq!(
        records::assistant_models(&mut conn, helper).unwrap(),
        (
            LlmModel::OpenaiGpt4o,
            Some(LlmModel::AnthropicClaudeSonnet4)
        )
    );
    records::start_conversation(
        &mut conn,
        team,
        helper,
        "Hello",
        model!("openai/gpt-4.1-mini"),
    )
    .unwrap();
    let loaded = records::conversations_of(&mut conn, team).unwrap();
    assert_eq!(
        loaded
            .iter()
            .map(|c| (c.title.as_str(), c.model))
            .collect::<Vec<_>>(),
        [("Hello", LlmModel::OpenaiGpt4_1Mini)]
    );
    // Stored as its id.
    assert_eq!(
        db.string("SELECT model AS v FROM conversations"),
        "openai/gpt-4.1-mini"
    );

    // The second deploy has nothing to do.
    let again = deploy(&mut conn).unwrap();
    assert!(again.plan.is_noop(), "{:?}", again.plan);
    assert!(again.migrations.is_empty());

    // A row the catalogue does not know fails the load, naming the closest id.
    db.execute(&format!(
        "INSERT INTO conversations (team_id, assistant_id, title, model) \
         VALUES ({team}, {helper}, 'Typo', 'openai/gpt-40')"
    ));
    let error = chain(&records::conversations_of(&mut conn, team).unwrap_err());
    assert!(error.contains("openai/gpt-40"), "{error}");
    assert!(error.contains("openai/gpt-4o"), "{error}");
}

/// After an apply, the application's own harness still sees only its own
/// versions, and reverts and redoes its newest migration.
fn host_harness_reverts_and_redoes(db: &TestDb) {
    let mut conn = open(db);
    deploy(&mut conn).unwrap();
    let runtime_versions = db.string(&format!(
        "SELECT {} AS v FROM llm_lifecycle_schema_migrations",
        db.text_cast("COUNT(*)")
    ));
    assert_ne!(
        runtime_versions, "0",
        "the runtime tracks its versions apart"
    );
    assert_eq!(
        sorted(migrations::applied(&mut conn).unwrap()),
        HOST_VERSIONS
    );

    assert_eq!(
        migrations::revert_last(&mut conn).unwrap(),
        "20260201000001"
    );
    assert_eq!(
        sorted(migrations::applied(&mut conn).unwrap()),
        HOST_VERSIONS[..3]
    );
    // The reverted table is gone: the catalogue's reference to it refuses the
    // plan, before any write, naming the table.
    let refused = plan(&mut conn, &CATALOG).unwrap();
    assert!(refused.is_refused());
    assert!(
        format!("{:?}", refused.refusals).contains("conversations"),
        "{:?}",
        refused.refusals
    );

    // Redo: the migration runs again, and so does the deploy.
    assert_eq!(
        migrations::run_pending(&mut conn).unwrap(),
        ["20260201000001"]
    );
    assert_eq!(
        sorted(migrations::applied(&mut conn).unwrap()),
        HOST_VERSIONS
    );
    assert!(deploy(&mut conn).unwrap().plan.is_noop());
    assert_eq!(
        migrations::revert_last(&mut conn).unwrap(),
        "20260201000001"
    );
    assert_eq!(
        migrations::run_pending(&mut conn).unwrap(),
        ["20260201000001"]
    );
}

fn apply_models(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_host-app-apply-models"))
        .arg("--database-url")
        .arg(db.url())
        .args(args)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The application's own `apply-models`: refused before its migrations (the
/// model table is missing), then plan, apply, and nothing left to do.
fn binary_plans_and_applies(db: &TestDb) {
    // Before the application's migrations: refused, nothing written.
    let refused = apply_models(db, &["apply"]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stderr));
    let said = format!("{}{}", text(&refused.stdout), text(&refused.stderr));
    assert!(said.contains("app_llm_models"), "{said}");

    migrations::run_pending(&mut open(db)).unwrap();
    let planned = apply_models(db, &["plan", "--exit-code"]);
    assert_eq!(planned.status.code(), Some(4), "{}", text(&planned.stderr));
    let planned = text(&planned.stdout);
    for id in [
        "openai/gpt-4o",
        "openai/gpt-4.1-mini",
        "anthropic/claude-sonnet-4",
    ] {
        assert!(planned.contains(id), "{planned}");
    }

    let applied = apply_models(db, &["apply"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert!(
        text(&applied.stdout).contains("Applied"),
        "{}",
        text(&applied.stdout)
    );
    assert_eq!(global_rows(db).len(), 3);

    let after = apply_models(db, &["plan", "--exit-code"]);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stdout));
    let status = apply_models(db, &["status", "--exit-code"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stdout));
}

backend_tests!(
    deploy_governs_the_model_table,
    host_harness_reverts_and_redoes,
    binary_plans_and_applies
);
