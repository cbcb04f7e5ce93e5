//! The README's `models.toml` example works as written: against the host tables
//! it describes, its plan is not refused, its `filter` counts only the rows it
//! names, and the misleading reading (a `through` table's column in the filter
//! of the referencing table) is refused. Every scenario runs on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::Refusal;
use llm_lifecycle_test_support::{Backend, TestDb};

/// The first ```toml block of the root README.
fn readme_catalogue() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].to_owned()
}

fn readme_schema(db: &TestDb) {
    let serial = serial(db);
    let jsonb = match db.backend() {
        Backend::Postgres => "JSONB",
        Backend::Sqlite => "TEXT",
        Backend::Mysql => "JSON",
    };
    db.execute(&format!(
        "CREATE TABLE assistants (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL, \
           is_archived BOOLEAN NOT NULL DEFAULT FALSE, llm_provider_model_id BIGINT NULL, \
           FOREIGN KEY (llm_provider_model_id) REFERENCES llm_provider_models (id));
         CREATE TABLE pipelines (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL, \
           is_archived BOOLEAN NOT NULL DEFAULT FALSE);
         CREATE TABLE pipeline_nodes (id {serial}, pipeline_id BIGINT NOT NULL, params {jsonb} NOT NULL, \
           FOREIGN KEY (pipeline_id) REFERENCES pipelines (id));
         CREATE TABLE experiments (id {serial}, llm TEXT NULL);
         CREATE TABLE memberships (user_id BIGINT NOT NULL, team_id BIGINT NOT NULL, perm TEXT NOT NULL);"
    ));
    seed_model(db, 101, None, "openai/gpt-4-turbo", 128_000, false);
    db.execute(
        "INSERT INTO assistants (id, team_id, name, is_archived, llm_provider_model_id) VALUES \
           (1, 1, 'Live', FALSE, 101), (2, 2, 'Archived', TRUE, 101);
         INSERT INTO pipelines (id, team_id, name) VALUES (1, 1, 'Flow');
         INSERT INTO pipeline_nodes (id, pipeline_id, params) VALUES (1, 1, '{\"llm_provider_model_id\": 101}');
         INSERT INTO experiments (id, llm) VALUES (1, 'openai/gpt-4-turbo');",
    );
}

fn the_readme_catalogue_applies_as_written(db: &TestDb) {
    migrate(db);
    readme_schema(db);
    let catalog = catalog(&readme_catalogue());
    let plan = plan(db, &catalog);
    assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);
    // The filter runs on assistants: the archived one (team 2) is not counted.
    let turbo = plan
        .affected
        .iter()
        .find(|model| model.model.to_string() == "openai/gpt-4-turbo")
        .unwrap();
    let teams: Vec<i64> = turbo.teams.iter().map(|team| team.team_id).collect();
    assert_eq!(teams, [1], "{turbo:?}");
    let report = apply(db, &catalog).unwrap();
    // Repointing still covers every row, archived or not.
    assert_eq!(report.counts.repointed_rows, 4);
}

fn a_through_tables_column_in_the_filter_is_refused(db: &TestDb) {
    migrate(db);
    readme_schema(db);
    // The misleading reading: `is_archived` of pipelines, in the pipeline_nodes entry.
    let source = readme_catalogue().replace(
        "# a `filter` here would be a condition on pipeline_nodes (the referencing table), not on pipelines",
        "filter = \"is_archived = false\"",
    );
    let catalog = Catalog::parse(&source, "README.md").unwrap();
    let plan = plan(db, &catalog);
    assert!(
        matches!(
            plan.refusals.as_slice(),
            [Refusal::InvalidFilter { table, .. }] if table == "pipeline_nodes"
        ),
        "{:?}",
        plan.refusals
    );
}

llm_lifecycle_test_support::backend_tests!(
    the_readme_catalogue_applies_as_written,
    a_through_tables_column_in_the_filter_is_refused,
);
