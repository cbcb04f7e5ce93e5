//! Writing notifications inside the apply transaction, model by model, with
//! `INSERT … ON CONFLICT (team_id, slug, model) DO NOTHING`. Conflicts are
//! the teams told before (a deprecated model is announced once across every
//! later deploy); only the rows a statement really inserted are journalled,
//! counted and given recipients.
//!
//! - **PostgreSQL**: one statement per model (per [`PG_NOTICES_PER_STATEMENT`]
//!   teams), the per-team columns bound as three arrays and expanded by
//!   `unnest`, the columns shared by the model's notices (slug, model, level,
//!   title, permission, run) bound once:
//!   `INSERT … SELECT t.team_id, $1, …, t.message, CAST(t.links AS JSONB), …
//!   FROM unnest($7::bigint[], $8::text[], $9::text[]) AS t(team_id, message, links)`.
//! - **SQLite**: the same `INSERT … SELECT` over a multi-row `VALUES` of three
//!   bound values per team, [`SQLITE_NOTICES_PER_STATEMENT`] teams per statement
//!   (within SQLite's 32,766 bound values).
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

use super::recipients;
use crate::db::{Bind, Conn, Query, quote_ident};
use crate::diff::{AffectedModel, AffectedTeam, LEVEL};
use crate::error::{Context, Error};
use crate::ledger::{self, Event};
use crate::plan::Plan;
use crate::plan::texts;
use crate::schema::NOTIFICATIONS_TABLE;

/// The journal action of notifications written (one row per model and slug).
const NOTIFIED: &str = "notified";

/// Teams per PostgreSQL `INSERT` (three array binds, whatever their length).
#[cfg(feature = "postgres")]
const PG_NOTICES_PER_STATEMENT: usize = 50_000;

/// Teams per SQLite `INSERT`: three bound values each, six shared, below 32,766.
#[cfg(feature = "sqlite")]
const SQLITE_NOTICES_PER_STATEMENT: usize = 10_000;

/// Teams per MySQL `INSERT`: three bound values each, six shared, far below
/// MySQL's 65,535 placeholders per statement.
#[cfg(feature = "mysql")]
const MYSQL_NOTICES_PER_STATEMENT: usize = 10_000;

/// The inserted columns, in the order of every statement's `SELECT`.
const COLUMNS: &str = "team_id, slug, model, level, title, message, links, permission, run_id";

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
/// their recipients, and one `notified` journal row per model told about;
/// how many notices were new.
pub(crate) fn record(
    conn: &mut Conn<'_>,
    run_id: i64,
    plan: &Plan,
    settings: &NotificationSettings,
) -> Result<i64, Error> {
    // The new ids are only needed to give the notifications recipients.
    let returning = settings.recipients_query.is_some();
    let per_statement = match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(_) => PG_NOTICES_PER_STATEMENT,
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(_) => SQLITE_NOTICES_PER_STATEMENT,
        #[cfg(feature = "mysql")]
        Conn::Mysql(_) => MYSQL_NOTICES_PER_STATEMENT,
    };
    let mut inserted: Vec<Inserted> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut written: usize = 0;
    for model in &plan.affected {
        let shared = Shared {
            slug: model.change.slug(),
            model: model.model.to_string(),
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
            let result = match conn {
                #[cfg(feature = "postgres")]
                Conn::Postgres(_) => insert_pg(conn, &shared, batch, returning),
                #[cfg(feature = "sqlite")]
                Conn::Sqlite(_) => insert_sqlite(conn, &shared, &batch, returning),
                #[cfg(feature = "mysql")]
                Conn::Mysql(_) => insert_mysql(conn, &shared, &batch, returning),
            };
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
                detail: Some(shared.slug.to_owned()),
                ..Event::default()
            });
        }
        written += told;
    }
    if written == 0 {
        return Ok(0);
    }
    if let Some(query) = &settings.recipients_query {
        recipients::insert(conn, query, &settings.permission, &inserted)?;
    }
    ledger::journal(conn, run_id, &events)?;
    Ok(i64::try_from(written).unwrap_or(i64::MAX))
}

fn on_conflict(returning: bool) -> &'static str {
    if returning {
        " ON CONFLICT (team_id, slug, model) DO NOTHING RETURNING id, team_id"
    } else {
        " ON CONFLICT (team_id, slug, model) DO NOTHING"
    }
}

/// `INSERT … SELECT <team>, <shared columns>, <message>, <links>, … FROM `:
/// the columns every team's notice shares are bound once, `per_team` names
/// the batch's columns (`team`, `message`, `links`) in the source that follows.
fn insert_head(shared: &Shared<'_>, per_team: [&str; 3]) -> Query {
    insert_head_as("INSERT", shared, per_team)
}

/// [`insert_head`] starting with `verb` (`INSERT`, `INSERT IGNORE`).
fn insert_head_as(verb: &str, shared: &Shared<'_>, per_team: [&str; 3]) -> Query {
    let [team, message, links] = per_team;
    let mut query = Query::new(format!(
        "{verb} INTO {} ({COLUMNS}) SELECT {team}, ",
        quote_ident(NOTIFICATIONS_TABLE)
    ));
    query
        .push_binds([
            Bind::Text(shared.slug.to_owned()),
            Bind::Text(shared.model.clone()),
            Bind::Text(LEVEL.to_owned()),
            Bind::Text(shared.title.clone()),
        ])
        .push_sql(&format!(", {message}, {links}, "))
        .push_binds([
            Bind::Text(shared.permission.to_owned()),
            Bind::BigInt(shared.run_id),
        ])
        .push_sql(" FROM ");
    query
}

/// Runs an insert: the new rows' ids when `returning`, else only their number.
fn run_insert(conn: &mut Conn<'_>, query: &Query, returning: bool) -> diesel::QueryResult<Written> {
    if returning {
        let inserted: Vec<Inserted> = conn.load(query)?;
        Ok(Written {
            count: inserted.len(),
            inserted,
        })
    } else {
        Ok(Written {
            count: conn.execute(query)?,
            inserted: Vec::new(),
        })
    }
}

/// PostgreSQL: the batch as three arrays, expanded by `unnest` (one statement
/// whatever the number of teams, nine bound values).
#[cfg(feature = "postgres")]
fn insert_pg(
    conn: &mut Conn<'_>,
    shared: &Shared<'_>,
    batch: Batch,
    returning: bool,
) -> diesel::QueryResult<Written> {
    let mut query = insert_head(shared, ["t.team_id", "t.message", "CAST(t.links AS JSONB)"]);
    query
        .push_sql("unnest(CAST(")
        .push_bind(Bind::BigIntArray(batch.team_ids))
        .push_sql(" AS BIGINT[]), CAST(")
        .push_bind(Bind::TextArray(batch.messages))
        .push_sql(" AS TEXT[]), CAST(")
        .push_bind(Bind::TextArray(batch.links))
        .push_sql(&format!(
            " AS TEXT[])) AS t(team_id, message, links){}",
            on_conflict(returning)
        ));
    run_insert(conn, &query, returning)
}

/// SQLite: `INSERT … SELECT` over a multi-row `VALUES (team, message, links)`;
/// the shared columns bound once. (`WHERE true` tells SQLite's parser the
/// `ON CONFLICT` belongs to the `INSERT`, not to a join.)
#[cfg(feature = "sqlite")]
fn insert_sqlite(
    conn: &mut Conn<'_>,
    shared: &Shared<'_>,
    batch: &Batch,
    returning: bool,
) -> diesel::QueryResult<Written> {
    let mut query = insert_head(shared, ["t.column1", "t.column2", "t.column3"]);
    query
        .push_sql("(VALUES ")
        .push_rows(
            batch
                .team_ids
                .iter()
                .zip(&batch.messages)
                .zip(&batch.links)
                .map(|((team_id, message), links)| {
                    [
                        Bind::BigInt(*team_id),
                        Bind::Text(message.clone()),
                        Bind::Text(links.clone()),
                    ]
                }),
        )
        .push_sql(&format!(") AS t WHERE true{}", on_conflict(returning)));
    run_insert(conn, &query, returning)
}

/// MySQL: `INSERT IGNORE … SELECT` over a `UNION ALL` of one `SELECT` per team
/// (MySQL 8 and MariaDB spell a `VALUES` relation differently); a row whose
/// `(team_id, slug, model)` exists is skipped, and only the rows written count.
/// No `RETURNING` on MySQL 8: the new ids are read back by this run's id.
#[cfg(feature = "mysql")]
fn insert_mysql(
    conn: &mut Conn<'_>,
    shared: &Shared<'_>,
    batch: &Batch,
    returning: bool,
) -> diesel::QueryResult<Written> {
    let mut query = insert_head_as(
        "INSERT IGNORE",
        shared,
        ["t.team_id", "t.message", "t.links"],
    );
    query.push_sql("(").push_union_rows(
        &["team_id", "message", "links"],
        batch
            .team_ids
            .iter()
            .zip(&batch.messages)
            .zip(&batch.links)
            .map(|((team_id, message), links)| {
                [
                    Bind::BigInt(*team_id),
                    Bind::Text(message.clone()),
                    Bind::Text(links.clone()),
                ]
            }),
    );
    query.push_sql(") AS t");
    let count = conn.execute(&query)?;
    if !returning || count == 0 {
        return Ok(Written {
            count,
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
        .push_sql(" AND team_id IN (")
        .push_binds(batch.team_ids.iter().map(|id| Bind::BigInt(*id)))
        .push_sql(")");
    let inserted: Vec<Inserted> = conn.load(&written)?;
    Ok(Written {
        count: inserted.len(),
        inserted,
    })
}
