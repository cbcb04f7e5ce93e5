//! The issue's "Done when", on every backend: a database whose tables were
//! created the way Django creates them for the reference platform
//! (`llm_lifecycle_test_support::django`), populated as years of Django data
//! migrations leave it (global, duplicate and team-custom rows, drifted limits
//! and flags, deleted models referenced from every kind of column, JSON ids as
//! numbers and as strings, an unknown model), converges in one apply of the
//! real root catalogue with a `[model_table]`; a second apply has nothing to
//! do, and no reference that had a replacement was lost or nulled.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use crate::common::{apply, count, plan};
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::Error;
use llm_lifecycle_test_support::django::{self, MODEL_TABLE};
use llm_lifecycle_test_support::{Backend, TestDb};

/// The real catalogue, with the reference platform's model table and the
/// columns that reference it.
const HOST: &str = r#"
[model_table]
table = "service_providers_llmprovidermodel"
provider = "type"
token_limit = "max_token_limit"
team = "team_id"
created_at = "created_at"
updated_at = "updated_at"

[[references]]
table = "assistants_openaiassistant"
column = "llm_provider_model_id"
resource = "assistant"
team_column = "team_id"
name_column = "name"

[[references]]
table = "experiments_experiment"
column = "llm_provider_model_id"
resource = "chatbot"
team_column = "team_id"
name_column = "name"

[[references]]
table = "experiments_experiment"
column = "translation_llm_provider_model_id"
resource = "chatbot"
team_column = "team_id"
name_column = "name"

[[references]]
table = "pipelines_node"
column = "params"
kind = "json"
key = "llm_provider_model_id"
resource = "pipeline"
through = { table = "pipelines_pipeline", column = "pipeline_id" }
team_column = "team_id"
name_column = "name"
companions = { user_max_token_limit = "token_limit", llm_model_parameters = "remove" }

[[references]]
table = "pipelines_node"
column = "llm_provider_model_id"
resource = "pipeline"
through = { table = "pipelines_pipeline", column = "pipeline_id" }
team_column = "team_id"
name_column = "name"
"#;

fn host_catalog() -> Catalog {
    let source = format!("{}\n{HOST}", include_str!("../../../models.toml"));
    match Catalog::parse(&source, "models.toml") {
        Ok(catalog) => catalog,
        Err(diagnostics) => panic!("the real catalogue with [model_table]: {diagnostics}"),
    }
}

/// `(label, team, provider/name, max_token_limit, deprecated, created_at)`.
type Row = (
    &'static str,
    Option<i64>,
    &'static str,
    i64,
    bool,
    &'static str,
);

/// The model rows Django left, by label, inserted in this order (ids from the database's
/// identity, as Django's ORM gets them).
#[rustfmt::skip]
const ROWS: [Row; 21] = [
    // Live models, as a first data migration seeded them.
    ("gpt-4.1", None, "openai/gpt-4.1", 1_000_000, false, "2024-01-10 09:00:00"),
    ("gpt-4.1-mini", None, "openai/gpt-4.1-mini", 1_000_000, false, "2024-01-10 09:00:00"),
    // Drifted: a wrong limit; a deprecated model never flagged.
    ("gpt-4o", None, "openai/gpt-4o", 8_192, false, "2024-01-10 09:00:00"),
    ("claude-sonnet-4-6", None, "anthropic/claude-sonnet-4-6", 200_000, false, "2024-01-10 09:00:00"),
    ("gpt-3.5-turbo", None, "openai/gpt-3.5-turbo", 16_384, false, "2024-01-10 09:00:00"),
    ("claude-3-7-sonnet", None, "anthropic/claude-3-7-sonnet-20250219", 204_800, true, "2024-01-10 09:00:00"),
    // A second data migration created gpt-4.1 again (same limit, another id).
    ("gpt-4.1 again", None, "openai/gpt-4.1", 1_000_000, false, "2024-06-02 09:00:00"),
    // Deleted models with a replacement (gpt-4-0613 twice).
    ("gpt-4-turbo", None, "openai/gpt-4-turbo", 128_000, false, "2024-01-10 09:00:00"),
    ("gpt-4-0613", None, "openai/gpt-4-0613", 8_192, false, "2024-01-10 09:00:00"),
    ("gpt-4-0613 again", None, "openai/gpt-4-0613", 8_192, false, "2024-06-02 09:00:00"),
    ("claude-sonnet-4", None, "anthropic/claude-sonnet-4-20250514", 200_000, false, "2024-01-10 09:00:00"),
    // Its replacement has no row yet: the apply creates it.
    ("gemini-3-pro-preview", None, "google_vertex_ai/gemini-3-pro-preview", 1_048_576, false, "2024-01-10 09:00:00"),
    // Deleted models without a replacement.
    ("o1-mini", None, "openai/o1-mini", 128_000, false, "2024-01-10 09:00:00"),
    ("llama3-70b", None, "groq/llama3-70b-8192", 8_192, false, "2024-01-10 09:00:00"),
    // Models the catalogue does not know.
    ("davinci", None, "openai/text-davinci-003", 4_096, false, "2023-03-01 09:00:00"),
    ("mistral", None, "mistral/mistral-large-latest", 128_000, false, "2023-03-01 09:00:00"),
    // Team 1's custom rows of a live model without a global row, differing only in limit
    // (Django's UNIQUE (team_id, name, type, max_token_limit) allows it); one of team 2.
    ("team 1 gpt-5.4-mini 400k", Some(1), "openai/gpt-5.4-mini", 400_000, false, "2025-03-01 09:00:00"),
    ("team 1 gpt-5.4-mini 128k", Some(1), "openai/gpt-5.4-mini", 128_000, false, "2025-03-02 09:00:00"),
    ("team 1 gpt-5.4-mini 32k", Some(1), "openai/gpt-5.4-mini", 32_000, false, "2025-03-03 09:00:00"),
    ("team 2 gpt-5.4-mini", Some(2), "openai/gpt-5.4-mini", 400_000, false, "2025-03-04 09:00:00"),
    // A custom row of a model that has a global row: not merged, kept.
    ("team 3 claude-sonnet-4-6", Some(3), "anthropic/claude-sonnet-4-6", 64_000, false, "2025-04-01 09:00:00"),
];

/// What a reference must point at after the apply.
#[derive(Debug, Clone, Copy)]
enum Expected {
    /// The row it pointed at, untouched.
    Same,
    /// The one global row of this live model (`provider/name`).
    Live(&'static str),
    /// The live global row at the end of this deleted entry's replacement chain
    /// in the catalogue (`catalog.chain_end`), or cleared when it has none.
    Chain(&'static str),
}

/// How a reference column holds the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    ForeignKey,
    /// JSON number.
    Number,
    /// JSON string.
    Text,
}

/// `(table, column, row id, how, label of the model row it points at, expected)`.
type Reference = (
    &'static str,
    &'static str,
    i64,
    Holds,
    &'static str,
    Expected,
);

const ASSISTANT: &str = "assistants_openaiassistant";
const EXPERIMENT: &str = "experiments_experiment";
const NODE: &str = "pipelines_node";
const LLM: &str = "llm_provider_model_id";
const TRANSLATION: &str = "translation_llm_provider_model_id";
const PARAMS: &str = "params";

use Expected::{Chain, Live, Same};
use Holds::{ForeignKey, Number, Text};

/// Every reference Django's rows hold. No assistant (NOT NULL) points at a
/// deleted model without replacement: that plan is refused (see
/// [`refuses_clearing_an_assistants_not_null_foreign_key`]).
#[rustfmt::skip]
const REFERENCES: [Reference; 30] = [
    (ASSISTANT, LLM, 1, ForeignKey, "gpt-4-turbo", Chain("openai/gpt-4-turbo")),
    (ASSISTANT, LLM, 2, ForeignKey, "gpt-4.1 again", Live("openai/gpt-4.1")),
    (ASSISTANT, LLM, 3, ForeignKey, "team 1 gpt-5.4-mini 128k", Live("openai/gpt-5.4-mini")),
    (ASSISTANT, LLM, 4, ForeignKey, "claude-sonnet-4", Chain("anthropic/claude-sonnet-4-20250514")),
    (ASSISTANT, LLM, 5, ForeignKey, "gemini-3-pro-preview", Chain("google_vertex_ai/gemini-3-pro-preview")),
    (ASSISTANT, LLM, 6, ForeignKey, "davinci", Same),
    (ASSISTANT, LLM, 7, ForeignKey, "gpt-3.5-turbo", Same),
    (ASSISTANT, LLM, 8, ForeignKey, "gpt-4-0613 again", Chain("openai/gpt-4-0613")),
    (EXPERIMENT, LLM, 1, ForeignKey, "gpt-4-0613", Chain("openai/gpt-4-0613")),
    (EXPERIMENT, TRANSLATION, 1, ForeignKey, "o1-mini", Chain("openai/o1-mini")),
    (EXPERIMENT, LLM, 2, ForeignKey, "team 2 gpt-5.4-mini", Live("openai/gpt-5.4-mini")),
    (EXPERIMENT, TRANSLATION, 2, ForeignKey, "gpt-4.1 again", Live("openai/gpt-4.1")),
    (EXPERIMENT, LLM, 3, ForeignKey, "claude-sonnet-4", Chain("anthropic/claude-sonnet-4-20250514")),
    (EXPERIMENT, LLM, 4, ForeignKey, "llama3-70b", Chain("groq/llama3-70b-8192")),
    (EXPERIMENT, TRANSLATION, 4, ForeignKey, "gemini-3-pro-preview", Chain("google_vertex_ai/gemini-3-pro-preview")),
    (EXPERIMENT, LLM, 5, ForeignKey, "team 3 claude-sonnet-4-6", Same),
    (EXPERIMENT, TRANSLATION, 5, ForeignKey, "mistral", Same),
    (EXPERIMENT, LLM, 6, ForeignKey, "team 1 gpt-5.4-mini 32k", Live("openai/gpt-5.4-mini")),
    (EXPERIMENT, TRANSLATION, 6, ForeignKey, "gpt-4.1", Same),
    // Nodes: the JSON id and the foreign key mirroring it.
    (NODE, PARAMS, 1, Number, "gpt-4-turbo", Chain("openai/gpt-4-turbo")),
    (NODE, PARAMS, 2, Text, "gpt-4-turbo", Chain("openai/gpt-4-turbo")),
    (NODE, PARAMS, 3, Number, "team 2 gpt-5.4-mini", Live("openai/gpt-5.4-mini")),
    (NODE, PARAMS, 4, Text, "gpt-4.1 again", Live("openai/gpt-4.1")),
    (NODE, PARAMS, 5, Number, "gemini-3-pro-preview", Chain("google_vertex_ai/gemini-3-pro-preview")),
    (NODE, PARAMS, 6, Text, "o1-mini", Chain("openai/o1-mini")),
    (NODE, PARAMS, 7, Text, "claude-sonnet-4", Chain("anthropic/claude-sonnet-4-20250514")),
    (NODE, PARAMS, 8, Number, "davinci", Same),
    (NODE, PARAMS, 9, Text, "team 1 gpt-5.4-mini 400k", Live("openai/gpt-5.4-mini")),
    (NODE, PARAMS, 10, Text, "gpt-4o", Same),
    (NODE, PARAMS, 11, Text, "llama3-70b", Chain("groq/llama3-70b-8192")),
];

/// The engine's literal for a boolean.
fn boolean(value: bool) -> &'static str {
    if value { "TRUE" } else { "FALSE" }
}

/// Django's tables, populated. The model rows' ids, by label.
fn populated(db: &TestDb) -> HashMap<&'static str, i64> {
    django::create_schema(db);
    db.execute(
        "INSERT INTO teams_team (id, name, slug) VALUES \
           (1, 'Acme', 'acme'), (2, 'Globex', 'globex'), (3, 'Initech', 'initech')",
    );
    let mut ids = HashMap::new();
    for (label, team, model, limit, deprecated, created) in ROWS {
        let (provider, name) = model.split_once('/').unwrap();
        let team = team.map_or("NULL".to_owned(), |t| t.to_string());
        db.execute(&format!(
            "INSERT INTO {MODEL_TABLE} (type, name, max_token_limit, deprecated, created_at, \
               updated_at, team_id) \
             VALUES ('{provider}', '{name}', {limit}, {}, '{created}', '{created}', {team})",
            boolean(deprecated)
        ));
        let id: i64 = db
            .string(&format!(
                "SELECT {} AS v FROM {MODEL_TABLE}",
                db.text_cast("MAX(id)")
            ))
            .parse()
            .unwrap();
        ids.insert(label, id);
    }
    let id = |label: &str| ids[label];

    // Each assistant belongs to a team; the NOT NULL foreign key is set on every row.
    let teams = [1, 2, 1, 2, 3, 3, 1, 2];
    let mut values = Vec::new();
    let mut experiments: HashMap<i64, (Option<i64>, Option<i64>)> = HashMap::new();
    let mut nodes: Vec<(i64, Holds, i64)> = Vec::new();
    for (table, column, row, holds, label, _) in REFERENCES {
        match (table, column) {
            (ASSISTANT, _) => values.push(format!(
                "({row}, 'Assistant {row}', {}, {})",
                id(label),
                teams[usize::try_from(row).unwrap() - 1]
            )),
            (EXPERIMENT, LLM) => experiments.entry(row).or_default().0 = Some(id(label)),
            (EXPERIMENT, _) => experiments.entry(row).or_default().1 = Some(id(label)),
            _ => nodes.push((row, holds, id(label))),
        }
    }
    db.execute(&format!(
        "INSERT INTO {ASSISTANT} (id, name, llm_provider_model_id, team_id) VALUES {}",
        values.join(", ")
    ));
    let mut experiments: Vec<_> = experiments.into_iter().collect();
    experiments.sort_unstable();
    let or_null = |id: Option<i64>| id.map_or("NULL".to_owned(), |id| id.to_string());
    let values: Vec<String> = experiments
        .iter()
        .map(|(row, (llm, translation))| {
            format!(
                "({row}, 'Chatbot {row}', {}, {}, {})",
                or_null(*llm),
                1 + (row - 1) % 3,
                or_null(*translation)
            )
        })
        .collect();
    db.execute(&format!(
        "INSERT INTO {EXPERIMENT} (id, name, llm_provider_model_id, team_id, \
           translation_llm_provider_model_id) VALUES {}",
        values.join(", ")
    ));

    // One pipeline per team; nodes 1, 2, 7, 9 in team 1's, 3, 4, 10 in team 2's, the rest in
    // team 3's. An LLM node's params carry the id (number or string), the limit the user
    // picked and the model's parameters; the row's foreign key mirrors the id.
    db.execute(
        "INSERT INTO pipelines_pipeline (id, name, data, team_id) VALUES \
           (1, 'Support flow', '{}', 1), (2, 'Triage', '{}', 2), (3, 'Research', '{}', 3)",
    );
    let pipeline = |node: i64| match node {
        1 | 2 | 7 | 9 => 1,
        3 | 4 | 10 => 2,
        _ => 3,
    };
    let mut values: Vec<String> = nodes
        .iter()
        .map(|&(row, holds, model)| {
            let key = if holds == Text {
                format!("\"{model}\"")
            } else {
                model.to_string()
            };
            format!(
                "({row}, 'node-{row}', 'LLMResponseWithPrompt', 'LLM {row}', \
                 '{{\"{}\": {key}, \"user_max_token_limit\": 4096, \
                 \"llm_model_parameters\": {{\"temperature\": 0.7}}, \"prompt\": \"You are helpful\"}}', \
                 {model}, {})",
                django::NODE_PARAMS_MODEL_KEY,
                pipeline(row)
            )
        })
        .collect();
    // A node that is no LLM node: no model in its params, no foreign key.
    values.push(
        "(12, 'node-12', 'StartNode', 'Start', '{\"prompt\": \"unrelated\"}', NULL, 1)".to_owned(),
    );
    db.execute(&format!(
        "INSERT INTO {NODE} (id, flow_id, type, label, params, llm_provider_model_id, pipeline_id) \
         VALUES {}",
        values.join(", ")
    ));
    ids
}

/// The value of `key` in node `id`'s params, as JSON text (`missing` when absent).
fn node_key(db: &TestDb, id: i64, key: &str) -> String {
    let sql = match db.backend() {
        Backend::Postgres => format!(
            "SELECT COALESCE(CAST(params -> '{key}' AS TEXT), 'missing') AS v FROM {NODE} WHERE id = {id}"
        ),
        Backend::Sqlite => format!(
            "SELECT CASE WHEN json_type(params, '$.{key}') IS NULL THEN 'missing' \
               WHEN json_type(params, '$.{key}') = 'null' THEN 'null' \
               WHEN json_type(params, '$.{key}') = 'text' THEN '\"' || json_extract(params, '$.{key}') || '\"' \
               WHEN json_type(params, '$.{key}') IN ('object', 'array') THEN json_extract(params, '$.{key}') \
               ELSE CAST(json_extract(params, '$.{key}') AS TEXT) END AS v FROM {NODE} WHERE id = {id}"
        ),
        Backend::Mysql => format!(
            "SELECT COALESCE(CAST(JSON_EXTRACT(params, '$.{key}') AS CHAR), 'missing') AS v \
             FROM {NODE} WHERE id = {id}"
        ),
    };
    db.string(&sql).replace(' ', "")
}

/// A foreign key's value as text (`NULL` when null).
fn column(db: &TestDb, table: &str, column: &str, id: i64) -> String {
    db.string(&format!(
        "SELECT COALESCE({}, 'NULL') AS v FROM {table} WHERE id = {id}",
        db.text_cast(column)
    ))
}

/// The ids of the global rows of `provider/name`, oldest first.
fn global_rows(db: &TestDb, model: &str) -> Vec<i64> {
    let (provider, name) = model.split_once('/').unwrap();
    db.strings(&format!(
        "SELECT {} AS v FROM {MODEL_TABLE} WHERE team_id IS NULL AND type = '{provider}' \
           AND name = '{name}' ORDER BY id",
        db.text_cast("id")
    ))
    .into_iter()
    .map(|id| id.unwrap().parse().unwrap())
    .collect()
}

/// The one global row of the live model `provider/name`.
fn the_global_row(db: &TestDb, model: &str) -> i64 {
    match global_rows(db, model).as_slice() {
        [id] => *id,
        other => panic!("{model}: expected one global row, found {other:?}"),
    }
}

/// `id:team:provider/name:limit:flag` of every model row.
fn model_rows(db: &TestDb) -> Vec<String> {
    let text = |expr: &str| db.text_cast(expr);
    db.strings(&format!(
        "SELECT {} AS v FROM {MODEL_TABLE} ORDER BY id",
        db.concat(&[
            &text("id"),
            "':'",
            &format!("COALESCE({}, '-')", text("team_id")),
            "':'",
            "type",
            "'/'",
            "name",
            "':'",
            &text("max_token_limit"),
            "':'",
            "CASE WHEN deprecated THEN 'deprecated' ELSE 'live' END",
        ])
    ))
    .into_iter()
    .map(Option::unwrap)
    .collect()
}

fn converges_a_django_database_with_the_real_catalogue(db: &TestDb) {
    let ids = populated(db);
    let catalog = host_catalog();
    let row = |label: &str| ids[label];

    let plan = plan(db, &catalog);
    assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);
    let rendered = llm_lifecycle_runtime::plan::render::text(&plan);
    // The duplicate global row merges into the oldest; team rows into the created row.
    assert!(
        rendered.contains(&format!(
            "~ merge duplicate global openai/gpt-4.1 (row {}) into the oldest global row (row {})",
            row("gpt-4.1 again"),
            row("gpt-4.1")
        )),
        "{rendered}"
    );
    assert_eq!(
        plan.merges.len(),
        5,
        "one duplicate, four team rows: {:?}",
        plan.merges
    );
    // Every row of every deleted model goes, none other.
    let mut deleted: Vec<i64> = plan.deletions.iter().map(|d| d.id).collect();
    deleted.sort_unstable();
    let mut expected: Vec<i64> = [
        "gpt-4-turbo",
        "gpt-4-0613",
        "gpt-4-0613 again",
        "claude-sonnet-4",
        "gemini-3-pro-preview",
        "o1-mini",
        "llama3-70b",
    ]
    .map(row)
    .to_vec();
    expected.sort_unstable();
    assert_eq!(deleted, expected);
    let mut unmanaged: Vec<i64> = plan.unmanaged.iter().map(|u| u.id).collect();
    unmanaged.sort_unstable();
    assert_eq!(unmanaged, [row("davinci"), row("mistral")]);

    // One transaction; with deferrable foreign keys nothing may fail at COMMIT.
    let report = match apply(db, &catalog) {
        Ok(report) => report,
        Err(error) => panic!("the apply failed on {:?}: {error}", db.backend()),
    };
    assert_eq!(report.counts.merged, 5, "{:?}", report.counts);
    assert_eq!(report.counts.deleted, 7, "{:?}", report.counts);
    assert_eq!(report.counts.unmanaged, 2, "{:?}", report.counts);
    // gpt-4o's limit, claude-sonnet-4-6's limit, gpt-3.5-turbo's flag.
    assert_eq!(report.counts.updated, 3, "{:?}", report.counts);
    // Cleared: experiment 1's translation, experiment 4's llm, node 6 and node 11 (the JSON
    // id and the foreign key each).
    assert_eq!(report.counts.cleared_rows, 6, "{:?}", report.counts);

    // Every live model has exactly one global row with the catalogue's limit and flag (the
    // deprecated ones only where a row existed); no deleted model has a row left.
    for (provider, model) in catalog.models() {
        let id = format!("{}/{}", provider.key, model.name);
        let rows = global_rows(db, &id);
        if model.deprecated && rows.is_empty() {
            continue;
        }
        assert_eq!(rows.len(), 1, "{id}: {rows:?}");
        let (limit, deprecated) = {
            let value = db.string(&format!(
                "SELECT {} AS v FROM {MODEL_TABLE} WHERE id = {}",
                db.concat(&[
                    &db.text_cast("max_token_limit"),
                    "':'",
                    "CASE WHEN deprecated THEN 'true' ELSE 'false' END"
                ]),
                rows[0]
            ));
            let (limit, flag) = value.split_once(':').unwrap();
            (limit.parse::<u32>().unwrap(), flag == "true")
        };
        assert_eq!(
            (limit, deprecated),
            (model.token_limit, model.deprecated),
            "{id}"
        );
    }
    assert_eq!(
        count(
            db,
            &format!(
                "{MODEL_TABLE} WHERE team_id IS NULL AND deprecated = {}",
                boolean(false)
            )
        ),
        // 71 live, non-deprecated models and the two unknown rows.
        71 + 2
    );
    for (provider, entry) in catalog.deleted() {
        let id = format!("{}/{}", provider.key, entry.name);
        assert_eq!(global_rows(db, &id), Vec::<i64>::new(), "{id}");
    }
    // The oldest gpt-4.1 row stayed; the unknown rows and team 3's custom row are untouched.
    assert_eq!(the_global_row(db, "openai/gpt-4.1"), row("gpt-4.1"));
    let all = model_rows(db);
    for (label, expected) in [
        ("davinci", "-:openai/text-davinci-003:4096:live"),
        ("mistral", "-:mistral/mistral-large-latest:128000:live"),
        (
            "team 3 claude-sonnet-4-6",
            "3:anthropic/claude-sonnet-4-6:64000:live",
        ),
    ] {
        let line = format!("{}:{expected}", row(label));
        assert!(all.contains(&line), "{line} in {all:?}");
    }
    // Merged team rows are gone: no custom row of gpt-5.4-mini is left.
    assert_eq!(
        count(
            db,
            &format!("{MODEL_TABLE} WHERE team_id IS NOT NULL AND name = 'gpt-5.4-mini'")
        ),
        0
    );
    // Rows the apply inserted carry both timestamps (Django sets them in Python).
    assert_eq!(
        count(
            db,
            &format!("{MODEL_TABLE} WHERE created_at IS NULL OR updated_at IS NULL")
        ),
        0
    );

    // No reference lost or nulled that had a replacement.
    for (table, col, id, holds, label, expected) in REFERENCES {
        let target = match expected {
            Same => Some(row(label)),
            Live(model) => Some(the_global_row(db, model)),
            Chain(deleted) => {
                let (provider, name) = deleted.split_once('/').unwrap();
                catalog
                    .chain_end(provider, name)
                    .map(|live| the_global_row(db, &format!("{provider}/{}", live.name)))
            }
        };
        let found = match holds {
            ForeignKey => column(db, table, col, id),
            Number | Text => node_key(db, id, django::NODE_PARAMS_MODEL_KEY),
        };
        let context = format!(
            "{:?}: {table}.{col} of row {id} pointed at {label} (row {}), expected {expected:?}",
            db.backend(),
            row(label)
        );
        match (holds, target) {
            (ForeignKey, Some(target)) => assert_eq!(found, target.to_string(), "{context}"),
            (ForeignKey, None) => assert_eq!(found, "NULL", "{context}"),
            // An untouched JSON id keeps its form (number or string); a repointed one holds the
            // new id (either form is the same id to Django).
            (_, Some(target)) => {
                assert_eq!(found.trim_matches('"'), target.to_string(), "{context}")
            }
            (_, None) => assert_eq!(found, "null", "{context}"),
        }
        if matches!(expected, Same) && holds == Text {
            assert_eq!(found, format!("\"{}\"", row(label)), "{context}");
        }
        // The node's foreign key mirrors its JSON id.
        if table == NODE {
            let fk = column(db, NODE, LLM, id);
            assert_eq!(
                fk,
                target.map_or("NULL".to_owned(), |t| t.to_string()),
                "{context}: the foreign key"
            );
        }
    }
    // The assistants' NOT NULL foreign key was never nulled, and every foreign key points
    // at an existing row.
    assert_eq!(count(db, &format!("{ASSISTANT} WHERE {LLM} IS NULL")), 0);
    for (table, col) in [
        (ASSISTANT, LLM),
        (EXPERIMENT, LLM),
        (EXPERIMENT, TRANSLATION),
        (NODE, LLM),
    ] {
        assert_eq!(
            count(
                db,
                &format!(
                    "{table} r WHERE r.{col} IS NOT NULL AND NOT EXISTS \
                     (SELECT 1 FROM {MODEL_TABLE} m WHERE m.id = r.{col})"
                )
            ),
            0,
            "{table}.{col} dangles"
        );
    }

    // Companions: a repointed node's limit is its new model's, its parameters dropped; a
    // cleared node loses both; untouched nodes keep everything; other keys stay.
    let gpt_4_1 = catalog.chain_end("openai", "gpt-4-turbo").unwrap();
    assert_eq!(
        node_key(db, 1, "user_max_token_limit"),
        gpt_4_1.token_limit.to_string()
    );
    assert_eq!(node_key(db, 1, "llm_model_parameters"), "missing");
    assert_eq!(node_key(db, 3, "user_max_token_limit"), "400000");
    assert_eq!(node_key(db, 6, "user_max_token_limit"), "missing");
    assert_eq!(node_key(db, 6, "llm_model_parameters"), "missing");
    for node in [1, 3, 6, 8, 10] {
        assert_eq!(
            node_key(db, node, "prompt"),
            "\"Youarehelpful\"",
            "node {node}"
        );
    }
    for node in [8, 10] {
        assert_eq!(
            node_key(db, node, "user_max_token_limit"),
            "4096",
            "node {node}"
        );
        assert_eq!(
            node_key(db, node, "llm_model_parameters"),
            "{\"temperature\":0.7}",
            "node {node}"
        );
    }
    assert_eq!(node_key(db, 12, django::NODE_PARAMS_MODEL_KEY), "missing");
    assert_eq!(node_key(db, 12, "prompt"), "\"unrelated\"");
    assert_eq!(column(db, NODE, LLM, 12), "NULL");

    // Converged: the second apply has nothing to do.
    let again = crate::common::plan(db, &catalog);
    assert!(again.refusals.is_empty(), "{:?}", again.refusals);
    assert!(again.creates.is_empty(), "{:?}", again.creates);
    assert!(again.updates.is_empty(), "{:?}", again.updates);
    assert!(again.merges.is_empty(), "{:?}", again.merges);
    assert!(again.deletions.is_empty(), "{:?}", again.deletions);
    assert!(
        again.reference_updates.is_empty(),
        "{:?}",
        again.reference_updates
    );
    assert!(again.is_noop(), "{again:?}");
    let before = model_rows(db);
    let second = apply(db, &catalog).unwrap();
    let counts = &second.counts;
    assert_eq!(
        [
            counts.created,
            counts.updated,
            counts.merged,
            counts.repointed_rows,
            counts.cleared_rows,
            counts.deleted,
            counts.notified,
        ],
        [0; 7],
        "{counts:?}"
    );
    // Unmanaged rows are only reported, again.
    assert_eq!(counts.unmanaged, 2);
    assert_eq!(model_rows(db), before);
}

/// An assistant (a NOT NULL foreign key Django protects) on a deleted model
/// without replacement: the plan is refused and nothing is written.
fn refuses_clearing_an_assistants_not_null_foreign_key(db: &TestDb) {
    let ids = populated(db);
    db.execute(&format!(
        "UPDATE {ASSISTANT} SET {LLM} = {} WHERE id = 6",
        ids["o1-mini"]
    ));
    let before = model_rows(db);
    let Err(Error::Refused(plan)) = apply(db, &host_catalog()) else {
        panic!("the plan must be refused")
    };
    let lines: Vec<String> = plan.refusals.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [format!(
            "1 row in {ASSISTANT}.{LLM} point at openai/o1-mini, which is deleted without \
             replacement, but {ASSISTANT}.{LLM} is NOT NULL; give openai/o1-mini a replacement \
             in models.toml or make the column nullable"
        )]
    );
    assert_eq!(model_rows(db), before);
    assert_eq!(column(db, ASSISTANT, LLM, 6), ids["o1-mini"].to_string());
    assert_eq!(
        column(db, ASSISTANT, LLM, 1),
        ids["gpt-4-turbo"].to_string()
    );
}

llm_lifecycle_test_support::backend_tests!(
    converges_a_django_database_with_the_real_catalogue,
    refuses_clearing_an_assistants_not_null_foreign_key,
);
