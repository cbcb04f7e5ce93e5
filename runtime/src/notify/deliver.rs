//! Handing notifications to host sinks after commit.
//!
//! For each [`Notifier`], the notifications it has not yet accepted
//! (`llm_model_notification_deliveries` has no `delivered_at` for its name)
//! and not waiting for a recipient (`awaiting_recipients`: a
//! `recipients_query` found nobody for the team so far; each apply looks
//! again) are loaded 200 at a time, oldest first, and delivered one by one: a
//! delivery is a call to the host, so it cannot be set-based. Each outcome is
//! recorded at once in its own short transaction: a success is never repeated,
//! a failure (logged with `tracing`) counts an attempt, keeps the error and is
//! retried on the next run.
//!
//! Each notice is handed over in a transaction holding the delivery lock
//! ([`DELIVERY_LOCK_KEY`](crate::db::DELIVERY_LOCK_KEY) on PostgreSQL,
//! `BEGIN IMMEDIATE` on SQLite) that first checks it is still undelivered, so
//! two deploys delivering at the same moment never hand the same notice to a
//! sink twice. (A process killed between the sink's success and the commit
//! delivers that one notice again on the next run: at least once, never lost.)

use std::collections::{BTreeMap, HashMap};

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use llm_lifecycle_catalog::Catalog;
use serde::Serialize;

use super::{
    DELIVERIES_TABLE, NOTIFICATIONS_TABLE, Notice, Notifier, RECIPIENTS_TABLE, SinkDisabled,
};
use crate::apply::{ApplyOptions, ApplyReport};
use crate::db::{Backend, Bind, Database, Query, quote_ident};
use crate::error::{Context, Error};
use crate::introspect;

/// Notices loaded per page.
const PAGE: i64 = 200;

/// What [`deliver`] did, over every sink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Notices a sink accepted in this call.
    pub delivered: u64,
    /// Deliveries that failed (retried on the next run).
    pub failed: u64,
    /// Sinks that stopped for the rest of the run ([`SinkDisabled`]).
    pub disabled: u64,
}

/// What happened to one notice.
enum Outcome {
    Delivered,
    Failed,
    /// Failed, and the sink takes nothing more in this run.
    Disabled,
}

#[derive(QueryableByName)]
struct NoticeRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    model: String,
    #[diesel(sql_type = Text)]
    level: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    message: String,
    #[diesel(sql_type = Text)]
    links: String,
    #[diesel(sql_type = Text)]
    permission: String,
    #[diesel(sql_type = Text)]
    created_at: String,
}

#[derive(QueryableByName)]
struct RecipientRow {
    #[diesel(sql_type = BigInt)]
    notification_id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
}

/// [`apply`](crate::apply()) then, once it committed, [`deliver`] to `notifiers`.
/// A delivery failure does not fail the apply: it is logged and retried later.
///
/// # Errors
/// Those of [`apply`](crate::apply()); [`Error::Database`] when the delivery
/// state cannot be read or written (the apply itself is committed by then).
pub fn apply_and_notify(
    db: &mut Database<'_>,
    catalog: &Catalog,
    options: &ApplyOptions,
    notifiers: &[&dyn Notifier],
) -> Result<(ApplyReport, DeliveryReport), Error> {
    let report = crate::apply(db, catalog, options)?;
    let delivery = deliver(db, notifiers)?;
    Ok((report, delivery))
}

/// Hands every notification not yet delivered to each of `notifiers`.
///
/// # Errors
/// [`Error::Database`] when the notifications or the delivery state cannot be
/// read or written. A failing [`Notifier`] is not an error: see [`DeliveryReport`].
pub fn deliver(
    db: &mut Database<'_>,
    notifiers: &[&dyn Notifier],
) -> Result<DeliveryReport, Error> {
    let mut report = DeliveryReport::default();
    if notifiers.is_empty() {
        return Ok(report);
    }
    let present = db.transaction(|conn| introspect::table_exists(conn, DELIVERIES_TABLE))?;
    if !present {
        return Ok(report);
    }
    for notifier in notifiers {
        let sink = notifier.name().to_owned();
        let mut after = 0;
        'pages: loop {
            let page = db.transaction(|conn| {
                let rows: Vec<NoticeRow> = conn
                    .load(&pending_query(conn.backend(), &sink, after))
                    .context(|| format!("reading the notifications not yet delivered to {sink}"))?;
                let recipients = if rows.is_empty() {
                    HashMap::new()
                } else {
                    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
                    let mut query = Query::new(format!(
                        "SELECT notification_id, user_id FROM {} WHERE notification_id IN (",
                        quote_ident(RECIPIENTS_TABLE),
                    ));
                    query
                        .push_binds(ids.iter().map(|id| Bind::BigInt(*id)))
                        .push_sql(") ORDER BY notification_id, user_id");
                    let found: Vec<RecipientRow> = conn
                        .load(&query)
                        .context(|| "reading notification recipients".into())?;
                    let mut by_id: HashMap<i64, Vec<i64>> = HashMap::new();
                    for row in found {
                        by_id
                            .entry(row.notification_id)
                            .or_default()
                            .push(row.user_id);
                    }
                    by_id
                };
                Ok::<_, Error>((rows, recipients))
            })?;
            let (rows, mut recipients) = page;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for row in rows {
                let notice = Notice {
                    id: row.id,
                    team_id: row.team_id,
                    slug: row.slug,
                    model: row.model,
                    level: row.level,
                    title: row.title,
                    message: row.message,
                    links: serde_json::from_str::<BTreeMap<String, String>>(&row.links)
                        .unwrap_or_default(),
                    permission: row.permission,
                    created_at: row.created_at,
                    recipients: recipients.remove(&row.id).unwrap_or_default(),
                };
                let id = notice.id;
                // No timeouts of an apply's: a deliverer waits for another one's
                // sink as the connection does (MySQL: up to 10 minutes).
                let outcome =
                    db.transaction_holding(crate::db::DELIVERY_LOCK_KEY, None, |conn| {
                        // A concurrent deploy may have delivered it since the page was read.
                        let done: Vec<NoticeId> =
                            conn.load(&delivered_query(id, &sink)).context(|| {
                                format!("checking the delivery of notification {id} to {sink}")
                            })?;
                        if !done.is_empty() {
                            return Ok::<_, Error>(None);
                        }
                        let mut outcome = Outcome::Delivered;
                        let error = notifier.deliver(&notice).err().map(|error| {
                            if error.downcast_ref::<SinkDisabled>().is_some() {
                                tracing::warn!(
                                    sink = %sink,
                                    notification = id,
                                    %error,
                                    "a notification sink is disabled for the rest of this run; \
                                     its notifications are retried on the next run"
                                );
                                outcome = Outcome::Disabled;
                            } else {
                                tracing::warn!(
                                    sink = %sink,
                                    notification = id,
                                    team = notice.team_id,
                                    %error,
                                    "could not deliver a notification; it will be retried on the next run"
                                );
                                outcome = Outcome::Failed;
                            }
                            crate::error::one_line(&error.to_string())
                        });
                        conn.execute(&record_query(conn.backend(), id, &sink, error))
                            .context(|| {
                                format!("recording the delivery of notification {id} to {sink}")
                            })?;
                        Ok(Some(outcome))
                    })?;
                match outcome {
                    Some(Outcome::Delivered) => report.delivered += 1,
                    Some(Outcome::Failed) => report.failed += 1,
                    Some(Outcome::Disabled) => {
                        report.failed += 1;
                        report.disabled += 1;
                        break 'pages;
                    }
                    None => {}
                }
            }
        }
    }
    Ok(report)
}

#[derive(QueryableByName)]
struct NoticeId {
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)]
    notification_id: i64,
}

/// The delivery row of `notification_id` to `sink`, when it was delivered.
fn delivered_query(notification_id: i64, sink: &str) -> Query {
    Query::new(format!(
        "SELECT notification_id FROM {} WHERE notification_id = ",
        quote_ident(DELIVERIES_TABLE)
    ))
    .bind(Bind::BigInt(notification_id))
    .sql(" AND sink = ")
    .bind(Bind::Text(sink.to_owned()))
    .sql(" AND delivered_at IS NOT NULL")
}

fn pending_query(backend: Backend, sink: &str, after: i64) -> Query {
    let text = crate::db::dialect::of(backend).text_type();
    Query::new(format!(
        "SELECT n.id, n.team_id, n.slug, n.model, n.level, n.title, n.message, \
         CAST(n.links AS {text}) AS links, n.permission, CAST(n.created_at AS {text}) AS created_at \
         FROM {} n LEFT JOIN {} d ON d.notification_id = n.id AND d.sink = ",
        quote_ident(NOTIFICATIONS_TABLE),
        quote_ident(DELIVERIES_TABLE)
    ))
    .bind(Bind::Text(sink.to_owned()))
    // A notice whose recipients_query found nobody yet waits (see
    // `awaiting_recipients`): a later apply looks again.
    .sql(" WHERE d.delivered_at IS NULL AND NOT n.awaiting_recipients AND n.id > ")
    .bind(Bind::BigInt(after))
    .sql(" ORDER BY n.id LIMIT ")
    .bind(Bind::BigInt(PAGE))
}

/// Upserts one delivery outcome: delivered (`error` is `None`) or one more failed attempt.
fn record_query(
    backend: Backend,
    notification_id: i64,
    sink: &str,
    error: Option<String>,
) -> Query {
    let dialect = crate::db::dialect::of(backend);
    let now = dialect.now();
    let table = quote_ident(DELIVERIES_TABLE);
    let delivered = if error.is_none() { now } else { "NULL" };
    Query::new(format!(
        "INSERT INTO {table} (notification_id, sink, attempts, last_error, delivered_at) VALUES ("
    ))
    .bind(Bind::BigInt(notification_id))
    .sql(", ")
    .bind(Bind::Text(sink.to_owned()))
    .sql(", 1, ")
    .bind(Bind::NullableText(error))
    .sql(&format!(
        ", {delivered}){}",
        dialect.on_conflict_update(
            "notification_id, sink",
            &format!(
                "attempts = {table}.attempts + 1, last_error = {}, delivered_at = {}",
                dialect.new_value("last_error"),
                dialect.new_value("delivered_at")
            )
        )
    ))
}
