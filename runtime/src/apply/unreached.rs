//! Notices that reached nobody: with `[notifications] recipients_query`, a
//! notice whose query found no user for its team when it was written (a team
//! whose only admin left, a team created before its first member) is marked
//! `awaiting_recipients`. Sinks ([`Notifier`](crate::notify::Notifier)s, the
//! webhook) are not handed such a notice; every later apply runs the query
//! again for them, in its own transaction, and a notice that now finds
//! someone gets its recipients, loses the mark and is delivered once, like
//! any other.
//!
//! Set-based: the retried notices' recipients are written by the same
//! statements as new ones ([`recipients::insert`]), and one `UPDATE` sets the
//! mark of every notice written by this run or still waiting from an earlier
//! one. Without a `recipients_query` (it was removed from the catalogue)
//! nothing can find recipients any more: the marks are dropped, and the
//! notices are delivered without recipients, as every notice is then.

use std::collections::BTreeMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use llm_lifecycle_catalog::NotificationSettings;

use super::notices::Inserted;
use super::recipients;
use crate::db::{Bind, Conn, Query, quote_ident};
use crate::error::{Context, Error};
use crate::ledger::Event;
use crate::plan::ModelId;
use crate::schema::{NOTIFICATIONS_TABLE, RECIPIENTS_TABLE};

/// The journal action of notices of earlier runs that found recipients now
/// (one row per model and slug, their number in `row_count`).
pub(crate) const REACHED: &str = "reached";

#[derive(QueryableByName)]
struct Waiting {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    model: String,
}

/// The notices of earlier runs still waiting for a recipient.
fn waiting(conn: &mut Conn<'_>, run_id: i64) -> Result<Vec<Waiting>, Error> {
    let query = Query::new(format!(
        "SELECT id, team_id, slug, model FROM {} WHERE awaiting_recipients AND run_id <> ",
        quote_ident(NOTIFICATIONS_TABLE)
    ))
    .bind(Bind::BigInt(run_id))
    .sql(" ORDER BY id");
    conn.load(&query)
        .context(|| "reading the notifications that reached nobody so far".into())
}

/// Gives the notices written by `run_id` (`inserted`) their recipients, looks
/// again for the recipients of earlier notices that reached nobody, and marks
/// what still reaches nobody. The journal rows (`reached`) of the earlier
/// notices that found someone are returned.
pub(crate) fn settle(
    conn: &mut Conn<'_>,
    run_id: i64,
    settings: &NotificationSettings,
    inserted: &[Inserted],
) -> Result<Vec<Event>, Error> {
    let table = quote_ident(NOTIFICATIONS_TABLE);
    let Some(query) = &settings.recipients_query else {
        conn.execute(&Query::new(format!(
            "UPDATE {table} SET awaiting_recipients = FALSE WHERE awaiting_recipients"
        )))
        .context(|| "releasing the notifications that waited for a recipient".into())?;
        return Ok(Vec::new());
    };
    let retried = waiting(conn, run_id)?;
    if inserted.is_empty() && retried.is_empty() {
        return Ok(Vec::new());
    }
    let mut all: Vec<Inserted> = Vec::with_capacity(inserted.len() + retried.len());
    all.extend(inserted.iter().map(|row| Inserted {
        id: row.id,
        team_id: row.team_id,
    }));
    all.extend(retried.iter().map(|row| Inserted {
        id: row.id,
        team_id: row.team_id,
    }));
    recipients::insert(conn, query, &settings.permission, &all)?;
    // One statement marks this run's notices and the earlier ones alike
    // (none of this run's: only the earlier ones; a batched apply marked its
    // own as it wrote them, [`reach`]).
    let mut mark = marking();
    if inserted.is_empty() {
        mark.push_sql("awaiting_recipients");
    } else {
        mark.push_sql("run_id = ")
            .push_bind(Bind::BigInt(run_id))
            .push_sql(" OR awaiting_recipients");
    }
    conn.execute(&mark)
        .context(|| "marking the notifications that reached nobody".into())?;
    if retried.is_empty() {
        return Ok(Vec::new());
    }
    let still = waiting(conn, run_id)?;
    let still: Vec<i64> = still.into_iter().map(|row| row.id).collect();
    // Both lists are ordered by id.
    let mut reached: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in retried {
        if still.binary_search(&row.id).is_err() {
            *reached.entry((row.model, row.slug)).or_default() += 1;
        }
    }
    Ok(reached
        .into_iter()
        .map(|((model, slug), count)| {
            let id = model
                .split_once('/')
                .map_or_else(|| ModelId::new("", &model), |(p, n)| ModelId::new(p, n));
            Event {
                action: REACHED,
                provider: id.provider,
                name: id.name,
                row_count: Some(count),
                detail: Some(slug),
                ..Event::default()
            }
        })
        .collect())
}

/// `UPDATE … SET awaiting_recipients = <no recipient row> WHERE `, the rows
/// to mark to follow.
fn marking() -> Query {
    let table = quote_ident(NOTIFICATIONS_TABLE);
    Query::new(format!(
        "UPDATE {table} SET awaiting_recipients = NOT EXISTS (SELECT 1 FROM {} r \
         WHERE r.notification_id = {table}.id) WHERE ",
        quote_ident(RECIPIENTS_TABLE)
    ))
}

/// The recipients of the notices `run_id` just wrote (`inserted`, in the
/// order of their ids), and the mark of those that reached nobody: one fold
/// of a batched apply's notices, in the fold's transaction (the deliverer
/// never sees them without their recipients). Without a `recipients_query`
/// nothing is written. The earlier notices that reached nobody are looked
/// at once, at the end ([`settle`] with no new notices).
pub(crate) fn reach(
    conn: &mut Conn<'_>,
    run_id: i64,
    settings: &NotificationSettings,
    inserted: &[Inserted],
) -> Result<(), Error> {
    let (Some(query), Some(first)) = (&settings.recipients_query, inserted.first()) else {
        return Ok(());
    };
    recipients::insert(conn, query, &settings.permission, inserted)?;
    let mut mark = marking();
    mark.push_sql("run_id = ")
        .push_bind(Bind::BigInt(run_id))
        .push_sql(" AND id >= ")
        .push_bind(Bind::BigInt(first.id));
    conn.execute(&mark)
        .context(|| "marking the notifications that reached nobody".into())?;
    Ok(())
}
