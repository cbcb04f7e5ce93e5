//! Writing notifications inside the apply transaction: one multi-row
//! `INSERT … ON CONFLICT (team_id, slug, model) DO NOTHING RETURNING` per 500
//! notices. Conflicts are the teams told before (a deprecated model is
//! announced once across every later deploy); only the rows the statement
//! really inserted are journalled, counted and given recipients.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use llm_lifecycle_catalog::NotificationSettings;

use super::{LEVEL, NOTIFICATIONS_TABLE, recipients, texts};
use crate::db::{Backend, Bind, Conn, Query, quote_ident};
use crate::error::{Context, Error};
use crate::ledger::{self, Event};
use crate::plan::Plan;

/// Notices per `INSERT` (9 bound values each).
const NOTICES_PER_STATEMENT: usize = 500;

/// A notification row to insert.
struct Row {
    team_id: i64,
    slug: &'static str,
    model: String,
    title: String,
    message: String,
    links: String,
}

/// A row the `INSERT` really wrote.
#[derive(QueryableByName, Debug)]
pub(crate) struct Inserted {
    #[diesel(sql_type = BigInt)]
    pub(crate) id: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) team_id: i64,
    #[diesel(sql_type = Text)]
    pub(crate) slug: String,
    #[diesel(sql_type = Text)]
    pub(crate) model: String,
}

/// Steps 4 and 5: writes the notices of [`Plan::affected`] not sent before,
/// their recipients, and a `notified` journal row for each; how many were new.
pub(crate) fn record(
    conn: &mut Conn<'_>,
    run_id: i64,
    plan: &Plan,
    settings: &NotificationSettings,
) -> Result<i64, Error> {
    let rows: Vec<Row> = plan
        .affected
        .iter()
        .flat_map(|model| {
            model.teams.iter().map(move |team| Row {
                team_id: team.team_id,
                slug: model.change.slug(),
                model: model.model.to_string(),
                title: texts::title(model),
                message: texts::message(model, team),
                links: serde_json::to_string(&team.links).unwrap_or_else(|_| "{}".to_owned()),
            })
        })
        .collect();
    let mut inserted: Vec<Inserted> = Vec::new();
    for chunk in rows.chunks(NOTICES_PER_STATEMENT) {
        let query = insert_query(conn.backend(), run_id, chunk, &settings.permission);
        let written: Vec<Inserted> = conn
            .load(&query)
            .context(|| format!("writing {} team notifications", chunk.len()))?;
        inserted.extend(written);
    }
    if inserted.is_empty() {
        return Ok(0);
    }
    if let Some(query) = &settings.recipients_query {
        recipients::insert(conn, query, &settings.permission, &inserted)?;
    }
    let events: Vec<Event> = inserted
        .iter()
        .map(|row| {
            let (provider, name) = row.model.split_once('/').unwrap_or((&row.model, ""));
            Event {
                action: "notified",
                provider: provider.to_owned(),
                name: name.to_owned(),
                team_id: Some(row.team_id),
                detail: Some(format!("{} (notification {})", row.slug, row.id)),
                ..Event::default()
            }
        })
        .collect();
    ledger::journal(conn, run_id, &events)?;
    Ok(i64::try_from(inserted.len()).unwrap_or(i64::MAX))
}

fn insert_query(backend: Backend, run_id: i64, rows: &[Row], permission: &str) -> Query {
    let links = match backend {
        Backend::Postgres => "CAST(? AS JSONB)",
        Backend::Sqlite => "?",
    };
    let values = vec![format!("(?, ?, ?, ?, ?, ?, {links}, ?, ?)"); rows.len()].join(", ");
    let mut query = Query::new(format!(
        "INSERT INTO {} (team_id, slug, model, level, title, message, links, permission, run_id) \
         VALUES {values} ON CONFLICT (team_id, slug, model) DO NOTHING \
         RETURNING id, team_id, slug, model",
        quote_ident(NOTIFICATIONS_TABLE)
    ));
    for row in rows {
        query
            .push_bind(Bind::BigInt(row.team_id))
            .push_bind(Bind::Text(row.slug.to_owned()))
            .push_bind(Bind::Text(row.model.clone()))
            .push_bind(Bind::Text(LEVEL.to_owned()))
            .push_bind(Bind::Text(row.title.clone()))
            .push_bind(Bind::Text(row.message.clone()))
            .push_bind(Bind::Text(row.links.clone()))
            .push_bind(Bind::Text(permission.to_owned()))
            .push_bind(Bind::BigInt(run_id));
    }
    query
}
