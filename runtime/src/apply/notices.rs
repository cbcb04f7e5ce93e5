//! Writing notifications inside the apply transaction, in the database:
//! one `INSERT … SELECT` for every candidate model (per chunk of a few
//! thousand models), the teams, their counts, messages and links computed by
//! the statement itself ([`crate::plan::resources`]), so no team or resource
//! passes through the process however many there are:
//!
//! ```sql
//! INSERT INTO llm_model_notifications (team_id, slug, model, reminder_days, level,
//!     title, message, links, permission, run_id)
//! SELECT g.team_id, t.slug, t.model, t.reminder_days, $1, t.title,
//!        t.head || g.counts || t.tail, g.links, $2, $3
//! FROM (<per model and team: counts, links>) g JOIN <the models' texts> t ON t.idx = g.idx
//! WHERE true ORDER BY g.idx, g.team_id
//! ON CONFLICT (team_id, slug, model, reminder_days) DO NOTHING
//! ```
//!
//! `head` and `tail` are each model's message around the team's counts
//! ([`texts::message_parts`]): the texts are exactly those `plan` renders.
//! Conflicts are the teams told before (a deprecated model is announced once
//! across every later deploy, and each sunset reminder threshold once; every
//! notice but a reminder has `reminder_days` 0); MySQL skips them with
//! `INSERT IGNORE`, and joins the texts with `STRAIGHT_JOIN`, so the teams
//! drive the join (`Dialect::join_driven_by_left`).
//!
//! What the statement wrote is read back, by this run's id and the ids above
//! the largest one before it (a range of the primary key): per model, the
//! number of teams told (one grouping; on PostgreSQL the `INSERT`'s own
//! `RETURNING`, counted in the same statement), which becomes its `notified` journal
//! row (in `row_count`, like `repointed N rows in T.C`), and the first
//! [`AffectedModel::LISTED`] teams for the report (one `LIMIT` per model, in
//! one statement per 200 models). The new ids
//! are only read when a `recipients_query` needs them.

use std::collections::BTreeMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use llm_lifecycle_catalog::Catalog;

use super::unreached;
use crate::db::dialect::{self, Column};
use crate::db::{Bind, Conn, Query, planner, quote_ident};
use crate::diff::{AffectedModel, AffectedTeam, LEVEL, Links};
use crate::error::{Context, Error};
use crate::ledger::{self, Event};
use crate::plan::Planned;
use crate::plan::resources;
use crate::plan::texts;
use crate::schema::NOTIFICATIONS_TABLE;

/// The journal action of notifications written (one row per model and slug).
const NOTIFIED: &str = "notified";

/// The inserted columns, in the order of the statement's `SELECT`.
const COLUMNS: &str =
    "team_id, slug, model, reminder_days, level, title, message, links, permission, run_id";

/// The once-per-team key (`llm_model_notifications_once`).
const KEY: &str = "team_id, slug, model, reminder_days";

/// Bound values per candidate in the models' texts (`t`).
pub(crate) const BINDS_PER_CANDIDATE: usize = 7;

/// What the aggregates may return on MySQL while the notices are written
/// (`group_concat_max_len`; its largest value).
const LONGEST_AGGREGATE: i64 = 4_294_967_295;

/// A row the `INSERT` wrote.
#[derive(QueryableByName, Debug)]
pub(crate) struct Inserted {
    #[diesel(sql_type = BigInt)]
    pub(crate) id: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) team_id: i64,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A model's notices, as the table keys them (read back, and bound).
#[derive(QueryableByName, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct NoticeKey {
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    model: String,
    #[diesel(sql_type = BigInt)]
    reminder_days: i64,
}

impl NoticeKey {
    fn of(candidate: &AffectedModel) -> Self {
        Self {
            slug: candidate.change.slug().to_owned(),
            model: candidate.model.to_string(),
            reminder_days: candidate
                .reminder
                .map_or(0, |reminder| i64::from(reminder.days_before)),
        }
    }
}

/// One listed team's notice, read back.
#[derive(QueryableByName)]
struct Listed {
    #[diesel(embed)]
    key: NoticeKey,
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = Text)]
    message: String,
    #[diesel(sql_type = Text)]
    links: String,
}

/// The columns the notices are counted by, per model ([`Told`]).
const TOLD_KEY: &str = "slug, model, reminder_days";

/// The select list of a count of notices per model, as [`Told`] reads it.
fn told_columns(conn: &Conn<'_>) -> String {
    let integer = dialect::of(conn.backend()).integer_type();
    format!(
        "slug, model, CAST(reminder_days AS {integer}) AS reminder_days, \
         CAST(COUNT(*) AS {integer}) AS n"
    )
}

/// How many teams one model's notices told.
#[derive(QueryableByName)]
struct Told {
    #[diesel(embed)]
    key: NoticeKey,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// What [`record`] wrote.
pub(crate) struct Recorded {
    /// Notices written.
    pub(crate) written: i64,
    /// Per model told about: the number of teams, the first ones listed.
    pub(crate) affected: Vec<AffectedModel>,
}

/// Steps 4 and 5: writes the notices of [`Planned::notices`] not sent
/// before, their recipients (and those of earlier notices that reached
/// nobody: [`unreached`]), and one `notified` journal row per model told
/// about.
pub(crate) fn record(
    conn: &mut Conn<'_>,
    run_id: i64,
    catalog: &Catalog,
    planned: &Planned,
) -> Result<Recorded, Error> {
    let settings = &catalog.notifications;
    let mut recorded = Recorded {
        written: 0,
        affected: Vec::new(),
    };
    let mut inserted: Vec<Inserted> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    if !planned.notices.is_empty() {
        let limit = raise_aggregate_limit(conn)?;
        let written = (|| {
            let per_statement = resources::candidates_per_statement(catalog, BINDS_PER_CANDIDATE);
            for candidates in planned.notices.chunks(per_statement) {
                let told = told_before(conn, candidates)?;
                let Some(teams) =
                    resources::team_notices(conn, catalog, &planned.columns, candidates, &told)
                else {
                    continue;
                };
                let (folded, ids) = write(conn, run_id, catalog, candidates, teams, None)?;
                recorded.written += folded.written;
                for (model, told) in folded.told {
                    events.push(notified(&model, told));
                    recorded.affected.push(model);
                }
                inserted.extend(ids);
            }
            Ok::<(), Error>(())
        })();
        restore_aggregate_limit(conn, limit)?;
        written?;
    }
    // Recipients for the new notices, and another look for the earlier ones
    // that reached nobody.
    events.extend(unreached::settle(conn, run_id, settings, &inserted)?);
    if !events.is_empty() {
        ledger::journal(conn, run_id, &events)?;
    }
    Ok(recorded)
}

/// What one [`fold`] (or one statement of [`record`]) wrote.
pub(crate) struct Folded {
    /// Notices written.
    pub(crate) written: i64,
    /// Per model told about, in the candidates' order: the model with its
    /// first teams, and how many teams were told.
    pub(crate) told: Vec<(AffectedModel, usize)>,
}

/// One step of a batched apply's notices, in its transaction: the notices
/// about `candidates` of the teams in `teams` (a range of ids), from the
/// resources gathered for them ([`resources::gathered_team_notices`]), read
/// back, with their recipients ([`unreached::reach`]). The `notified`
/// journal rows are written once every team is told ([`notified_events`]).
pub(crate) fn fold(
    conn: &mut Conn<'_>,
    run_id: i64,
    catalog: &Catalog,
    candidates: &[AffectedModel],
    teams: (i64, i64),
) -> Result<Folded, Error> {
    let gathered = resources::gathered_team_notices(conn, catalog, run_id, teams);
    let (folded, inserted) = write(conn, run_id, catalog, candidates, gathered, Some(teams))?;
    unreached::reach(conn, run_id, &catalog.notifications, &inserted)?;
    Ok(folded)
}

/// Writes the notices about `candidates` that `teams` (the relation of
/// [`resources::team_notices`], of the teams in `range` when it is a
/// fold's) gives, and reads them back: what was written, and (with a
/// `recipients_query`) the new rows' ids, for their recipients.
fn write(
    conn: &mut Conn<'_>,
    run_id: i64,
    catalog: &Catalog,
    candidates: &[AffectedModel],
    teams: Query,
    range: Option<(i64, i64)>,
) -> Result<(Folded, Vec<Inserted>), Error> {
    let settings = &catalog.notifications;
    let before = largest_id(conn)?;
    let statement = insert(conn, run_id, &settings.permission, candidates, teams);
    let context = || {
        format!(
            "writing the team notifications about {} model(s)",
            candidates.len()
        )
    };
    // Counted as they are written where the engine can (one statement),
    // else read back.
    let counting =
        dialect::of(conn.backend()).counting_insert(&statement, TOLD_KEY, &told_columns(conn));
    let (written, counts) = match counting {
        Some(counting) => {
            let counts: Vec<Told> = conn.load(&counting).context(context)?;
            (counts.iter().map(|told| told.n).sum(), Some(counts))
        }
        None => {
            let n = conn.execute(&statement).context(context)?;
            (i64::try_from(n).unwrap_or(i64::MAX), None)
        }
    };
    let mut folded = Folded {
        written,
        told: Vec::new(),
    };
    let mut inserted = Vec::new();
    if written > 0 {
        let wrote = Wrote {
            run_id,
            before,
            teams: range,
        };
        // Planned with the table's statistics from before the write
        // ([`planner`]).
        planner::without_jit(conn, |conn| {
            folded.told = read_back(
                conn,
                wrote,
                candidates,
                &crate::plan::nouns(catalog),
                counts,
            )?;
            if settings.recipients_query.is_some() {
                inserted = new_ids(conn, wrote)?;
            }
            Ok(())
        })?;
    }
    Ok((folded, inserted))
}

/// Per candidate, the model told about with its first teams, and how many
/// teams were told (`None`: no team).
pub(crate) type TeamsTold = Vec<Option<(AffectedModel, usize)>>;

/// Adds one [`fold`]'s `told` to `all`, per candidate of `candidates`:
/// the teams told add up, and the first [`AffectedModel::LISTED`] are kept
/// (the folds come in the teams' order).
pub(crate) fn add_told(
    all: &mut [Option<(AffectedModel, usize)>],
    candidates: &[AffectedModel],
    told: Vec<(AffectedModel, usize)>,
) {
    for (model, n) in told {
        let key = NoticeKey::of(&model);
        let Some(slot) = candidates
            .iter()
            .position(|candidate| NoticeKey::of(candidate) == key)
            .and_then(|index| all.get_mut(index))
        else {
            continue;
        };
        match slot {
            None => *slot = Some((model, n)),
            Some((known, so_far)) => {
                *so_far += n;
                let room = AffectedModel::LISTED.saturating_sub(known.teams.len());
                known.teams.extend(model.teams.into_iter().take(room));
                known.more_teams = so_far.saturating_sub(known.teams.len());
            }
        }
    }
}

/// The `notified` journal rows of `told` (teams told per model), and the
/// models told about, for the report.
pub(crate) fn notified_events(
    told: impl IntoIterator<Item = (AffectedModel, usize)>,
) -> (Vec<Event>, Vec<AffectedModel>) {
    told.into_iter()
        .map(|(model, told)| (notified(&model, told), model))
        .unzip()
}

/// The `INSERT … SELECT` of the notices of `candidates` (module docs).
fn insert(
    conn: &Conn<'_>,
    run_id: i64,
    permission: &str,
    candidates: &[AffectedModel],
    teams: Query,
) -> Query {
    let dialect = dialect::of(conn.backend());
    let mut texts = CandidateTexts::default();
    for (index, model) in candidates.iter().enumerate() {
        let (head, tail) = texts::message_parts(model);
        texts.idx.push(i64::try_from(index).unwrap_or(i64::MAX));
        texts.slug.push(model.change.slug().to_owned());
        texts.model.push(model.model.to_string());
        texts.reminder_days.push(
            model
                .reminder
                .map_or(0, |reminder| i64::from(reminder.days_before)),
        );
        texts.title.push(texts::title(model));
        texts.head.push(head);
        texts.tail.push(tail);
    }
    let mut query = Query::new(format!(
        "{} INTO {} ({COLUMNS}) SELECT g.team_id, t.slug, t.model, t.reminder_days, ",
        dialect.insert_skipping_duplicates(),
        quote_ident(NOTIFICATIONS_TABLE)
    ));
    query
        .push_bind(Bind::Text(LEVEL.to_owned()))
        .push_sql(&format!(
            ", t.title, {}, g.links, ",
            dialect.concat(&["t.head", "g.counts", "t.tail"])
        ))
        .push_binds([Bind::Text(permission.to_owned()), Bind::BigInt(run_id)])
        .push_sql(" FROM (")
        .append(teams);
    // The teams drive the join to the candidates' few texts.
    query
        .push_sql(&format!(") AS g {} ", dialect.join_driven_by_left()))
        .append(dialect.columns_relation(&[
            ("idx", Column::Integers(texts.idx)),
            ("slug", Column::Texts(texts.slug)),
            ("model", Column::Texts(texts.model)),
            ("reminder_days", Column::Integers(texts.reminder_days)),
            ("title", Column::Texts(texts.title)),
            ("head", Column::Texts(texts.head)),
            ("tail", Column::Texts(texts.tail)),
        ]))
        // `WHERE true` tells SQLite's parser the `ON CONFLICT` belongs to
        // the `INSERT`, not to the join.
        .push_sql(" ON t.idx = g.idx WHERE true")
        // The ids, and so the order of delivery, follow the candidates'
        // order, then the teams': whatever plan the grouping takes.
        .push_sql(" ORDER BY g.idx, g.team_id")
        .push_sql(&dialect.skip_duplicates(KEY));
    query
}

/// The models' texts, a column each.
#[derive(Default)]
struct CandidateTexts {
    idx: Vec<i64>,
    slug: Vec<String>,
    model: Vec<String>,
    reminder_days: Vec<i64>,
    title: Vec<String>,
    head: Vec<String>,
    tail: Vec<String>,
}

/// The largest notification id so far (0 for none).
fn largest_id(conn: &mut Conn<'_>) -> Result<i64, Error> {
    let query = Query::new(format!(
        "SELECT COALESCE(MAX(id), 0) AS n FROM {}",
        quote_ident(NOTIFICATIONS_TABLE)
    ));
    let rows: Vec<Number> = conn
        .load(&query)
        .context(|| "reading the last notification id".into())?;
    Ok(rows.first().map_or(0, |row| row.n))
}

/// The rows the last statement wrote: this run's after the id `before`,
/// all of teams in `teams` when it wrote for a range of them ([`fold`]).
#[derive(Debug, Clone, Copy)]
struct Wrote {
    run_id: i64,
    before: i64,
    teams: Option<(i64, i64)>,
}

/// `… WHERE run_id = <run> AND id > <before> [AND team_id > <after> AND
/// team_id <= <through>]`: the rows the last statement wrote (the team
/// range lets the once-per-team key's index, which leads with the team,
/// start at the fold's first team rather than the first of all).
fn written_by(select: &str, wrote: Wrote) -> Query {
    let mut query = Query::new(format!(
        "{select} FROM {} WHERE run_id = ",
        quote_ident(NOTIFICATIONS_TABLE)
    ));
    query
        .push_bind(Bind::BigInt(wrote.run_id))
        .push_sql(" AND id > ")
        .push_bind(Bind::BigInt(wrote.before));
    if let Some((after, through)) = wrote.teams {
        query
            .push_sql(" AND team_id > ")
            .push_bind(Bind::BigInt(after))
            .push_sql(" AND team_id <= ")
            .push_bind(Bind::BigInt(through));
    }
    query
}

/// Models whose first teams one statement of [`read_back`] lists: one
/// `UNION ALL` member each, well under SQLite's 500 members of a compound
/// `SELECT`.
const LISTED_PER_STATEMENT: usize = 200;

/// Per candidate told about, in the candidates' order: the model with its
/// first teams, and how many teams were told. The rows the last statement
/// wrote are a range of the primary key of this run: `counts` are the
/// statement's own per model (PostgreSQL counts as it writes), else one
/// grouping counts them, and per model a `… ORDER BY team_id LIMIT` lists the
/// first teams with their texts (MySQL: on the `(run_id, slug, model)`
/// index; a fold's, from its first team on, on the once-per-team key's), so
/// only the listed rows are read in full. (A window numbering every row
/// written, as before, sorts them all: on MariaDB 0.46–0.65 s for 134,100
/// notices against 0.14 s.)
fn read_back(
    conn: &mut Conn<'_>,
    wrote: Wrote,
    candidates: &[AffectedModel],
    nouns: &[String],
    counts: Option<Vec<Told>>,
) -> Result<Vec<(AffectedModel, usize)>, Error> {
    let counts = match counts {
        Some(counts) => counts,
        None => {
            let mut counting = written_by(&format!("SELECT {}", told_columns(conn)), wrote);
            counting.push_sql(&format!(" GROUP BY {TOLD_KEY}"));
            conn.load(&counting)
                .context(|| "counting the team notifications written".into())?
        }
    };
    let mut keys: Vec<NoticeKey> = candidates.iter().map(NoticeKey::of).collect();
    keys.sort();
    keys.dedup();
    keys.retain(|key| counts.iter().any(|told| told.key == *key));
    let mut rows: Vec<Listed> = Vec::new();
    for chunk in keys.chunks(LISTED_PER_STATEMENT) {
        let listed: Vec<Listed> = conn
            .load(&first_teams(conn, wrote, chunk))
            .context(|| "reading back the team notifications written".into())?;
        rows.extend(listed);
    }
    let mut told = Vec::new();
    for candidate in candidates {
        let key = NoticeKey::of(candidate);
        let Some(n) = counts
            .iter()
            .find(|told| told.key == key)
            .map(|told| told.n)
        else {
            continue;
        };
        let (head, tail) = texts::message_parts(candidate);
        let teams: Vec<AffectedTeam> = rows
            .iter()
            .filter(|row| row.key == key)
            .map(|row| AffectedTeam {
                team_id: row.team_id,
                resources: texts::counts_in(&row.message, (&head, &tail), nouns)
                    .unwrap_or_default(),
                links: serde_json::from_str::<BTreeMap<String, String>>(&row.links)
                    .map(|links| links.into_iter().collect::<Links>())
                    .unwrap_or_default(),
            })
            .collect();
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        let mut model = candidate.clone();
        model.more_teams = n.saturating_sub(teams.len());
        model.teams = teams;
        told.push((model, n));
    }
    Ok(told)
}

/// The first [`AffectedModel::LISTED`] teams of each of `keys` among the
/// rows the last statement wrote, with their texts, ordered by model and team:
///
/// ```sql
/// SELECT w.slug, w.model, w.reminder_days, w.team_id, t.message, t.links FROM (
///   SELECT * FROM (SELECT id, slug, model, reminder_days, team_id FROM llm_model_notifications
///                  WHERE run_id = $1 AND id > $2 AND slug = $3 AND model = $4 AND reminder_days = $5
///                  ORDER BY team_id LIMIT 20) AS m0
///   UNION ALL …) AS w
/// JOIN llm_model_notifications t ON t.id = w.id ORDER BY w.slug, w.model, w.reminder_days, w.team_id
/// ```
fn first_teams(conn: &Conn<'_>, wrote: Wrote, keys: &[NoticeKey]) -> Query {
    let dialect = dialect::of(conn.backend());
    let (text, integer) = (dialect.text_type(), dialect.integer_type());
    let mut query = Query::new(format!(
        "SELECT w.slug, w.model, CAST(w.reminder_days AS {integer}) AS reminder_days, \
         w.team_id, t.message, CAST(t.links AS {text}) AS links FROM ("
    ));
    for (index, key) in keys.iter().enumerate() {
        if index > 0 {
            query.push_sql(" UNION ALL ");
        }
        query
            .push_sql("SELECT * FROM (")
            .append(written_by(
                "SELECT id, slug, model, reminder_days, team_id",
                wrote,
            ))
            .push_sql(" AND slug = ")
            .push_bind(Bind::Text(key.slug.clone()))
            .push_sql(" AND model = ")
            .push_bind(Bind::Text(key.model.clone()))
            .push_sql(" AND reminder_days = ")
            .push_bind(Bind::BigInt(key.reminder_days))
            .push_sql(&format!(
                " ORDER BY team_id LIMIT {}) AS m{index}",
                AffectedModel::LISTED
            ));
    }
    query.push_sql(&format!(
        ") AS w JOIN {} t ON t.id = w.id ORDER BY w.slug, w.model, w.reminder_days, w.team_id",
        quote_ident(NOTIFICATIONS_TABLE)
    ));
    query
}

/// The ids and teams of the rows the last statement wrote.
fn new_ids(conn: &mut Conn<'_>, wrote: Wrote) -> Result<Vec<Inserted>, Error> {
    let mut query = written_by("SELECT id, team_id", wrote);
    query.push_sql(" ORDER BY id");
    conn.load(&query)
        .context(|| "reading the ids of the team notifications written".into())
}

/// The `notified` journal row of `told` teams told about `model`.
fn notified(model: &AffectedModel, told: usize) -> Event {
    Event {
        action: NOTIFIED,
        provider: model.model.provider.clone(),
        name: model.model.name.clone(),
        model_id: model.row_id,
        target_provider: model.replacement.as_ref().map(|to| to.provider.clone()),
        target_name: model.replacement.as_ref().map(|to| to.name.clone()),
        row_count: Some(i64::try_from(told).unwrap_or(i64::MAX)),
        detail: Some(notified_detail(model)),
        ..Event::default()
    }
}

/// The `detail` of a `notified` journal row: the slug, and a reminder's
/// threshold (`llm-model-sunset 7d`).
fn notified_detail(model: &AffectedModel) -> String {
    match model.reminder {
        Some(reminder) => format!("{} {}d", model.change.slug(), reminder.days_before),
        None => model.change.slug().to_owned(),
    }
}

/// A `notified` journal row's model and detail.
#[derive(QueryableByName, PartialEq, Eq, PartialOrd, Ord)]
struct Journaled {
    #[diesel(sql_type = Text)]
    provider: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    detail: Option<String>,
}

/// Which of `candidates` the journal says some team was told about before
/// (a `notified` row of the same model, slug and threshold, by the
/// journal's index of action and model): the hint of
/// [`resources::ToldBefore`]. Notices the journal does not know of (a
/// batched run stopped before its last transaction journals them) are still
/// skipped by the once-per-team key.
pub(crate) fn told_before(
    conn: &mut Conn<'_>,
    candidates: &[AffectedModel],
) -> Result<resources::ToldBefore, Error> {
    if candidates.is_empty() {
        return Ok(resources::ToldBefore::of(Vec::new()));
    }
    let mut providers: Vec<&str> = candidates
        .iter()
        .map(|model| &*model.model.provider)
        .collect();
    let mut names: Vec<&str> = candidates.iter().map(|model| &*model.model.name).collect();
    providers.sort_unstable();
    providers.dedup();
    names.sort_unstable();
    names.dedup();
    let mut query = Query::new(format!(
        "SELECT DISTINCT provider, name, detail FROM {} WHERE action = ",
        quote_ident(ledger::EVENTS_TABLE)
    ));
    query
        .push_bind(Bind::Text(NOTIFIED.to_owned()))
        .push_sql(" AND provider IN (")
        .push_binds(providers.iter().map(|p| Bind::Text((*p).to_owned())))
        .push_sql(") AND name IN (")
        .push_binds(names.iter().map(|n| Bind::Text((*n).to_owned())))
        .push_sql(")");
    let mut journaled: Vec<Journaled> = conn
        .load(&query)
        .context(|| "reading from the journal which models teams were told about".into())?;
    journaled.sort_unstable();
    let told = candidates
        .iter()
        .map(|model| {
            let key = Journaled {
                provider: model.model.provider.clone(),
                name: model.model.name.clone(),
                detail: Some(notified_detail(model)),
            };
            journaled.binary_search(&key).is_ok()
        })
        .collect();
    Ok(resources::ToldBefore::of(told))
}

/// Raises the engine's bound on what an aggregate returns, where it has one
/// (MySQL): its previous value, to put back.
pub(crate) fn raise_aggregate_limit(
    conn: &mut Conn<'_>,
) -> Result<Option<(&'static str, i64)>, Error> {
    let Some(variable) = dialect::of(conn.backend()).aggregate_length_limit() else {
        return Ok(None);
    };
    let context = || format!("raising the session's {variable} for the notices' links");
    let rows: Vec<Number> = conn
        .load(&Query::new(format!(
            "SELECT CAST(@@SESSION.{variable} AS SIGNED) AS n"
        )))
        .context(context)?;
    let previous = rows.first().map_or(LONGEST_AGGREGATE, |row| row.n);
    conn.execute(&Query::new(format!(
        "SET SESSION {variable} = {LONGEST_AGGREGATE}"
    )))
    .context(context)?;
    Ok(Some((variable, previous)))
}

/// Puts back what [`raise_aggregate_limit`] changed.
pub(crate) fn restore_aggregate_limit(
    conn: &mut Conn<'_>,
    limit: Option<(&'static str, i64)>,
) -> Result<(), Error> {
    let Some((variable, previous)) = limit else {
        return Ok(());
    };
    conn.execute(&Query::new(format!("SET SESSION {variable} = {previous}")))
        .context(|| format!("putting the session's {variable} back"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::ModelChange;
    use crate::plan::ModelId;

    fn model(name: &str, teams: std::ops::Range<i64>) -> AffectedModel {
        AffectedModel {
            model: ModelId::new("openai", name),
            change: ModelChange::Deleted,
            row_id: Some(1),
            replacement: None,
            sunset: None,
            reminder: None,
            teams: teams
                .map(|team_id| AffectedTeam {
                    team_id,
                    resources: Vec::new(),
                    links: Links::default(),
                })
                .collect(),
            more_teams: 0,
        }
    }

    fn listed(model: &AffectedModel) -> Vec<i64> {
        model.teams.iter().map(|team| team.team_id).collect()
    }

    #[test]
    fn the_folds_teams_add_up_and_the_first_ones_stay_listed() {
        let candidates = [model("a", 0..0), model("b", 0..0), model("c", 0..0)];
        let mut all = vec![None, None, None];
        // Fold 1: 15 teams told about `b`; fold 2: 15 more and 3 about `a`;
        // fold 3: `c` only.
        add_told(&mut all, &candidates, vec![(model("b", 1..16), 15)]);
        add_told(
            &mut all,
            &candidates,
            vec![(model("a", 40..43), 3), (model("b", 16..31), 15)],
        );
        add_told(&mut all, &candidates, vec![(model("c", 50..51), 1)]);
        let told = format!("{all:?}");
        let [Some((a, a_told)), Some((b, b_told)), Some((c, c_told))] =
            <[_; 3]>::try_from(all).unwrap_or_else(|all| panic!("three candidates: {all:?}"))
        else {
            panic!("every candidate was told about: {told}");
        };
        assert_eq!((a_told, listed(&a), a.more_teams), (3, vec![40, 41, 42], 0));
        assert_eq!(b_told, 30);
        assert_eq!(listed(&b), (1..=20).collect::<Vec<_>>(), "the first 20");
        assert_eq!(b.more_teams, 10);
        assert_eq!(b.team_count(), 30);
        assert_eq!((c_told, listed(&c)), (1, vec![50]));
    }

    #[test]
    fn a_model_no_fold_told_about_stays_out() {
        let candidates = [model("a", 0..0), model("b", 0..0)];
        let mut all = vec![None, None];
        add_told(&mut all, &candidates, vec![(model("b", 1..2), 1)]);
        assert!(all[0].is_none());
        let (events, affected) = notified_events(all.into_iter().flatten());
        assert_eq!(affected.len(), 1);
        assert_eq!(affected[0].model.name, "b");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].row_count, Some(1));
        assert_eq!(events[0].action, NOTIFIED);
    }
}
