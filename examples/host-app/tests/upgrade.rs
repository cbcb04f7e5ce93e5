//! A release that deletes models, on every engine: the application's previous
//! release (its catalogue `tests/previous/models.toml`, compiled here as this
//! test crate's `LlmModel`) is deployed and writes rows on its models; then
//! the current release (`host_app`, `models.toml`) is deployed, and the
//! application's rows follow: references to a deleted model end at its
//! replacement, or are cleared when it has none; the deleted models' rows are
//! gone; a team's custom row of a model v2 adds merges into the new global
//! row; the deprecated model is flagged; and the current code loads every row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use host_app::connection::{AppConnection, connect};
use host_app::schema::{app_llm_models, assistants, conversations, teams};
use host_app::{on_engine, records};
use llm_lifecycle_test_support::{TestDb, backend_tests};

// The previous release's catalogue: `LlmModel`, `model!` and `CATALOG` of
// this test crate are v1's.
llm_lifecycle::catalog!("tests/previous/models.toml");

/// The id of the first row of `provider/name` (global, or of `team`).
fn row(db: &TestDb, id: &str, team: Option<i64>) -> i64 {
    let (provider, name) = id.split_once('/').unwrap();
    let team = team.map_or_else(|| "IS NULL".to_owned(), |team| format!("= {team}"));
    db.string(&format!(
        "SELECT {} AS v FROM app_llm_models WHERE kind = '{provider}' AND name = '{name}' \
         AND team_id {team}",
        db.text_cast("MIN(id)")
    ))
    .parse()
    .unwrap()
}

/// What the previous release's code wrote: a team, its custom row of a model
/// v2 adds, assistants and conversations on v1's models.
struct V1Rows {
    team: i64,
    turbo: i64,
    mini: i64,
    custom: i64,
}

fn write_as_v1(db: &TestDb, conn: &mut AppConnection) -> V1Rows {
    let team = records::create_team(conn, "Acme").unwrap();
    // The team's own row of a model v1 does not have (early access, with a
    // smaller limit): v2 creates the global row and merges this one into it.
    on_engine!(conn, |c| diesel::insert_into(app_llm_models::table)
        .values((
            app_llm_models::team_id.eq(Some(team)),
            app_llm_models::kind.eq("openai"),
            app_llm_models::name.eq("gpt-4.1-mini"),
            app_llm_models::max_tokens.eq(64_000),
            app_llm_models::retired.eq(false),
            app_llm_models::origin.eq("team"),
            app_llm_models::created_at.eq(diesel::dsl::now),
            app_llm_models::updated_at.eq(diesel::dsl::now),
        ))
        .execute(c))
    .unwrap();
    let team_row = row(db, "openai/gpt-4.1-mini", Some(team));
    let assistant = |conn: &mut AppConnection, name: &str, model: i64, fallback: Option<i64>| {
        on_engine!(conn, |c| diesel::insert_into(assistants::table)
            .values((
                assistants::team_id.eq(team),
                assistants::name.eq(name),
                assistants::llm_model_id.eq(model),
                assistants::fallback_model_id.eq(fallback),
            ))
            .execute(c))
        .unwrap();
        on_engine!(conn, |c| assistants::table
            .select(assistants::id)
            .filter(assistants::name.eq(name))
            .first::<i64>(c))
        .unwrap()
    };
    let turbo = assistant(
        conn,
        "Turbo",
        row(db, "openai/gpt-4-turbo", None),
        Some(row(db, "anthropic/claude-3-opus", None)),
    );
    let mini = assistant(
        conn,
        "Mini",
        row(db, "openai/gpt-4o-mini", None),
        Some(row(db, "openai/gpt-4-turbo", None)),
    );
    let custom = assistant(conn, "Custom", team_row, None);
    // Conversations store v1's `LlmModel` as text.
    for (title, model) in [
        ("Old", model!("openai/gpt-4-turbo")),
        ("Sonnet", model!("anthropic/claude-sonnet-4")),
    ] {
        on_engine!(conn, |c| diesel::insert_into(conversations::table)
            .values((
                conversations::team_id.eq(team),
                conversations::assistant_id.eq(turbo),
                conversations::title.eq(title),
                conversations::model.eq(model),
            ))
            .execute(c))
        .unwrap();
    }
    let teams: i64 = on_engine!(conn, |c| teams::table.count().get_result(c)).unwrap();
    assert_eq!(teams, 1);
    V1Rows {
        team,
        turbo,
        mini,
        custom,
    }
}

/// `provider/name` of every row of `app_llm_models`, `(team)` for custom
/// ones, `!` for retired ones, sorted.
fn model_rows(db: &TestDb) -> Vec<String> {
    let mut rows: Vec<String> = db
        .strings(&format!(
            "SELECT {} AS v FROM app_llm_models",
            db.concat(&[
                "kind",
                "'/'",
                "name",
                "CASE WHEN team_id IS NULL THEN '' ELSE ' (team)' END",
                "CASE WHEN retired THEN ' !' ELSE '' END",
            ])
        ))
        .into_iter()
        .map(Option::unwrap)
        .collect();
    rows.sort();
    rows
}

#[allow(deprecated)] // v2's `gpt-4o-mini` is deprecated: named here on purpose
fn deleting_models_moves_the_applications_rows(db: &TestDb) {
    let mut conn = connect(db.url()).unwrap();
    let v1 = host_app::deploy::deploy_catalog(&mut conn, &CATALOG).unwrap();
    assert_eq!(v1.plan.creates.len(), 5);
    let rows = write_as_v1(db, &mut conn);
    assert_eq!(
        model_rows(db),
        [
            "anthropic/claude-3-opus",
            "anthropic/claude-sonnet-4",
            "openai/gpt-4-turbo",
            "openai/gpt-4.1-mini (team)",
            "openai/gpt-4o",
            "openai/gpt-4o-mini",
        ]
    );

    // The current release, on the same connection.
    let v2 = host_app::deploy::deploy(&mut conn).unwrap();
    assert!(v2.plan.refusals.is_empty(), "{:?}", v2.plan.refusals);
    assert_eq!(
        model_rows(db),
        [
            "anthropic/claude-sonnet-4",
            "openai/gpt-4.1-mini",
            "openai/gpt-4o",
            "openai/gpt-4o-mini !",
        ]
    );
    use host_app::LlmModel as V2;
    // Repointed to the replacement; the fallback on a model deleted without
    // one is cleared (a nullable column); the NOT NULL one never is.
    assert_eq!(
        records::assistant_models(&mut conn, rows.turbo).unwrap(),
        (V2::OpenaiGpt4o, None)
    );
    assert_eq!(
        records::assistant_models(&mut conn, rows.mini).unwrap(),
        (V2::OpenaiGpt4oMini, Some(V2::OpenaiGpt4o))
    );
    // The team's custom row merged into the global row v2 created: its
    // assistant moved there before the custom row went.
    assert_eq!(
        records::assistant_models(&mut conn, rows.custom).unwrap(),
        (V2::OpenaiGpt4_1Mini, None)
    );
    // The text ids, loaded by the current code's `LlmModel`.
    let models: Vec<_> = records::conversations_of(&mut conn, rows.team)
        .unwrap()
        .into_iter()
        .map(|c| (c.title, c.model))
        .collect();
    assert_eq!(
        models,
        [
            ("Old".to_owned(), host_app::model!("openai/gpt-4o")),
            (
                "Sonnet".to_owned(),
                host_app::model!("anthropic/claude-sonnet-4")
            ),
        ]
    );
    // The team hears once about each model it used: the two deleted ones
    // (counted before the references moved) and the deprecated one.
    let mut heard: Vec<(String, Vec<i64>)> = v2
        .plan
        .affected
        .iter()
        .map(|m| {
            let teams = m.teams.iter().map(|t| t.team_id).collect();
            (m.model.to_string(), teams)
        })
        .collect();
    heard.sort();
    assert_eq!(
        heard,
        [
            ("anthropic/claude-3-opus".to_owned(), vec![rows.team]),
            ("openai/gpt-4-turbo".to_owned(), vec![rows.team]),
            ("openai/gpt-4o-mini".to_owned(), vec![rows.team]),
        ]
    );

    // Nothing left to do, and the previous release's rows are all readable.
    let again = host_app::deploy::deploy(&mut conn).unwrap();
    assert!(again.plan.is_noop(), "{:?}", again.plan);
}

backend_tests!(deleting_models_moves_the_applications_rows);
