//! `diesel` feature: `LlmModel` binds and loads as a `Text` value (in-memory SQLite).
//! On the fixture `tests/fixtures/valid.toml`, expanded in this test crate under the
//! same feature, so no model of the real catalogue is named here; every model of
//! the root crate round-trips too.
#![cfg(feature = "diesel")]

use diesel::prelude::*;
use diesel::sql_types::Text;

llm_lifecycle::catalog!("tests/fixtures/valid.toml");

mod schema {
    #![allow(missing_docs)]
    diesel::table! {
        assistants (id) {
            id -> Integer,
            model -> Text,
        }
    }
}
use schema::assistants;

#[derive(Queryable, Insertable, Debug, PartialEq)]
#[diesel(table_name = assistants)]
struct Assistant {
    id: i32,
    model: LlmModel,
}

fn connection() -> QueryResult<SqliteConnection> {
    let mut connection = SqliteConnection::establish(":memory:")
        .map_err(|error| diesel::result::Error::QueryBuilderError(error.into()))?;
    diesel::sql_query("CREATE TABLE assistants (id INTEGER PRIMARY KEY, model TEXT NOT NULL)")
        .execute(&mut connection)?;
    Ok(connection)
}

#[test]
fn models_bind_and_load_as_text() -> QueryResult<()> {
    let mut connection = connection()?;
    let rows = [
        Assistant {
            id: 1,
            model: LlmModel::OpenaiGpt4_1,
        },
        Assistant {
            id: 2,
            model: LlmModel::GroqOpenaiGptOss20b,
        },
    ];
    diesel::insert_into(assistants::table)
        .values(&rows[..])
        .execute(&mut connection)?;
    let stored: Vec<String> = assistants::table
        .select(assistants::model)
        .order(assistants::id)
        .load(&mut connection)?;
    assert_eq!(stored, ["openai/gpt-4.1", "groq/openai/gpt-oss-20b"]);
    let loaded: Vec<Assistant> = assistants::table
        .order(assistants::id)
        .load(&mut connection)?;
    assert_eq!(loaded, rows);
    let found: Vec<i32> = assistants::table
        .filter(assistants::model.eq(LlmModel::GroqOpenaiGptOss20b))
        .select(assistants::id)
        .load(&mut connection)?;
    assert_eq!(found, [2]);
    let selected: LlmModel = diesel::select(LlmModel::OpenaiGpt4_1Mini.into_sql::<Text>())
        .get_result(&mut connection)?;
    assert_eq!(selected, LlmModel::OpenaiGpt4_1Mini);
    Ok(())
}

#[test]
fn every_model_of_the_root_crate_round_trips_as_its_id() -> QueryResult<()> {
    let mut connection = connection()?;
    for &model in llm_lifecycle::LlmModel::all() {
        let text: String = diesel::select(model.into_sql::<Text>()).get_result(&mut connection)?;
        assert_eq!(text, model.id());
        let loaded: llm_lifecycle::LlmModel =
            diesel::select(model.into_sql::<Text>()).get_result(&mut connection)?;
        assert_eq!(loaded, model);
    }
    Ok(())
}

#[test]
fn a_deleted_id_in_the_database_fails_to_load_naming_the_replacement() -> QueryResult<()> {
    let mut connection = connection()?;
    diesel::sql_query("INSERT INTO assistants (id, model) VALUES (1, 'openai/gpt-4-turbo')")
        .execute(&mut connection)?;
    let message = match assistants::table.load::<Assistant>(&mut connection) {
        Err(diesel::result::Error::DeserializationError(error)) => {
            // diesel wraps the field's error: walk the chain of sources.
            let mut message = error.to_string();
            let mut source = error.source();
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            message
        }
        other => format!("expected a deserialization error, got {other:?}"),
    };
    assert!(
        message.contains("use `openai/gpt-4.1` instead"),
        "{message}"
    );
    Ok(())
}
