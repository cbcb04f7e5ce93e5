//! The run ledger and event journal: what `history` shows and what prune reads.
//! Every scenario runs on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use llm_lifecycle_runtime::ledger::RunStatus;
use llm_lifecycle_runtime::{ApplyOptions, FailPoint, applied_deletions, history, ledger};
use llm_lifecycle_test_support::TestDb;

fn journal_rows_identify_the_deleted_model_and_the_run(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_references(db);
    let options = ApplyOptions {
        environment: "staging".into(),
        ..ApplyOptions::default()
    };
    let report = llm_lifecycle_runtime::apply(&mut connect(db), &full_catalog(), &options).unwrap();
    let deletions = applied_deletions(&mut connect(db)).unwrap();
    let named: Vec<String> = deletions
        .iter()
        .map(|d| format!("{}/{}", d.provider, d.name))
        .collect();
    assert_eq!(
        named,
        ["openai/gpt-4-turbo", "openai/gpt-4", "openai/o1-mini"]
    );
    assert!(
        deletions
            .iter()
            .all(|d| d.run_id == report.run_id && d.environment == "staging")
    );
    assert!(deletions.iter().all(|d| d.finished_at.is_some()));
    // Every row about a model that has (had) a row names it, notices included.
    assert!(count(db, "llm_lifecycle_events WHERE action = 'notified'") > 0);
    assert_eq!(
        count(
            db,
            "llm_lifecycle_events WHERE action IN ('created', 'deleted', 'notified') AND model_id IS NULL"
        ),
        0
    );
    // Reference actions name the table, the column and the row count.
    assert_eq!(
        db.string(&format!(
            "SELECT {} AS v \
             FROM llm_lifecycle_events WHERE action = 'repointed' AND name = 'gpt-4-turbo' \
             AND table_name = 'assistants'",
            db.concat(&[
                &db.text_cast("row_count"),
                "' '",
                "table_name",
                "'.'",
                "column_name",
                "' -> '",
                "target_name",
            ])
        )),
        "2 assistants.llm_provider_model_id -> gpt-4.1"
    );
}

fn history_lists_runs_newest_first_with_failures_and_their_error(db: &TestDb) {
    migrate(db);
    let catalog = catalog(MODELS);
    apply(db, &catalog).unwrap();
    let failing = ApplyOptions {
        fail_at: Some(FailPoint::BeforeCommit),
        ..ApplyOptions::default()
    };
    assert!(llm_lifecycle_runtime::apply(&mut connect(db), &catalog, &failing).is_err());
    let other = ApplyOptions {
        environment: "prod".into(),
        ..ApplyOptions::default()
    };
    llm_lifecycle_runtime::apply(&mut connect(db), &catalog, &other).unwrap();

    let runs = history(&mut connect(db), None, 10).unwrap();
    let statuses: Vec<(RunStatus, &str)> = runs
        .iter()
        .map(|r| (r.status, r.environment.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            (RunStatus::Succeeded, "prod"),
            (RunStatus::Failed, "default"),
            (RunStatus::Succeeded, "default")
        ]
    );
    assert!(
        runs[1]
            .error
            .as_deref()
            .unwrap()
            .contains("injected failure")
    );
    assert_eq!(runs[2].created, 3);
    assert_eq!(
        runs[0].created, 0,
        "prod ran after default converged: nothing to do"
    );
    assert!(
        runs.iter()
            .all(|r| r.catalog_digest == catalog.digest() && r.duration_ms.is_some())
    );

    let prod_only = history(&mut connect(db), Some("prod"), 10).unwrap();
    assert_eq!(prod_only.len(), 1);
    let last = ledger::last_successful_run(&mut connect(db), "default")
        .unwrap()
        .unwrap();
    assert_eq!(last.id, runs[2].id);
}

fn history_of_a_database_never_applied_to_is_empty(db: &TestDb) {
    assert!(history(&mut connect(db), None, 10).unwrap().is_empty());
    assert!(applied_deletions(&mut connect(db)).unwrap().is_empty());
}

/// A run that only creates rows journals each with its row id.
fn created_events_name_their_row_on_a_run_that_only_creates(db: &TestDb) {
    let report = apply(db, &catalog(MODELS)).unwrap();
    assert!(!report.plan.creates.is_empty());
    assert!(report.plan.reference_updates.is_empty() && report.plan.deletions.is_empty());
    assert_eq!(
        count(db, "llm_lifecycle_events WHERE action = 'created'"),
        i64::try_from(report.plan.creates.len()).unwrap()
    );
    assert_eq!(
        count(
            db,
            "llm_lifecycle_events e WHERE action = 'created' AND NOT EXISTS \
             (SELECT 1 FROM llm_provider_models p WHERE p.id = e.model_id AND p.team_id IS NULL \
              AND p.provider = e.provider AND p.name = e.name)"
        ),
        0,
        "every created event names its own row"
    );
}

llm_lifecycle_test_support::backend_tests!(
    created_events_name_their_row_on_a_run_that_only_creates,
    journal_rows_identify_the_deleted_model_and_the_run,
    history_lists_runs_newest_first_with_failures_and_their_error,
    history_of_a_database_never_applied_to_is_empty,
);
