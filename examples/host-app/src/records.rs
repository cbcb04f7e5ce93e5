//! The application's code over its tables: teams, assistants on model rows,
//! and conversations that store the [`LlmModel`] they use as diesel `Text`.
//! Everything goes through the one [`AppConnection`], on every engine.

use diesel::prelude::*;
use diesel::result::{Error as DieselError, QueryResult};

use crate::connection::AppConnection;
use crate::schema::{app_llm_models, assistants, conversations, teams};
use crate::{LlmModel, on_engine};

/// A conversation, as loaded: `model` is parsed from its id by diesel (an id
/// the catalogue does not know fails the load, naming the replacement of a
/// deleted one).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = conversations)]
pub struct Conversation {
    /// Primary key.
    pub id: i64,
    /// The team that owns it.
    pub team_id: i64,
    /// The assistant it talks to.
    pub assistant_id: i64,
    /// Display title.
    pub title: String,
    /// The model it was started with.
    pub model: LlmModel,
}

/// Creates a team; its id.
///
/// # Errors
/// diesel's.
pub fn create_team(app: &mut AppConnection, name: &str) -> QueryResult<i64> {
    on_engine!(app, |conn| {
        diesel::insert_into(teams::table)
            .values(teams::name.eq(name))
            .execute(conn)?;
        // The row just inserted (the engines differ on `RETURNING`).
        teams::table
            .select(teams::id)
            .filter(teams::name.eq(name))
            .order(teams::id.desc())
            .first(conn)
    })
}

/// The id of `model`'s global row (the one `apply-models` keeps).
///
/// # Errors
/// [`DieselError::NotFound`] when the database has no such row (the
/// catalogue was not applied).
pub fn model_row(app: &mut AppConnection, model: LlmModel) -> QueryResult<i64> {
    on_engine!(app, |conn| app_llm_models::table
        .select(app_llm_models::id)
        .filter(app_llm_models::kind.eq(model.provider().key()))
        .filter(app_llm_models::name.eq(model.name()))
        .filter(app_llm_models::team_id.is_null())
        .order(app_llm_models::id)
        .first(conn))
}

/// The model a row of `app_llm_models` is: its provider and name parsed
/// against the catalogue.
///
/// # Errors
/// [`DieselError::NotFound`] when there is no such row;
/// [`DieselError::DeserializationError`] when the row is of a model the
/// catalogue does not have.
pub fn model_of_row(app: &mut AppConnection, row: i64) -> QueryResult<LlmModel> {
    let (kind, name): (String, String) = on_engine!(app, |conn| app_llm_models::table
        .select((app_llm_models::kind, app_llm_models::name))
        .find(row)
        .first(conn))?;
    format!("{kind}/{name}")
        .parse()
        .map_err(|e| DieselError::DeserializationError(Box::new(e)))
}

/// Creates an assistant of `team` running on `model`'s row, with an optional
/// fallback; its id.
///
/// # Errors
/// diesel's, or [`DieselError::NotFound`] when a model has no row.
pub fn create_assistant(
    app: &mut AppConnection,
    team: i64,
    name: &str,
    model: LlmModel,
    fallback: Option<LlmModel>,
) -> QueryResult<i64> {
    let llm_model_id = model_row(app, model)?;
    let fallback_model_id = fallback.map(|m| model_row(app, m)).transpose()?;
    on_engine!(app, |conn| {
        diesel::insert_into(assistants::table)
            .values((
                assistants::team_id.eq(team),
                assistants::name.eq(name),
                assistants::llm_model_id.eq(llm_model_id),
                assistants::fallback_model_id.eq(fallback_model_id),
            ))
            .execute(conn)?;
        assistants::table
            .select(assistants::id)
            .filter(assistants::team_id.eq(team))
            .filter(assistants::name.eq(name))
            .order(assistants::id.desc())
            .first(conn)
    })
}

/// The models an assistant runs on: its model and its fallback.
///
/// # Errors
/// as [`model_of_row`].
pub fn assistant_models(
    app: &mut AppConnection,
    assistant: i64,
) -> QueryResult<(LlmModel, Option<LlmModel>)> {
    let (model, fallback): (i64, Option<i64>) = on_engine!(app, |conn| assistants::table
        .select((assistants::llm_model_id, assistants::fallback_model_id))
        .find(assistant)
        .first(conn))?;
    Ok((
        model_of_row(app, model)?,
        fallback.map(|row| model_of_row(app, row)).transpose()?,
    ))
}

/// Starts a conversation with an assistant on `model`; its id.
///
/// # Errors
/// diesel's.
pub fn start_conversation(
    app: &mut AppConnection,
    team: i64,
    assistant: i64,
    title: &str,
    model: LlmModel,
) -> QueryResult<i64> {
    on_engine!(app, |conn| {
        diesel::insert_into(conversations::table)
            .values((
                conversations::team_id.eq(team),
                conversations::assistant_id.eq(assistant),
                conversations::title.eq(title),
                // Stored as its id, `provider/name` (diesel `Text`).
                conversations::model.eq(model),
            ))
            .execute(conn)?;
        conversations::table
            .select(conversations::id)
            .filter(conversations::assistant_id.eq(assistant))
            .filter(conversations::title.eq(title))
            .order(conversations::id.desc())
            .first(conn)
    })
}

/// A team's conversations, oldest first.
///
/// # Errors
/// diesel's; a conversation on a model the catalogue does not have fails the
/// load.
pub fn conversations_of(app: &mut AppConnection, team: i64) -> QueryResult<Vec<Conversation>> {
    on_engine!(app, |conn| conversations::table
        .filter(conversations::team_id.eq(team))
        .order(conversations::id)
        .select(Conversation::as_select())
        .load(conn))
}
