//! Model rows: creation, drift, deprecated models, unmanaged rows, idempotence,
//! team-custom merges. Every scenario runs on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use llm_lifecycle_test_support::TestDb;

fn creates_missing_live_models_but_never_deprecated_ones(db: &TestDb) {
    let catalog = catalog(MODELS);
    let report = apply(db, &catalog).unwrap();
    assert_eq!(
        global_models(db),
        [
            "anthropic/claude-sonnet-4-6",
            "openai/gpt-4.1",
            "openai/gpt-4.1-mini"
        ],
        "deprecated gpt-4o / gpt-4o-mini are not seeded"
    );
    assert_eq!(report.counts.created, 3);
    assert_eq!(
        db.string(&format!(
            "SELECT {} AS v FROM llm_provider_models WHERE name = 'gpt-4.1'",
            db.text_cast("max_token_limit")
        )),
        "1000000"
    );
    assert_eq!(
        count(db, "llm_lifecycle_events WHERE action = 'created'"),
        3
    );
    assert_eq!(
        count(db, "llm_lifecycle_runs WHERE status = 'succeeded'"),
        1
    );
}

fn updates_a_drifted_token_limit_and_deprecated_flag(db: &TestDb) {
    migrate(db);
    seed_model(db, 100, None, "openai/gpt-4.1", 128_000, true);
    seed_model(db, 101, None, "openai/gpt-4o", 128_000, false);
    let catalog = catalog(MODELS);
    let plan = plan(db, &catalog);
    assert_eq!(plan.updates.len(), 2, "{plan:#?}");
    apply(db, &catalog).unwrap();
    assert_eq!(
        db.strings(&format!(
            "SELECT {} AS v \
             FROM llm_provider_models WHERE name IN ('gpt-4.1', 'gpt-4o') ORDER BY name",
            db.concat(&[
                "name",
                "':'",
                &db.text_cast("max_token_limit"),
                "':'",
                "CASE WHEN deprecated THEN 'deprecated' ELSE 'live' END",
            ])
        )),
        [
            Some("gpt-4.1:1000000:live".to_owned()),
            Some("gpt-4o:128000:deprecated".to_owned())
        ]
    );
    assert_eq!(
        count(
            db,
            "llm_lifecycle_events WHERE action = 'updated' AND name = 'gpt-4.1'"
        ),
        1
    );
    assert_eq!(
        count(
            db,
            "llm_lifecycle_events WHERE action = 'deprecated' AND name = 'gpt-4o'"
        ),
        1
    );
}

fn leaves_an_undeclared_global_row_alone_and_reports_it(db: &TestDb) {
    migrate(db);
    seed_model(db, 100, None, "openai/my-finetune", 4_096, false);
    seed_model(db, 101, Some(7), "openai/team-only", 4_096, false);
    let catalog = catalog(MODELS);
    let plan = plan(db, &catalog);
    let unmanaged: Vec<String> = plan.unmanaged.iter().map(|u| u.model.to_string()).collect();
    assert_eq!(
        unmanaged,
        ["openai/my-finetune"],
        "team rows are not reported"
    );
    let report = apply(db, &catalog).unwrap();
    assert_eq!(report.counts.unmanaged, 1);
    assert_eq!(global_id(db, "openai/my-finetune"), Some(100));
    assert_eq!(count(db, "llm_provider_models WHERE team_id = 7"), 1);
}

fn second_run_writes_only_the_ledger_row(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_references(db);
    let catalog = full_catalog();
    let first = apply(db, &catalog).unwrap();
    assert!(!first.plan.is_noop());
    let before = snapshot(db);
    let second = apply(db, &catalog).unwrap();
    assert!(second.plan.is_noop(), "{:#?}", second.plan);
    assert_eq!(
        snapshot(db),
        before,
        "a no-op apply changes no row and writes no journal row"
    );
    assert_eq!(count(db, "llm_lifecycle_runs"), 2);
    assert_eq!(
        count(
            db,
            &format!("llm_lifecycle_events WHERE run_id = {}", second.run_id)
        ),
        0
    );
}

fn merges_every_team_row_into_a_newly_created_global_row(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_model(db, 100, None, "openai/gpt-4.1", 1_000_000, false);
    seed_model(db, 201, Some(1), "openai/gpt-4.1-mini", 1_000_000, false);
    seed_model(db, 202, Some(2), "openai/gpt-4.1-mini", 500_000, false);
    seed_model(db, 203, Some(2), "openai/gpt-4.1", 1_000_000, false);
    db.execute(
        "INSERT INTO assistants (id, team_id, name, llm_provider_model_id) VALUES \
           (1, 1, 'One', 201), (2, 2, 'Two', 202), (3, 2, 'Three', 202), (4, 2, 'Kept', 203);
         INSERT INTO pipelines (id, team_id, name) VALUES (1, 2, 'P');
         INSERT INTO pipeline_nodes (id, pipeline_id, params) VALUES (1, 1, '{\"llm_provider_model_id\": \"202\"}');",
    );
    let catalog = full_catalog();
    let plan = plan(db, &catalog);
    let merged: Vec<i64> = plan.merges.iter().map(|m| m.id).collect();
    assert_eq!(
        merged,
        [201, 202],
        "team rows of an existing global model are not merged"
    );
    apply(db, &catalog).unwrap();

    let global = global_id(db, "openai/gpt-4.1-mini").unwrap();
    assert_eq!(count(db, "llm_provider_models WHERE id IN (201, 202)"), 0);
    assert_eq!(count(db, "llm_provider_models WHERE id = 203"), 1);
    assert_eq!(
        db.strings(&format!(
            "SELECT {} AS v FROM assistants ORDER BY id",
            db.text_cast("llm_provider_model_id")
        )),
        [
            Some(global.to_string()),
            Some(global.to_string()),
            Some(global.to_string()),
            Some("203".to_owned())
        ]
    );
    assert_eq!(json_value(db, "pipeline_nodes", 1), global.to_string());
    assert_eq!(count(db, "llm_lifecycle_events WHERE action = 'merged'"), 2);
}

fn plan_writes_nothing_not_even_the_schema(db: &TestDb) {
    let plan = plan(db, &catalog(MODELS));
    assert!(!plan.schema_present);
    assert_eq!(plan.creates.len(), 3);
    let tables = match db.backend() {
        llm_lifecycle_test_support::Backend::Sqlite => {
            count(db, "sqlite_master WHERE name = 'llm_provider_models'")
        }
        llm_lifecycle_test_support::Backend::Postgres => count(
            db,
            "information_schema.tables WHERE table_name = 'llm_provider_models'",
        ),
        // The server's other databases are in its information_schema too.
        llm_lifecycle_test_support::Backend::Mysql => count(
            db,
            "information_schema.tables WHERE table_schema = DATABASE() \
             AND table_name = 'llm_provider_models'",
        ),
    };
    assert_eq!(tables, 0);
}

/// The runtime's model table holds one global row per model and one row per
/// team and model, on every engine: a partial unique index on PostgreSQL and
/// SQLite, a generated column in the unique key on MySQL, which has no
/// partial index.
fn the_model_table_holds_one_global_row_per_model_and_one_per_team(db: &TestDb) {
    migrate(db);
    seed_model(db, 100, None, "openai/gpt-4.1", 1_000_000, false);
    seed_model(db, 101, Some(7), "openai/gpt-4.1", 1_000_000, false);
    seed_model(db, 102, Some(8), "openai/gpt-4.1", 1_000_000, false);
    seed_model(db, 103, None, "openai/gpt-4.1-mini", 1_000_000, false);
    let refused = |id: i64, team: Option<i64>| {
        std::panic::catch_unwind(|| seed_model(db, id, team, "openai/gpt-4.1", 1, false)).is_err()
    };
    assert!(refused(104, None), "a second global row of openai/gpt-4.1");
    assert!(
        refused(105, Some(7)),
        "a second row of team 7 for openai/gpt-4.1"
    );
    assert_eq!(count(db, "llm_provider_models"), 4);
}

llm_lifecycle_test_support::backend_tests!(
    creates_missing_live_models_but_never_deprecated_ones,
    updates_a_drifted_token_limit_and_deprecated_flag,
    leaves_an_undeclared_global_row_alone_and_reports_it,
    second_run_writes_only_the_ledger_row,
    merges_every_team_row_into_a_newly_created_global_row,
    plan_writes_nothing_not_even_the_schema,
    the_model_table_holds_one_global_row_per_model_and_one_per_team,
);
