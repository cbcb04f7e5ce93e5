//! Writing notifications inside the apply transaction, model by model, with
//! `INSERT … ON CONFLICT (team_id, slug, model, reminder_days) DO NOTHING`.
//! Conflicts are the teams told before (a deprecated model is announced once
//! across every later deploy, and each sunset reminder threshold once; every
//! notice but a reminder has `reminder_days` 0); only the rows a statement
//! really inserted are journalled, counted and given recipients.
//!
//! One `INSERT … SELECT` per model (per the engine's limit of teams per
//! statement): the per-team columns (team, message, links) come from the
//! dialect's relation of rows (on PostgreSQL three arrays expanded by
//! `unnest`, elsewhere a bound value per cell), the columns shared by the
//! model's notices (slug, model, level, title, permission, run) are bound once:
//! `INSERT … SELECT t.team_id, $1, …, t.message, CAST(t.links AS JSONB), …
//! FROM unnest($7::bigint[], $8::text[], $9::text[]) AS t(team_id, message, links)`.
//! Duplicates are skipped by `ON CONFLICT … DO NOTHING` (MySQL: `INSERT IGNORE`).
//!
//! Only one statement's worth of messages and links is rendered at a time.
//! Each statement's affected-row count is the number of teams the model's
//! notice reached, so the journal gets one `notified` row per model and slug
//! with that number in `row_count` (like `repointed N rows in T.C`); which
//! run wrote each notice stays in `llm_model_notifications.run_id`.
//! `RETURNING` is only asked for when a `recipients_query` needs the new ids.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use llm_lifecycle_catalog::NotificationSettings;

use super::unreached;
use crate::db::dialect::{self, Column};
use crate::db::{Bind, Conn, Query, quote_ident};
use crate::diff::{AffectedModel, AffectedTeam, LEVEL};
use crate::error::{Context, Error};
use crate::ledger::{self, Event};
use crate::plan::Plan;
use crate::plan::texts;
use crate::schema::NOTIFICATIONS_TABLE;

/// The journal action of notifications written (one row per model and slug).
const NOTIFIED: &str = "notified";

/// The inserted columns, in the order of every statement's `SELECT`.
const COLUMNS: &str =
    "team_id, slug, model, reminder_days, level, title, message, links, permission, run_id";

/// The once-per-team key (`llm_model_notifications_once`).
const KEY: &str = "team_id, slug, model, reminder_days";

/// A row the `INSERT` really wrote.
#[derive(QueryableByName, Debug)]
pub(crate) struct Inserted {
    #[diesel(sql_type = BigInt)]
    pub(crate) id: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) team_id: i64,
}

/// What every notice about one model shares.
struct Shared<'a> {
    slug: &'static str,
    model: String,
    /// The reminder's threshold in days; 0 for every other notice.
    reminder_days: i64,
    title: String,
    permission: &'a str,
    run_id: i64,
}

/// One statement's teams, rendered: ids, messages, links as JSON text.
struct Batch {
    team_ids: Vec<i64>,
    messages: Vec<String>,
    links: Vec<String>,
}

impl Batch {
    fn render(model: &AffectedModel, teams: &[AffectedTeam]) -> Self {
        Self {
            team_ids: teams.iter().map(|team| team.team_id).collect(),
            messages: teams
                .iter()
                .map(|team| texts::message(model, team))
                .collect(),
            links: teams
                .iter()
                .map(|team| serde_json::to_string(&team.links).unwrap_or_else(|_| "{}".to_owned()))
                .collect(),
        }
    }
}

/// How many teams a statement wrote, and their new ids when asked for.
struct Written {
    count: usize,
    inserted: Vec<Inserted>,
}

/// Steps 4 and 5: writes the notices of [`Plan::affected`] not sent before,
/// their recipients (and those of earlier notices that reached nobody:
/// [`unreached`]), and one `notified` journal row per model told about; how
/// many notices were new.
pub(crate) fn record(
    conn: &mut Conn<'_>,
    run_id: i64,
    plan: &Plan,
    settings: &NotificationSettings,
) -> Result<i64, Error> {
    // The new ids are only needed to give the notifications recipients.
    let returning = settings.recipients_query.is_some();
    let dialect = dialect::of(conn.backend());
    // Three bound values per team, seven shared.
    let per_statement = dialect.rows_per_statement(3);
    let mut inserted: Vec<Inserted> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut written: usize = 0;
    for model in &plan.affected {
        let shared = Shared {
            slug: model.change.slug(),
            model: model.model.to_string(),
            reminder_days: model
                .reminder
                .map_or(0, |reminder| i64::from(reminder.days_before)),
            title: texts::title(model),
            permission: &settings.permission,
            run_id,
        };
        let mut told: usize = 0;
        for teams in model.teams.chunks(per_statement) {
            let batch = Batch::render(model, teams);
            let context = || {
                format!(
                    "writing {} team notifications about {}",
                    teams.len(),
                    shared.model
                )
            };
            let result = insert(conn, &shared, batch, returning);
            let rows = result.context(context)?;
            told += rows.count;
            inserted.extend(rows.inserted);
        }
        if told > 0 {
            events.push(Event {
                action: NOTIFIED,
                provider: model.model.provider.clone(),
                name: model.model.name.clone(),
                model_id: model.row_id,
                target_provider: model.replacement.as_ref().map(|to| to.provider.clone()),
                target_name: model.replacement.as_ref().map(|to| to.name.clone()),
                row_count: Some(i64::try_from(told).unwrap_or(i64::MAX)),
                detail: Some(match model.reminder {
                    Some(reminder) => format!("{} {}d", shared.slug, reminder.days_before),
                    None => shared.slug.to_owned(),
                }),
                ..Event::default()
            });
        }
        written += told;
    }
    // Recipients for the new notices, and another look for the earlier ones
    // that reached nobody.
    events.extend(unreached::settle(conn, run_id, settings, &inserted)?);
    if !events.is_empty() {
        ledger::journal(conn, run_id, &events)?;
    }
    Ok(i64::try_from(written).unwrap_or(i64::MAX))
}

/// Writes one batch of a model's notices, skipping the teams told before:
/// their new ids when `returning`, else only their number. Where the engine
/// has no `INSERT … RETURNING` (MySQL 8), the ids are read back by this
/// run's id, slug, model and teams.
fn insert(
    conn: &mut Conn<'_>,
    shared: &Shared<'_>,
    batch: Batch,
    returning: bool,
) -> diesel::QueryResult<Written> {
    let dialect = dialect::of(conn.backend());
    let team_ids = batch.team_ids.clone();
    let mut query = Query::new(format!(
        "{} INTO {} ({COLUMNS}) SELECT t.team_id, ",
        dialect.insert_skipping_duplicates(),
        quote_ident(NOTIFICATIONS_TABLE)
    ));
    query
        .push_binds([
            Bind::Text(shared.slug.to_owned()),
            Bind::Text(shared.model.clone()),
            Bind::BigInt(shared.reminder_days),
            Bind::Text(LEVEL.to_owned()),
            Bind::Text(shared.title.clone()),
        ])
        .push_sql(&format!(
            ", t.message, {}, ",
            dialect.json_from_text("t.links")
        ))
        .push_binds([
            Bind::Text(shared.permission.to_owned()),
            Bind::BigInt(shared.run_id),
        ])
        .push_sql(" FROM ")
        .append(dialect.columns_relation(&[
            ("team_id", Column::Integers(batch.team_ids)),
            ("message", Column::Texts(batch.messages)),
            ("links", Column::Texts(batch.links)),
        ]))
        // `WHERE true` tells SQLite's parser the `ON CONFLICT` belongs to
        // the `INSERT`, not to a join.
        .push_sql(" WHERE true")
        .push_sql(&dialect.skip_duplicates(KEY));
    if !returning {
        return Ok(Written {
            count: conn.execute(&query)?,
            inserted: Vec::new(),
        });
    }
    if dialect.insert_returning() {
        query.push_sql(" RETURNING id, team_id");
        let inserted: Vec<Inserted> = conn.load(&query)?;
        return Ok(Written {
            count: inserted.len(),
            inserted,
        });
    }
    if conn.execute(&query)? == 0 {
        return Ok(Written {
            count: 0,
            inserted: Vec::new(),
        });
    }
    let mut written = Query::new(format!(
        "SELECT id, team_id FROM {} WHERE run_id = ",
        quote_ident(NOTIFICATIONS_TABLE)
    ));
    written
        .push_bind(Bind::BigInt(shared.run_id))
        .push_sql(" AND slug = ")
        .push_bind(Bind::Text(shared.slug.to_owned()))
        .push_sql(" AND model = ")
        .push_bind(Bind::Text(shared.model.clone()))
        .push_sql(" AND reminder_days = ")
        .push_bind(Bind::BigInt(shared.reminder_days))
        .push_sql(" AND team_id IN (")
        .push_binds(team_ids.into_iter().map(Bind::BigInt))
        .push_sql(")");
    let inserted: Vec<Inserted> = conn.load(&written)?;
    Ok(Written {
        count: inserted.len(),
        inserted,
    })
}
