//! Writing notifications inside the apply transaction: one multi-row
//! `INSERT … ON CONFLICT (team_id, slug, model) DO NOTHING` per 500
//! notices. Conflicts are the teams told before (a deprecated model is
//! announced once across every later deploy); only the rows the statement
//! really inserted are journalled, counted and given recipients.
//!
//! The rows inserted are the ones carrying this run's `run_id`, so their
//! `notified` journal rows are written by one `INSERT … SELECT` in the
//! database (one statement however many teams are told), and `RETURNING` is
//! only asked for when a `recipients_query` needs the new ids.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use llm_lifecycle_catalog::NotificationSettings;

use super::{LEVEL, NOTIFICATIONS_TABLE, recipients, texts};
use crate::db::{Backend, Bind, Conn, Query, quote_ident};
use crate::error::{Context, Error};
use crate::plan::Plan;

/// The run journal (see `ledger`), where each new notification gets a row.
const EVENTS_TABLE: &str = "llm_lifecycle_events";
/// The journal action of a notification written.
const NOTIFIED: &str = "notified";

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
    // The new ids are only needed to give the notifications recipients.
    let returning = settings.recipients_query.is_some();
    let mut inserted: Vec<Inserted> = Vec::new();
    let mut written: usize = 0;
    for chunk in rows.chunks(NOTICES_PER_STATEMENT) {
        let query = insert_query(
            conn.backend(),
            run_id,
            chunk,
            &settings.permission,
            returning,
        );
        let context = || format!("writing {} team notifications", chunk.len());
        if returning {
            let rows: Vec<Inserted> = conn.load(&query).context(context)?;
            written += rows.len();
            inserted.extend(rows);
        } else {
            written += conn.execute(&query).context(context)?;
        }
    }
    if written == 0 {
        return Ok(0);
    }
    if let Some(query) = &settings.recipients_query {
        recipients::insert(conn, query, &settings.permission, &inserted)?;
    }
    journal_notified(conn, run_id)?;
    Ok(i64::try_from(written).unwrap_or(i64::MAX))
}

/// One `notified` journal row per notification this run inserted (the rows
/// carrying its `run_id`: teams told before kept theirs), in one statement.
fn journal_notified(conn: &mut Conn<'_>, run_id: i64) -> Result<(), Error> {
    let (provider, name) = match conn.backend() {
        Backend::Postgres => (
            "split_part(model, '/', 1)",
            "substr(model, strpos(model, '/') + 1)",
        ),
        Backend::Sqlite => (
            "substr(model, 1, instr(model, '/') - 1)",
            "substr(model, instr(model, '/') + 1)",
        ),
    };
    let query = Query::new(format!(
        "INSERT INTO {EVENTS_TABLE} (run_id, action, provider, name, team_id, detail) \
         SELECT run_id, ?, {provider}, {name}, team_id, \
         slug || ' (notification ' || CAST(id AS TEXT) || ')' \
         FROM {} WHERE run_id = ? ORDER BY id",
        quote_ident(NOTIFICATIONS_TABLE)
    ))
    .bind(Bind::Text(NOTIFIED.to_owned()))
    .bind(Bind::BigInt(run_id));
    conn.execute(&query)
        .context(|| format!("writing the journal of run {run_id}"))?;
    Ok(())
}

fn insert_query(
    backend: Backend,
    run_id: i64,
    rows: &[Row],
    permission: &str,
    returning: bool,
) -> Query {
    let links = match backend {
        Backend::Postgres => "CAST(? AS JSONB)",
        Backend::Sqlite => "?",
    };
    let values = vec![format!("(?, ?, ?, ?, ?, ?, {links}, ?, ?)"); rows.len()].join(", ");
    let mut query = Query::new(format!(
        "INSERT INTO {} (team_id, slug, model, level, title, message, links, permission, run_id) \
         VALUES {values} ON CONFLICT (team_id, slug, model) DO NOTHING{}",
        quote_ident(NOTIFICATIONS_TABLE),
        if returning {
            " RETURNING id, team_id"
        } else {
            ""
        }
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
