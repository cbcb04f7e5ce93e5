//! Fixtures shared by the scenario tests: a small catalogue, host tables that
//! reference model rows, seeding helpers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::{ApplyOptions, ApplyReport, Database, DatabaseUrl, Error, Plan};
use llm_lifecycle_test_support::{Backend, TestDb};

/// Models and deleted entries used by most scenarios.
pub const MODELS: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000 },
  { name = "gpt-4o", token_limit = 128_000, deprecated = true, replacement = "gpt-4.1" },
  { name = "gpt-4o-mini", token_limit = 128_000, deprecated = true, replacement = "gpt-4.1-mini" },
]
deleted = [
  { name = "gpt-4-turbo", replacement = "gpt-4o" },
  { name = "gpt-4", replacement = "gpt-4-turbo" },
  { name = "o1-mini" },
]

[providers.anthropic]
models = [
  { name = "claude-sonnet-4-6", token_limit = 1_000_000, default = true },
]
"#;

/// `[[references]]` matching [`host_schema`].
pub const REFERENCES: &str = r#"
[[references]]
table = "assistants"
column = "llm_provider_model_id"
resource = "assistant"
team_column = "team_id"
name_column = "name"

[[references]]
table = "pipeline_nodes"
column = "params"
kind = "json"
key = "llm_provider_model_id"
resource = "pipeline"
through = { table = "pipelines", column = "pipeline_id" }
team_column = "team_id"
name_column = "name"

[[references]]
table = "evaluators"
column = "params"
kind = "json"
key = "llm_provider_model_id"
resource = "evaluator"

[[references]]
table = "experiments"
column = "llm"
kind = "text"
resource = "experiment"
"#;

/// The name of the test function `name` of the module at `module_path` (give
/// `module_path!()`) as libtest's `--exact` filter matches it: its path without
/// the crate's name, e.g. `processes::child_apply`. A child process of this
/// binary started with a name that matches nothing would run no test and succeed.
pub fn test_name(module_path: &str, name: &str) -> String {
    match module_path.split_once("::") {
        Some((_crate, module)) => format!("{module}::{name}"),
        None => name.to_owned(),
    }
}

/// Parses a test catalogue, panicking with the diagnostics when it is invalid.
pub fn catalog(source: &str) -> Catalog {
    match Catalog::parse(source, "test.toml") {
        Ok(catalog) => catalog,
        Err(diagnostics) => panic!("invalid test catalogue: {diagnostics}"),
    }
}

/// The usual catalogue: [`MODELS`] plus [`REFERENCES`].
pub fn full_catalog() -> Catalog {
    catalog(&format!("{MODELS}\n{REFERENCES}"))
}

/// A runtime connection to the test database.
pub fn connect(db: &TestDb) -> Database<'static> {
    Database::connect(&DatabaseUrl::parse(db.url()).unwrap()).unwrap()
}

/// Creates the runtime's schema (as `apply-models migrate` does).
pub fn migrate(db: &TestDb) {
    llm_lifecycle_runtime::migrate(&mut connect(db), &full_catalog()).unwrap();
}

/// The options scenarios apply with: the defaults, with the batch size of
/// `LLM_LIFECYCLE_TEST_BATCH_SIZE` when it is set (`.ci/run` reruns the
/// reference, notification and rollback scenarios with batches of 2 rows).
pub fn options() -> ApplyOptions {
    ApplyOptions {
        batch_size: test_batch_size(),
        ..ApplyOptions::default()
    }
}

/// `LLM_LIFECYCLE_TEST_BATCH_SIZE`, when set (a value that is not a positive
/// integer fails the test instead of silently running unbatched).
pub fn test_batch_size() -> Option<std::num::NonZeroU64> {
    let value = std::env::var("LLM_LIFECYCLE_TEST_BATCH_SIZE").ok()?;
    Some(value.parse().unwrap_or_else(|_| {
        panic!("LLM_LIFECYCLE_TEST_BATCH_SIZE={value}: not a positive integer")
    }))
}

/// Applies `catalog` with [`options`].
pub fn apply(db: &TestDb, catalog: &Catalog) -> Result<ApplyReport, Error> {
    llm_lifecycle_runtime::apply(&mut connect(db), catalog, &options())
}

/// Plans `catalog` (no writes).
pub fn plan(db: &TestDb, catalog: &Catalog) -> Plan {
    llm_lifecycle_runtime::plan(&mut connect(db), catalog).unwrap()
}

/// `id` of a host table: an auto-incremented `BIGINT` primary key on the engine.
pub fn serial(db: &TestDb) -> &'static str {
    match db.backend() {
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Mysql => "BIGINT AUTO_INCREMENT PRIMARY KEY",
    }
}

/// Host tables referencing model rows: an integer FK, JSON (jsonb on PostgreSQL),
/// JSON in a `json` column on PostgreSQL / text on SQLite, a text id. On MySQL
/// both JSON columns are `JSON` (on MariaDB a LONGTEXT checked by `json_valid`).
/// Foreign keys are table constraints: MySQL ignores a column's `REFERENCES`.
/// Needs the runtime schema first ([`migrate`]).
pub fn host_schema(db: &TestDb) {
    let serial = serial(db);
    let (jsonb, json) = match db.backend() {
        Backend::Postgres => ("JSONB", "JSON"),
        Backend::Sqlite => ("TEXT", "TEXT"),
        Backend::Mysql => ("JSON", "JSON"),
    };
    db.execute(&format!(
        "CREATE TABLE assistants (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL, \
           archived BOOLEAN NOT NULL DEFAULT FALSE, llm_provider_model_id BIGINT NULL, \
           FOREIGN KEY (llm_provider_model_id) REFERENCES llm_provider_models (id));
         CREATE TABLE pipelines (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL);
         CREATE TABLE pipeline_nodes (id {serial}, pipeline_id BIGINT NOT NULL, params {jsonb} NOT NULL, \
           FOREIGN KEY (pipeline_id) REFERENCES pipelines (id));
         CREATE TABLE evaluators (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL, params {json} NOT NULL);
         CREATE TABLE experiments (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL, llm TEXT NULL);"
    ));
}

/// Inserts a model row with an explicit id (ids ≥ 100 keep clear of the ones the runtime creates).
pub fn seed_model(
    db: &TestDb,
    id: i64,
    team_id: Option<i64>,
    id_str: &str,
    token_limit: i64,
    deprecated: bool,
) {
    let (provider, name) = id_str.split_once('/').unwrap();
    let team = team_id.map_or("NULL".to_owned(), |t| t.to_string());
    db.execute(&format!(
        "INSERT INTO llm_provider_models (id, team_id, provider, name, max_token_limit, deprecated) \
         VALUES ({id}, {team}, '{provider}', '{name}', {token_limit}, {deprecated})"
    ));
}

/// The global row id of a model, if present.
pub fn global_id(db: &TestDb, id_str: &str) -> Option<i64> {
    let (provider, name) = id_str.split_once('/').unwrap();
    db.strings(&format!(
        "SELECT {} AS v FROM llm_provider_models \
         WHERE team_id IS NULL AND provider = '{provider}' AND name = '{name}'",
        db.text_cast("id")
    ))
    .first()
    .map(|v| v.as_deref().unwrap().parse().unwrap())
}

/// Every global model as `provider/name`, sorted.
pub fn global_models(db: &TestDb) -> Vec<String> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_provider_models WHERE team_id IS NULL \
         ORDER BY provider, name",
        db.concat(&["provider", "'/'", "name"])
    ))
    .into_iter()
    .map(Option::unwrap)
    .collect()
}

/// Number of rows of a query's result: `SELECT COUNT(*)` as text.
pub fn count(db: &TestDb, from_where: &str) -> i64 {
    db.string(&format!(
        "SELECT {} AS v FROM {from_where}",
        db.text_cast("COUNT(*)")
    ))
    .parse()
    .unwrap()
}

/// The value under `key` of a JSON column, as stored (`101`, `"101"`, `null`).
pub fn json_value(db: &TestDb, table: &str, id: i64) -> String {
    let sql = match db.backend() {
        Backend::Postgres => format!(
            "SELECT CAST(CAST(params AS jsonb) -> 'llm_provider_model_id' AS TEXT) AS v FROM {table} WHERE id = {id}"
        ),
        Backend::Sqlite => format!(
            "SELECT CASE json_type(params, '$.llm_provider_model_id') \
               WHEN 'text' THEN '\"' || json_extract(params, '$.llm_provider_model_id') || '\"' \
               WHEN 'null' THEN 'null' \
               ELSE CAST(json_extract(params, '$.llm_provider_model_id') AS TEXT) END AS v \
             FROM {table} WHERE id = {id}"
        ),
        // JSON_EXTRACT gives the value as JSON text: `101`, `"101"`, `null`.
        Backend::Mysql => format!(
            "SELECT CAST(JSON_EXTRACT(params, '$.llm_provider_model_id') AS CHAR) AS v \
             FROM {table} WHERE id = {id}"
        ),
    };
    db.string(&sql)
}

/// A snapshot of everything a failed apply must leave untouched.
pub fn snapshot(db: &TestDb) -> Vec<Option<String>> {
    let text = |expr: &str| db.text_cast(expr);
    let mut all = db.strings(&format!(
        "SELECT {} AS v FROM llm_provider_models ORDER BY id",
        db.concat(&[
            &text("id"),
            "':'",
            &format!("COALESCE({}, '-')", text("team_id")),
            "':'",
            "provider",
            "'/'",
            "name",
            "':'",
            &text("max_token_limit"),
        ])
    ));
    all.extend(db.strings(&format!(
        "SELECT {} AS v FROM assistants ORDER BY id",
        db.concat(&[
            &text("id"),
            "':'",
            &format!("COALESCE({}, 'null')", text("llm_provider_model_id")),
        ])
    )));
    all.extend(db.strings(&format!(
        "SELECT {} AS v FROM pipeline_nodes ORDER BY id",
        text("params")
    )));
    all.extend(db.strings("SELECT COALESCE(llm, 'null') AS v FROM experiments ORDER BY id"));
    all.extend(db.strings(&format!(
        "SELECT {} AS v FROM llm_lifecycle_events",
        text("COUNT(*)")
    )));
    all
}

/// The usual host data: a deleted model with replacement (`openai/gpt-4-turbo`, id 101),
/// one without (`openai/o1-mini`, id 102), a chain (`openai/gpt-4`, id 103), and
/// references to each in every kind of column.
pub fn seed_references(db: &TestDb) {
    seed_model(db, 101, None, "openai/gpt-4-turbo", 128_000, false);
    seed_model(db, 102, None, "openai/o1-mini", 128_000, false);
    seed_model(db, 103, None, "openai/gpt-4", 8_192, false);
    db.execute(
        "INSERT INTO assistants (id, team_id, name, archived, llm_provider_model_id) VALUES \
           (1, 1, 'Helper', FALSE, 101), (2, 1, 'Old helper', TRUE, 101), (3, 2, 'Quiet', FALSE, 102), \
           (4, 2, 'Ancient', FALSE, 103), (5, 2, 'Unset', FALSE, NULL);
         INSERT INTO pipelines (id, team_id, name) VALUES (1, 1, 'Support'), (2, 2, 'Triage');
         INSERT INTO pipeline_nodes (id, pipeline_id, params) VALUES \
           (1, 1, '{\"llm_provider_model_id\": 101, \"temperature\": 0.2}'), \
           (2, 1, '{\"llm_provider_model_id\": \"101\"}'), \
           (3, 2, '{\"llm_provider_model_id\": 102}'), \
           (4, 2, '{\"other_key\": 101}'), \
           (5, 2, '[101]');
         INSERT INTO evaluators (id, team_id, name, params) VALUES \
           (1, 1, 'Judge', '{\"llm_provider_model_id\": \"103\"}');
         INSERT INTO experiments (id, team_id, name, llm) VALUES \
           (1, 1, 'A/B', 'openai/gpt-4-turbo'), (2, 2, 'Gone', 'openai/o1-mini'), (3, 2, 'Keep', 'openai/gpt-4.1');",
    );
}
