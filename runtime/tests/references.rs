//! Deleted models: references of every kind repointed or cleared, replacement
//! chains, NOT NULL columns, undeclared foreign keys, missing tables and columns.
//! Every scenario runs on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use llm_lifecycle_runtime::{Error, Refusal};
use llm_lifecycle_test_support::{Backend, TestDb};

fn prepared(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_references(db);
}

fn repoints_id_json_and_text_references_of_a_deleted_model(db: &TestDb) {
    prepared(db);
    let report = apply(db, &full_catalog()).unwrap();
    let target = global_id(db, "openai/gpt-4.1").expect("the replacement was created");

    // id: every row, archived ones too.
    assert_eq!(
        db.strings("SELECT CAST(llm_provider_model_id AS TEXT) AS v FROM assistants WHERE id IN (1, 2) ORDER BY id"),
        [Some(target.to_string()), Some(target.to_string())]
    );
    // json: stored as a number and as a string, both rewritten as a number.
    assert_eq!(json_value(db, "pipeline_nodes", 1), target.to_string());
    assert_eq!(json_value(db, "pipeline_nodes", 2), target.to_string());
    // Other keys and non-objects are not references.
    assert_eq!(
        db.strings(
            "SELECT CAST(params AS TEXT) AS v FROM pipeline_nodes WHERE id IN (4, 5) ORDER BY id"
        )
        .into_iter()
        .map(|v| v.unwrap().replace(' ', ""))
        .collect::<Vec<_>>(),
        ["{\"other_key\":101}", "[101]"]
    );
    // Sibling keys survive the rewrite.
    assert!(
        db.string("SELECT CAST(params AS TEXT) AS v FROM pipeline_nodes WHERE id = 1")
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

fn clears_nullable_references_of_a_model_without_replacement(db: &TestDb) {
    prepared(db);
    let report = apply(db, &full_catalog()).unwrap();
    assert_eq!(
        db.strings("SELECT CAST(llm_provider_model_id AS TEXT) AS v FROM assistants WHERE id = 3"),
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
        db.string("SELECT CAST(llm_provider_model_id AS TEXT) AS v FROM assistants WHERE id = 4"),
        target
    );
    assert_eq!(json_value(db, "evaluators", 1), target);
}

fn refuses_to_clear_a_not_null_reference(db: &TestDb) {
    prepared(db);
    db.execute(
        "CREATE TABLE strict_bots (id BIGINT PRIMARY KEY, model_id BIGINT NOT NULL REFERENCES llm_provider_models (id));
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
    db.execute("CREATE TABLE hidden_refs (id BIGINT PRIMARY KEY, llm_id BIGINT NULL REFERENCES llm_provider_models (id));");
    let before = snapshot(db);
    let Err(Error::Refused(plan)) = apply(db, &full_catalog()) else {
        panic!("the plan must be refused")
    };
    assert_eq!(
        plan.refusals,
        [Refusal::UndeclaredForeignKey {
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
         name TEXT NOT NULL, llm_id BIGINT NULL REFERENCES llm_provider_models (id));",
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
    };
    let data_type = match db.backend() {
        Backend::Postgres => db.string(
            "SELECT CAST(data_type AS TEXT) AS v FROM information_schema.columns \
             WHERE table_name = 'evaluators' AND column_name = 'params'",
        ),
        Backend::Sqlite => db.string(
            "SELECT lower(type) AS v FROM pragma_table_info('evaluators') WHERE name = 'params'",
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
    db.execute(
        "CREATE TABLE settings (id BIGINT PRIMARY KEY, blob TEXT NOT NULL);
         INSERT INTO settings (id, blob) VALUES (1, '{\"model\": \"101\", \"x\": [1, 2]}'), (2, '{\"model\": 102}');",
    );
    let catalog = catalog(&format!(
        "{MODELS}\n{REFERENCES}\n[[references]]\ntable = \"settings\"\ncolumn = \"blob\"\nkind = \"json\"\nkey = \"model\"\n"
    ));
    apply(db, &catalog).unwrap();
    let target = global_id(db, "openai/gpt-4.1").unwrap();
    let blobs: Vec<String> = db
        .strings("SELECT blob AS v FROM settings ORDER BY id")
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

llm_lifecycle_test_support::backend_tests!(
    repoints_id_json_and_text_references_of_a_deleted_model,
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
);
