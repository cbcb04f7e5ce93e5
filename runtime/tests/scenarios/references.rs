//! Deleted models: references of every kind repointed or cleared, replacement
//! chains, NOT NULL columns, undeclared foreign keys, missing tables and columns.
//! Every scenario runs on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use llm_lifecycle_runtime::{Error, Refusal};
use llm_lifecycle_test_support::{Backend, TestDb};

fn prepared(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_references(db);
}

/// The model ids of assistants 1 and 2 (both on the deleted `gpt-4-turbo`
/// in `prepared`), as text.
fn moved_assistants(db: &TestDb) -> Vec<Option<String>> {
    db.strings(&format!(
        "SELECT {} AS v FROM assistants WHERE id IN (1, 2) ORDER BY id",
        db.text_cast("llm_provider_model_id")
    ))
}

fn repoints_id_json_and_text_references_of_a_deleted_model(db: &TestDb) {
    prepared(db);
    let report = apply(db, &full_catalog()).unwrap();
    let target = global_id(db, "openai/gpt-4.1").expect("the replacement was created");

    // id: every row, archived ones too.
    assert_eq!(moved_assistants(db), vec![Some(target.to_string()); 2]);
    // json: stored as a number and as a string, both rewritten as a number.
    assert_eq!(json_value(db, "pipeline_nodes", 1), target.to_string());
    assert_eq!(json_value(db, "pipeline_nodes", 2), target.to_string());
    // Other keys and non-objects are not references.
    assert_eq!(
        db.strings(&format!(
            "SELECT {} AS v FROM pipeline_nodes WHERE id IN (4, 5) ORDER BY id",
            db.text_cast("params")
        ))
        .into_iter()
        .map(|v| v.unwrap().replace(' ', ""))
        .collect::<Vec<_>>(),
        ["{\"other_key\":101}", "[101]"]
    );
    // Sibling keys survive the rewrite.
    assert!(
        db.string(&format!(
            "SELECT {} AS v FROM pipeline_nodes WHERE id = 1",
            db.text_cast("params")
        ))
        .contains("temperature")
    );
    // text
    assert_eq!(
        db.strings("SELECT llm AS v FROM experiments WHERE id IN (1, 3) ORDER BY id"),
        [
            Some("openai/gpt-4.1".to_owned()),
            Some("openai/gpt-4.1".to_owned())
        ]
    );
    assert_eq!(
        global_id(db, "openai/gpt-4-turbo"),
        None,
        "the deleted row is gone"
    );
    assert_eq!(
        count(
            db,
            "llm_lifecycle_events WHERE action = 'deleted' AND name = 'gpt-4-turbo' AND target_name = 'gpt-4.1'"
        ),
        1
    );
    assert_eq!(report.counts.deleted, 3);
    // 2 assistants + 2 nodes + 1 experiment to gpt-4.1 from gpt-4-turbo; gpt-4's assistant and evaluator.
    assert_eq!(report.counts.repointed_rows, 7);
}

/// A text reference moved right after an integer one, in the same apply
/// (MariaDB types a session variable by the value it held when a statement
/// starts: the counting `UPDATE`s must not share one across the two types).
fn a_text_reference_right_after_an_integer_one_moves(db: &TestDb) {
    prepared(db);
    let references: String = REFERENCES
        .split("[[references]]")
        .filter(|entry| {
            entry.contains("table = \"assistants\"") || entry.contains("table = \"experiments\"")
        })
        .map(|entry| format!("[[references]]{entry}"))
        .collect();
    assert_eq!(
        references.matches("[[references]]").count(),
        2,
        "{references}"
    );
    let report = apply(db, &catalog(&format!("{MODELS}\n{references}"))).unwrap();
    let target = global_id(db, "openai/gpt-4.1").expect("the replacement was created");
    assert_eq!(moved_assistants(db), vec![Some(target.to_string()); 2]);
    assert_eq!(
        db.strings("SELECT llm AS v FROM experiments WHERE id IN (1, 3) ORDER BY id"),
        vec![Some("openai/gpt-4.1".to_owned()); 2]
    );
    // 2 assistants and 1 experiment to gpt-4.1, gpt-4's assistant.
    assert_eq!(report.counts.repointed_rows, 4);
}

fn clears_nullable_references_of_a_model_without_replacement(db: &TestDb) {
    prepared(db);
    let report = apply(db, &full_catalog()).unwrap();
    assert_eq!(
        db.strings(&format!(
            "SELECT {} AS v FROM assistants WHERE id = 3",
            db.text_cast("llm_provider_model_id")
        )),
        [None]
    );
    assert_eq!(json_value(db, "pipeline_nodes", 3), "null");
    assert_eq!(
        db.strings("SELECT llm AS v FROM experiments WHERE id = 2"),
        [None]
    );
    assert_eq!(global_id(db, "openai/o1-mini"), None);
    assert_eq!(report.counts.cleared_rows, 3);
    assert_eq!(
        count(
            db,
            "llm_lifecycle_events WHERE action = 'cleared' AND name = 'o1-mini'"
        ),
        3
    );
}

fn a_chain_through_a_deleted_model_ends_at_the_live_model(db: &TestDb) {
    prepared(db);
    let plan = plan(db, &full_catalog());
    let gpt4 = plan
        .deletions
        .iter()
        .find(|d| d.model.name == "gpt-4")
        .unwrap();
    assert_eq!(
        gpt4.replacement.as_ref().unwrap().to_string(),
        "openai/gpt-4.1"
    );
    apply(db, &full_catalog()).unwrap();
    let target = global_id(db, "openai/gpt-4.1").unwrap().to_string();
    assert_eq!(
        db.string(&format!(
            "SELECT {} AS v FROM assistants WHERE id = 4",
            db.text_cast("llm_provider_model_id")
        )),
        target
    );
    assert_eq!(json_value(db, "evaluators", 1), target);
}

fn refuses_to_clear_a_not_null_reference(db: &TestDb) {
    prepared(db);
    db.execute(
        "CREATE TABLE strict_bots (id BIGINT PRIMARY KEY, model_id BIGINT NOT NULL, \
           FOREIGN KEY (model_id) REFERENCES llm_provider_models (id));
         INSERT INTO strict_bots (id, model_id) VALUES (1, 102), (2, 102), (3, 101);",
    );
    let catalog = catalog(&format!(
        "{MODELS}\n{REFERENCES}\n[[references]]\ntable = \"strict_bots\"\ncolumn = \"model_id\"\n"
    ));
    let before = snapshot(db);
    let Err(Error::Refused(plan)) = apply(db, &catalog) else {
        panic!("the plan must be refused")
    };
    assert_eq!(
        plan.refusals,
        [Refusal::NotNullClear {
            table: "strict_bots".into(),
            column: "model_id".into(),
            rows: 2,
            model: llm_lifecycle_runtime::plan::ModelId::new("openai", "o1-mini"),
        }]
    );
    let message = plan.refusals[0].to_string();
    assert!(
        message.contains("2 rows in strict_bots.model_id"),
        "{message}"
    );
    assert_eq!(snapshot(db), before, "nothing written");
    assert_eq!(count(db, "llm_lifecycle_runs WHERE status = 'refused'"), 1);
}

fn refuses_an_undeclared_foreign_key_showing_the_entry_to_add(db: &TestDb) {
    prepared(db);
    db.execute(
        "CREATE TABLE hidden_refs (id BIGINT PRIMARY KEY, llm_id BIGINT NULL, \
         FOREIGN KEY (llm_id) REFERENCES llm_provider_models (id));",
    );
    let before = snapshot(db);
    let Err(Error::Refused(plan)) = apply(db, &full_catalog()) else {
        panic!("the plan must be refused")
    };
    assert_eq!(
        plan.refusals,
        [Refusal::UndeclaredForeignKey {
            model_table: "llm_provider_models".into(),
            table: "hidden_refs".into(),
            column: "llm_id".into(),
            team_column: None,
            name_column: None,
        }]
    );
    let toml = plan.refusals[0].toml_to_add().unwrap();
    assert_eq!(
        toml,
        "[[references]]\ntable = \"hidden_refs\"\ncolumn = \"llm_id\"\nresource = \"hidden ref\""
    );
    let text = llm_lifecycle_runtime::plan::render::text(&plan);
    assert!(text.contains("    table = \"hidden_refs\""), "{text}");
    assert_eq!(snapshot(db), before);
}

/// The `add to models.toml:` block of a rendered plan, as printed (indented).
fn printed_entry(text: &str) -> String {
    text.lines()
        .skip_while(|line| !line.ends_with("add to models.toml:"))
        .skip(1)
        .take_while(|line| line.starts_with("    "))
        .map(|line| format!("{line}\n"))
        .collect()
}

fn the_entry_proposed_for_an_undeclared_foreign_key_is_valid_as_printed(db: &TestDb) {
    prepared(db);
    db.execute(
        "CREATE TABLE chat_assistants (id BIGINT PRIMARY KEY, team_id BIGINT NOT NULL, \
         name TEXT NOT NULL, llm_id BIGINT NULL, \
         FOREIGN KEY (llm_id) REFERENCES llm_provider_models (id));",
    );
    let Err(Error::Refused(plan)) = apply(db, &full_catalog()) else {
        panic!("the plan must be refused")
    };
    let text = llm_lifecycle_runtime::plan::render::text(&plan);
    let printed = printed_entry(&text);
    assert!(printed.starts_with("    [[references]]\n"), "{text}");
    // Pasted as printed, the catalogue accepts it and declares the column.
    let source = format!("{MODELS}\n{REFERENCES}\n{printed}");
    let extended = match llm_lifecycle_catalog::Catalog::parse(&source, "models.toml") {
        Ok(catalog) => catalog,
        Err(diagnostics) => panic!("{diagnostics}\n{printed}"),
    };
    let Some(entry) = extended
        .references
        .iter()
        .find(|reference| &*reference.table == "chat_assistants")
    else {
        panic!("no entry for chat_assistants in {printed}")
    };
    assert_eq!(&*entry.column, "llm_id");
    assert_eq!(entry.resource.as_deref(), Some("chat assistant"));
    assert_eq!(entry.team_column.as_deref(), Some("team_id"));
    assert_eq!(entry.name_column.as_deref(), Some("name"));
    // And the apply that was refused now goes through.
    apply(db, &extended).unwrap();
}

fn a_refused_apply_is_recorded_even_before_the_runtime_migrated_the_database(db: &TestDb) {
    // A fresh database: no runtime schema, no host tables.
    let Err(Error::Refused(_)) = apply(db, &full_catalog()) else {
        panic!("the plan must be refused: the declared tables do not exist")
    };
    assert_eq!(count(db, "llm_lifecycle_runs WHERE status = 'refused'"), 1);
    assert_eq!(count(db, "llm_lifecycle_runs"), 1);
    // Only the runtime's schema was created: no model row was written.
    assert_eq!(count(db, "llm_provider_models"), 0);
}

fn refuses_a_declared_table_or_column_that_does_not_exist(db: &TestDb) {
    prepared(db);
    let catalog = catalog(&format!(
        "{MODELS}\n{REFERENCES}\n[[references]]\ntable = \"ghosts\"\ncolumn = \"model_id\"\n\
         [[references]]\ntable = \"assistants\"\ncolumn = \"model\"\n"
    ));
    let before = snapshot(db);
    let Err(Error::Refused(plan)) = apply(db, &catalog) else {
        panic!("the plan must be refused")
    };
    assert_eq!(
        plan.refusals,
        [
            Refusal::MissingTable {
                table: "ghosts".into(),
                declared_by: "ghosts.model_id".into()
            },
            Refusal::MissingColumn {
                table: "assistants".into(),
                column: "model".into(),
                declared_by: "assistants.model".into()
            },
        ]
    );
    assert_eq!(snapshot(db), before);
}

fn handles_a_json_column_of_type_json_on_postgres_and_text_on_sqlite(db: &TestDb) {
    prepared(db);
    let expected = match db.backend() {
        Backend::Postgres => "json",
        Backend::Sqlite => "text",
        // MariaDB's JSON is LONGTEXT checked by json_valid(); MySQL's a type of its own.
        Backend::Mysql if db.string("SELECT VERSION() AS v").contains("MariaDB") => "longtext",
        Backend::Mysql => "json",
    };
    let data_type = match db.backend() {
        Backend::Postgres => db.string(
            "SELECT CAST(data_type AS TEXT) AS v FROM information_schema.columns \
             WHERE table_name = 'evaluators' AND column_name = 'params'",
        ),
        Backend::Sqlite => db.string(
            "SELECT lower(type) AS v FROM pragma_table_info('evaluators') WHERE name = 'params'",
        ),
        Backend::Mysql => db.string(
            "SELECT LOWER(CAST(data_type AS CHAR)) AS v FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = 'evaluators' AND column_name = 'params'",
        ),
    };
    assert_eq!(data_type, expected);
    db.execute("INSERT INTO evaluators (id, team_id, name, params) VALUES (2, 1, 'Cleared', '{\"llm_provider_model_id\": 102}');");
    apply(db, &full_catalog()).unwrap();
    assert_eq!(json_value(db, "evaluators", 2), "null");
}

fn text_references_move_even_when_the_deleted_row_is_already_gone(db: &TestDb) {
    migrate(db);
    host_schema(db);
    db.execute(
        "INSERT INTO experiments (id, team_id, name, llm) VALUES \
           (1, 1, 'Stale', 'openai/gpt-4-turbo'), (2, 1, 'Stale too', 'openai/gpt-4');",
    );
    let plan = plan(db, &full_catalog());
    assert!(plan.deletions.is_empty(), "no row to delete");
    assert_eq!(plan.repointed_rows(), 2);
    let report = apply(db, &full_catalog()).unwrap();
    assert_eq!(report.counts.repointed_rows, 2);
    assert_eq!(
        db.strings("SELECT llm AS v FROM experiments ORDER BY id"),
        [
            Some("openai/gpt-4.1".to_owned()),
            Some("openai/gpt-4.1".to_owned())
        ]
    );
    assert_eq!(
        count(
            db,
            "llm_lifecycle_events WHERE action = 'repointed' AND table_name = 'experiments'"
        ),
        2
    );
    assert_eq!(
        count(db, "llm_lifecycle_events WHERE action = 'deleted'"),
        0
    );
}

fn json_in_a_plain_text_column_is_rewritten_as_text(db: &TestDb) {
    prepared(db);
    // `blob` is a reserved word on MySQL: quoted there, by the runtime too.
    let blob = db.quote("blob");
    db.execute(&format!(
        "CREATE TABLE settings (id BIGINT PRIMARY KEY, {blob} TEXT NOT NULL);
         INSERT INTO settings (id, {blob}) VALUES (1, '{{\"model\": \"101\", \"x\": [1, 2]}}'), (2, '{{\"model\": 102}}');",
    ));
    let catalog = catalog(&format!(
        "{MODELS}\n{REFERENCES}\n[[references]]\ntable = \"settings\"\ncolumn = \"blob\"\nkind = \"json\"\nkey = \"model\"\n"
    ));
    apply(db, &catalog).unwrap();
    let target = global_id(db, "openai/gpt-4.1").unwrap();
    let blobs: Vec<String> = db
        .strings(&format!("SELECT {blob} AS v FROM settings ORDER BY id"))
        .into_iter()
        .map(|v| v.unwrap().replace(' ', ""))
        .collect();
    assert!(
        blobs[0].contains(&format!("\"model\":{target}")),
        "{blobs:?}"
    );
    assert!(blobs[0].contains("\"x\":[1,2]"), "{blobs:?}");
    assert_eq!(blobs[1], "{\"model\":null}");
}

/// One empty, non-JSON or non-object value in a JSON reference column (stored
/// as text on every engine) never fails `plan` or `apply`: it is skipped,
/// counted and reported; the other rows are repointed.
fn values_that_are_not_a_json_object_are_skipped_and_reported(db: &TestDb) {
    prepared(db);
    let blob = db.quote("blob");
    db.execute(&format!(
        "CREATE TABLE settings (id BIGINT PRIMARY KEY, {blob} TEXT NULL);
         INSERT INTO settings (id, {blob}) VALUES (1, '{{\"model\": 101}}'), (2, ''), (3, 'not json'), \
           (4, '{{\"model\": 101'), (5, '[101]'), (6, '101'), (7, 'null'), (8, NULL), (9, '{{\"broken\": }}');",
    ));
    let catalog = catalog(&format!(
        "{MODELS}\n{REFERENCES}\n[[references]]\ntable = \"settings\"\ncolumn = \"blob\"\nkind = \"json\"\nkey = \"model\"\n"
    ));
    let plan = plan(db, &catalog);
    assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);
    let skipped: Vec<_> = plan
        .skipped
        .iter()
        .filter(|s| s.table == "settings")
        .collect();
    assert_eq!(skipped.len(), 1, "{:?}", plan.skipped);
    // '', 'not json', the unclosed object, the array, the number, JSON null, the broken object.
    assert_eq!(skipped[0].rows, 7);
    let text = llm_lifecycle_runtime::plan::render::text(&plan);
    assert!(
        text.contains("! skip 7 rows in settings.blob: not a JSON object"),
        "{text}"
    );
    let markdown = llm_lifecycle_runtime::plan::markdown::markdown(&plan);
    assert!(
        markdown.contains("### Skipped values") && markdown.contains("- 7 rows in `settings.blob`"),
        "{markdown}"
    );
    let settings_update = plan
        .reference_updates
        .iter()
        .find(|u| u.table == "settings")
        .unwrap();
    assert_eq!(settings_update.rows, 1);
    apply(db, &catalog).unwrap();
    let target = global_id(db, "openai/gpt-4.1").unwrap();
    assert_eq!(
        db.strings(&format!(
            "SELECT COALESCE({blob}, '<null>') AS v FROM settings ORDER BY id"
        ))
        .into_iter()
        .map(|v| v.unwrap().replace(' ', ""))
        .collect::<Vec<_>>(),
        [
            format!("{{\"model\":{target}}}"),
            String::new(),
            "notjson".into(),
            "{\"model\":101".into(),
            "[101]".into(),
            "101".into(),
            "null".into(),
            "<null>".into(),
            "{\"broken\":}".into(),
        ]
    );
    assert!(plan_is_noop_but_for_skips(db, &catalog));
}

fn plan_is_noop_but_for_skips(db: &TestDb, catalog: &llm_lifecycle_catalog::Catalog) -> bool {
    let again = plan(db, catalog);
    again.refusals.is_empty() && again.is_noop()
}

/// A JSON id matches the row id when it is a number equal to it (`101`,
/// `101.0`, `1.01e2`, `1.0`, `1e0`) or a string of it; never a boolean (SQLite reads `true`
/// as 1), a fraction, an array or an object. Rewriting keeps the other keys.
fn json_ids_match_numbers_and_strings_of_the_id_never_booleans(db: &TestDb) {
    prepared(db);
    // Row 1: a deleted model too, so `true` (1 to SQLite) would match it.
    seed_model(db, 1, None, "openai/gpt-4-turbo-preview", 128_000, false);
    if db.backend() == Backend::Postgres {
        // The rows the apply creates must not take id 1 from the sequence
        // (SQLite and MySQL allocate above the largest id).
        db.execute("SELECT setval(pg_get_serial_sequence('llm_provider_models', 'id'), 1000)");
    }
    db.execute(
        "INSERT INTO pipeline_nodes (id, pipeline_id, params) VALUES \
           (10, 1, '{\"llm_provider_model_id\": 101.0, \"keep\": \"a\"}'), \
           (11, 1, '{\"llm_provider_model_id\": 1.01e2}'), \
           (12, 1, '{\"llm_provider_model_id\": true, \"keep\": 1}'), \
           (13, 1, '{\"llm_provider_model_id\": false}'), \
           (14, 1, '{\"llm_provider_model_id\": 101.5}'), \
           (15, 1, '{\"llm_provider_model_id\": [101]}'), \
           (16, 1, '{\"llm_provider_model_id\": {\"id\": 101}}'), \
           (17, 1, '{\"llm_provider_model_id\": 1, \"keep\": [1, 2]}'), \
           (18, 1, '{\"llm_provider_model_id\": \"1\"}'), \
           (19, 1, '{\"llm_provider_model_id\": 1.0}'), \
           (20, 1, '{\"llm_provider_model_id\": 1e0}');",
    );
    let source = MODELS.replace(
        "  { name = \"o1-mini\" },",
        "  { name = \"o1-mini\" },\n  { name = \"gpt-4-turbo-preview\", replacement = \"gpt-4.1-mini\" },",
    );
    assert_ne!(source, MODELS);
    let catalog = catalog(&format!("{source}\n{REFERENCES}"));
    apply(db, &catalog).unwrap();
    let to_41 = global_id(db, "openai/gpt-4.1").unwrap().to_string();
    let to_mini = global_id(db, "openai/gpt-4.1-mini").unwrap().to_string();
    let params = |id: i64| {
        db.string(&format!(
            "SELECT {} AS v FROM pipeline_nodes WHERE id = {id}",
            db.text_cast("params")
        ))
        .replace(' ', "")
    };
    let values: Vec<String> = (10..=20)
        .map(|id| json_value(db, "pipeline_nodes", id))
        .collect();
    assert_eq!(
        values
            .iter()
            .map(|v| v.replace(' ', ""))
            .collect::<Vec<_>>()[..2],
        [to_41.clone(), to_41]
    );
    // Booleans stay booleans (read from the stored text: SQLite shows `true` as 1).
    assert!(
        params(12).contains("\"llm_provider_model_id\":true"),
        "{}",
        params(12)
    );
    assert!(
        params(13).contains("\"llm_provider_model_id\":false"),
        "{}",
        params(13)
    );
    assert_eq!(
        values
            .iter()
            .map(|v| v.replace(' ', ""))
            .collect::<Vec<_>>()[4..],
        [
            "101.5".to_owned(),
            "[101]".into(),
            "{\"id\":101}".into(),
            to_mini.clone(),
            to_mini.clone(),
            // The shortest fraction and exponent (3 characters) of an id.
            to_mini.clone(),
            to_mini,
        ]
    );
    assert!(params(10).contains("\"keep\":\"a\""), "{}", params(10));
    assert!(params(12).contains("\"keep\":1"), "{}", params(12));
    assert!(params(17).contains("\"keep\":[1,2]"), "{}", params(17));
}

llm_lifecycle_test_support::backend_tests!(
    repoints_id_json_and_text_references_of_a_deleted_model,
    a_text_reference_right_after_an_integer_one_moves,
    clears_nullable_references_of_a_model_without_replacement,
    a_chain_through_a_deleted_model_ends_at_the_live_model,
    refuses_to_clear_a_not_null_reference,
    refuses_an_undeclared_foreign_key_showing_the_entry_to_add,
    the_entry_proposed_for_an_undeclared_foreign_key_is_valid_as_printed,
    refuses_a_declared_table_or_column_that_does_not_exist,
    a_refused_apply_is_recorded_even_before_the_runtime_migrated_the_database,
    handles_a_json_column_of_type_json_on_postgres_and_text_on_sqlite,
    text_references_move_even_when_the_deleted_row_is_already_gone,
    json_in_a_plain_text_column_is_rewritten_as_text,
    values_that_are_not_a_json_object_are_skipped_and_reported,
    json_ids_match_numbers_and_strings_of_the_id_never_booleans,
);
