//! `apply --batch-size N`: references to deleted models move to their live
//! targets batch by batch, each batch a locked transaction of its own, before
//! the final transaction (`super::run`) moves what is left, deletes the
//! model rows and records the run. Row locks are held for one batch, not for
//! the whole apply.
//!
//! 1. `prepare`, two locked transactions (SQLite: one): the whole plan, computed and
//!    validated (a refused plan moves nothing); when something batches, the
//!    pending schema migrations (committed here, not with the final
//!    transaction) and, if any ran, the plan again; the ledger
//!    row (`running`) and the notices, counted from the references as they
//!    are before any moves, so they are what they would be without batching,
//!    and are kept even if the run stops between batches (the teams whose
//!    references moved are told). Where the tables are watched (below), the
//!    notices are written after the ledger row's transaction, in short
//!    transactions of their own (`gather.rs`). The plan counts the rows to move only on a
//!    terminal (the bar's total); otherwise one probe per walk, which stops
//!    at the first matching row, tells whether anything batches, and the
//!    batches count what they move (`prepare.rs`).
//!
//!    Between its two transactions (the plan and migrations, then the ledger
//!    row and notices) the tables the batches walk get the triggers that log
//!    the rows written from then on, so the final transaction reads only
//!    those again ([`super::written`]). On SQLite, which logs nothing, both
//!    are one transaction.
//! 2. `walk`, per reference column (and per mapping of at most
//!    `MAX_MAPPING_PER_STATEMENT` entries): the next batch is the first
//!    `n` matching rows after the last batch's key, in key order, where
//!    `n` is at most `N` and sized so that a batch takes about 100 ms
//!    (`pace.rs`: a batch holds its rows' locks until its COMMIT)
//!    (`RefColumn::batch_query`: it reads on from there, never from the start,
//!    no `OFFSET`); one `UPDATE` moves the rows of that key range (on
//!    PostgreSQL and MySQL one statement takes the batch and moves it,
//!    `RefColumn::batch_update_query`: the batch is read once); the
//!    journal gets a `batched` row per model and batch. Only references whose
//!    target row already exists move here ([`crate::plan::batching`]).
//!
//! A run stopped between batches leaves every reference pointing at a model
//! row that exists (moved ones at their target, the others where they were:
//! no model row is deleted before the final transaction), and the next apply
//! finishes the job.

mod gather;
mod pace;
mod prepare;

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU64;
use std::time::Instant;

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use llm_lifecycle_catalog::Catalog;

use self::pace::Pace;
use super::progress;
use super::steps::{self, Targets};
use super::{ApplyOptions, FailPoint, events, fail_if, written};
use crate::db::{Bind, Conn, Database, Query, dialect, quote_ident};
use crate::error::{Context, Error};
use crate::ledger::{self, Event, RunCounts};
use crate::model_table::ModelTable;
use crate::plan::{
    self, AffectedModel, BatchedColumn, Batching, MappingEntry, Plan, ReferenceUpdate,
};
use crate::references::{BatchCount, Counted, KeyCount, KeyRange, NewValue, OldValue, RefColumn};

/// How often a batch whose row count changed under it (a host write in its
/// key range, between its count and its `UPDATE`) is tried again.
const ATTEMPTS: usize = 3;

/// What the batches did, for the final transaction.
#[derive(Debug)]
pub(super) struct Batched {
    /// Migrations `prepare` applied.
    pub(super) migrations: Vec<String>,
    /// Set when there was something to batch: the run `prepare` started.
    pub(super) run: Option<BatchedRun>,
}

/// A run whose references moved in batches.
#[derive(Debug)]
pub(super) struct BatchedRun {
    pub(super) run_id: i64,
    /// Notices `prepare` wrote.
    pub(super) notified: i64,
    /// At most this many rows per batch.
    batch_size: u64,
    /// The integer key of each referencing table that has one.
    keys: HashMap<String, String>,
    /// The rows the plan counted to move in batches, the bar's total (0 when
    /// it did not count them: off a terminal).
    total: u64,
    /// The teams `prepare` notified, to report.
    pub(super) affected: Vec<AffectedModel>,
    /// What moved, per column and model.
    pub(super) moved: Vec<ReferenceUpdate>,
    /// How many batches committed.
    pub(super) batches: u64,
    /// Per reference with an integer key, the old values that move in batches.
    early: HashMap<usize, HashSet<OldValue>>,
    /// The log of the rows written since the notices were counted, when the
    /// tables could be watched.
    pub(super) log: Option<written::Log>,
    /// The notices, when they are written after the tables are watched
    /// (`gather.rs`), not with the ledger row.
    deferred: Option<gather::Deferred>,
}

/// A batch that moved rows: its last key and the rows moved per old value.
struct Done {
    through: i64,
    counts: HashMap<OldValue, u64>,
}

/// One walk: a column, its key, and one statement's worth of mapping.
struct Walk {
    reference: usize,
    column: RefColumn,
    key: String,
    entries: Vec<MappingEntry>,
    mapping: Vec<(OldValue, NewValue)>,
    /// Target row ids (id and JSON references), checked before each batch.
    target_ids: Vec<i64>,
}

/// Runs steps 1 and 2; `started` gets the ledger row and what committed so
/// far, so a failure can be recorded on that row.
pub(super) fn run(
    db: &mut Database<'_>,
    catalog: &Catalog,
    options: &ApplyOptions,
    batch_size: NonZeroU64,
    started: &mut Option<(i64, RunCounts)>,
) -> Result<Batched, Error> {
    let timeouts = &options.timeouts;
    let logs = written::supported(db.backend());
    let survey = db.locked_transaction(timeouts, |conn| {
        prepare::survey(conn, catalog, options, batch_size, logs)
    })?;
    let migrations = survey.migrations;
    let (work, since) = match survey.begun {
        Some(begun) => (Some(begun), None),
        None if survey.watch.is_empty() => (None, None),
        None => {
            let since =
                match db.locked_session(timeouts, |conn| written::install(conn, &survey.watch)) {
                    Ok(since) => Some(since),
                    Err(error) => {
                        tracing::warn!(
                            %error,
                            "the rows written while the batches run are not logged: the final \
                             transaction reads every table whole"
                        );
                        None
                    }
                };
            // Watched, the notices are gathered in short transactions;
            // otherwise they are written with the ledger row, as on SQLite.
            let notices = if since.is_some() {
                prepare::Notices::Gathered
            } else {
                prepare::Notices::Now
            };
            let work = db.locked_transaction(timeouts, |conn| {
                prepare::prepare(conn, catalog, options, batch_size, notices)
            })?;
            (work, since)
        }
    };
    let Some((mut run, walks)) = work else {
        return Ok(Batched {
            migrations,
            run: None,
        });
    };
    run.log = since.map(|since| written::Log {
        since,
        tables: survey
            .watch
            .into_iter()
            .map(|watched| (watched.table, watched.key))
            .collect(),
        olds: std::mem::take(&mut run.early),
    });
    let logged = run.log.is_some();
    *started = Some((run.run_id, RunCounts::default()));
    if let Some(deferred) = run.deferred.take() {
        let recorded = gather::record(db, catalog, options, run.run_id, batch_size, &deferred)?;
        run.notified = recorded.written;
        run.affected = recorded.affected;
    }
    let bar = progress::bar(options.progress, "moving references in batches", run.total);
    let table = ModelTable::of(catalog);
    let mut moved: HashMap<(usize, OldValue), u64> = HashMap::new();
    // Per table: the walks of one table (a column per walk, a walk per
    // mapping of at most `MAX_MAPPING_PER_STATEMENT`) go on at its pace.
    let mut paces: HashMap<&str, Pace> = HashMap::new();
    for walk in &walks {
        let pace = paces
            .entry(walk.column.table.as_str())
            .or_insert_with(|| Pace::new(batch_size));
        let mut after = i64::MIN;
        loop {
            bar.set_message(format!(
                "{}.{} batch {}",
                walk.column.table,
                walk.column.column,
                run.batches + 1
            ));
            let rows = pace.rows();
            let began = Instant::now();
            let batch = with_retries(|| {
                db.locked_transaction(timeouts, |conn| {
                    batch_settings(conn, logged)?;
                    one_batch(conn, &table, walk, after, rows, run.run_id, run.batches + 1)
                })
            })?;
            let Some(Done { through, counts }) = batch else {
                break;
            };
            after = through;
            run.batches += 1;
            let in_batch = counts.values().sum();
            pace.record(in_batch, began.elapsed());
            bar.inc(in_batch);
            if let Some((_, so_far)) = started.as_mut() {
                so_far.notified = run.notified;
                for (old, new) in &walk.mapping {
                    let rows = counts
                        .get(old)
                        .map_or(0, |&n| i64::try_from(n).unwrap_or(i64::MAX));
                    if matches!(new, NewValue::Id(Some(_)) | NewValue::Text(Some(_))) {
                        so_far.repointed_rows += rows;
                    } else {
                        so_far.cleared_rows += rows;
                    }
                }
            }
            for (old, n) in counts {
                *moved.entry((walk.reference, old)).or_default() += n;
            }
            #[cfg(feature = "test-hooks")]
            if let Some(hook) = &options.between_batches {
                (hook.0)(run.batches);
            }
            fail_if(options, FailPoint::BetweenBatches)?;
        }
    }
    bar.finish_and_clear();
    settle(db, &walks)?;
    run.moved = updates(&walks, &moved);
    Ok(Batched {
        migrations,
        run: Some(run),
    })
}

/// PostgreSQL, once the batches are done: each foreign-key column they
/// moved is read once per old id, each read a transaction of its own (it
/// stops at the first row still there). The index entries of the rows the
/// batches moved away are then marked dead (no transaction can see those
/// rows any more), so the final transaction's `DELETE` of the model rows,
/// whose foreign-key checks read the same entries, skips them: at ten
/// million JSON rows and two million assistants those checks were 0.9 s of
/// the final transaction.
fn settle(db: &mut Database<'_>, walks: &[Walk]) -> Result<(), Error> {
    if db.backend() != crate::db::Backend::Postgres {
        return Ok(());
    }
    for walk in walks.iter().filter(|walk| walk.column.foreign_key) {
        for (old, _) in &walk.mapping {
            let probe = walk
                .column
                .any_query(db.backend(), std::slice::from_ref(old));
            let _: Vec<Found> = db.transaction(|conn| conn.load(&probe)).context(|| {
                format!(
                    "reading {}.{} after its batches",
                    walk.column.table, walk.column.column
                )
            })?;
        }
    }
    Ok(())
}

/// The settings of a batch's transaction, in one round trip: where the
/// tables are watched (`logged`), the apply's own writes kept out of the log
/// of written rows ([`written::untracked_statement`]); and on PostgreSQL a COMMIT that
/// does not wait for its WAL to reach the disk (`SET LOCAL
/// synchronous_commit = off`, this transaction only).
///
/// A server crash can then lose the last batches committed (a fraction of a
/// second of them), never part of one: each batch and its journal rows are
/// one transaction, its references stay on the model rows they pointed at,
/// which only the final transaction deletes, and that transaction commits as
/// the server says, flushing every batch before it (the WAL is written in
/// order). So a lost batch is one the next apply moves again, as after a run
/// killed between batches. What it saves is a flush per batch, which the
/// paced batches (`pace.rs`: about 100 ms each) made several hundred of at
/// ten times the benchmark's scale. MySQL has no such setting of its own
/// (`innodb_flush_log_at_trx_commit` is the server's, not the session's).
fn batch_settings(conn: &mut Conn<'_>, logged: bool) -> Result<(), Error> {
    let backend = conn.backend();
    let mut statements: Vec<&str> = Vec::new();
    if logged {
        statements.extend(written::untracked_statement(backend));
    }
    if backend == crate::db::Backend::Postgres {
        statements.push("SET LOCAL synchronous_commit = off");
    }
    if statements.is_empty() {
        return Ok(());
    }
    conn.execute_unprepared(&Query::new(statements.join("; ")))
        .context(|| {
            format!(
                "setting up a batch's transaction ({}): the apply needs to set these for its own \
                 transactions; check the server accepts them from this role",
                statements.join("; ")
            )
        })?;
    Ok(())
}

/// `f`, again while it fails with [`Error::Diverged`] (a batch whose rows
/// changed under it; it rolled back), at most [`ATTEMPTS`] times.
fn with_retries<T>(mut f: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
    let mut attempt = 1;
    loop {
        match f() {
            Err(Error::Diverged(why)) if attempt < ATTEMPTS => {
                tracing::info!(%why, attempt, "a batch changed under its count; trying it again");
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One batch in its transaction: the next rows after `after`, moved; their
/// last key and the rows moved per old value, or `None` when none are left.
#[allow(clippy::too_many_arguments)]
fn one_batch(
    conn: &mut Conn<'_>,
    table: &ModelTable,
    walk: &Walk,
    after: i64,
    batch_size: NonZeroU64,
    run_id: i64,
    number: u64,
) -> Result<Option<Done>, Error> {
    let column = &walk.column;
    let context = || {
        format!(
            "moving a batch of references in {}.{}",
            column.table, column.column
        )
    };
    let olds: Vec<OldValue> = walk.mapping.iter().map(|(old, _)| old.clone()).collect();
    let by_key: HashMap<String, &OldValue> = olds.iter().map(|old| (old.key(), old)).collect();
    let mut counts: HashMap<OldValue, u64> = HashMap::new();
    let backend = conn.backend();
    // PostgreSQL and MySQL: the batch taken and moved in one statement.
    if let Some(update) =
        column.batch_update_query(backend, &walk.mapping, &walk.key, after, batch_size.get())
    {
        targets_exist(conn, table, &walk.target_ids)?;
        let moved: Vec<BatchCount> = steps::counted_update(conn, &update, column, context)?;
        // (MySQL reads every counter back, zero or not.)
        let Some(through) = moved
            .iter()
            .filter(|row| row.n > 0)
            .map(|row| row.last)
            .max()
        else {
            return Ok(None);
        };
        add_counts(&mut counts, &by_key, &moved);
        journal_batch(conn, walk, &counts, (after, through), run_id, number)?;
        return Ok(Some(Done { through, counts }));
    }
    let head: Vec<BatchCount> = conn
        .load(&column.batch_query(backend, &olds, &walk.key, after, batch_size.get()))
        .context(context)?;
    let Some(through) = head.iter().map(|row| row.last).max() else {
        return Ok(None);
    };
    targets_exist(conn, table, &walk.target_ids)?;
    let range = KeyRange {
        key: walk.key.clone(),
        after,
        through,
    };
    if let Some(counting) =
        column.update_counting_query(conn.backend(), &walk.mapping, Some(&range))
    {
        let rows: Vec<KeyCount> = steps::counted_update(conn, &counting, column, context)?;
        add_counts(&mut counts, &by_key, &rows);
    } else {
        add_counts(&mut counts, &by_key, &head);
        let touched = conn
            .execute(&column.update_query(conn.backend(), &walk.mapping, Some(&range)))
            .context(context)?;
        let expected: u64 = counts.values().sum();
        if u64::try_from(touched).unwrap_or(u64::MAX) != expected {
            return Err(Error::Diverged(format!(
                "{}.{}: the batch of keys {after}..={through} moved {touched} rows where it \
                 counted {expected}",
                column.table, column.column
            )));
        }
    }
    journal_batch(conn, walk, &counts, (after, through), run_id, number)?;
    Ok(Some(Done { through, counts }))
}

/// Adds each of `rows` to the count of its old value (found by its key).
fn add_counts(
    counts: &mut HashMap<OldValue, u64>,
    by_key: &HashMap<String, &OldValue>,
    rows: &[impl Counted],
) {
    for row in rows {
        let n = u64::try_from(row.rows()).unwrap_or(0);
        // (MySQL reads back every counter, those of values the batch did not hold too.)
        if n == 0 {
            continue;
        }
        if let Some(old) = by_key.get(row.old_key()) {
            *counts.entry((*old).clone()).or_default() += n;
        }
    }
}

/// The journal's `batched` rows of batch `number` of `walk`, which moved
/// `counts` in the keys `(after, through]`.
fn journal_batch(
    conn: &mut Conn<'_>,
    walk: &Walk,
    counts: &HashMap<OldValue, u64>,
    (after, through): (i64, i64),
    run_id: i64,
    number: u64,
) -> Result<(), Error> {
    let column = &walk.column;
    let events: Vec<Event> = walk
        .entries
        .iter()
        .filter_map(|entry| {
            let rows = *counts.get(&entry.old)?;
            let update = entry.update(walk.reference, column, rows);
            let mut event = events::reference_event(&update, &[], &Targets::new());
            event.action = "batched";
            event.target_id = match walk.mapping.iter().find(|(old, _)| *old == entry.old) {
                Some((_, NewValue::Id(id))) => *id,
                _ => None,
            };
            event.detail = Some(format!(
                "batch {number}: {} in ({after}, {through}]",
                walk.key
            ));
            Some(event)
        })
        .collect();
    if !events.is_empty() {
        ledger::journal(conn, run_id, &events)?;
    }
    Ok(())
}

/// Fails when a target row of `ids` is gone (another apply deleted it since
/// the plan): a batch never points a reference at a row that does not exist.
fn targets_exist(conn: &mut Conn<'_>, table: &ModelTable, ids: &[i64]) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut query = Query::new(format!(
        "SELECT CAST(COUNT(*) AS {}) AS n FROM {} WHERE {} IN (",
        dialect::of(conn.backend()).integer_type(),
        table.quoted(),
        quote_ident(&table.id)
    ));
    query
        .push_binds(ids.iter().map(|id| Bind::BigInt(*id)))
        .push_sql(")");
    let rows: Vec<Found> = conn.load(&query).context(|| {
        format!(
            "checking that the target rows of {} still exist",
            table.table
        )
    })?;
    let found = rows.first().map_or(0, |row| row.n);
    if usize::try_from(found).ok() != Some(ids.len()) {
        return Err(Error::Diverged(format!(
            "{} of the {} model rows the batches move references to are gone from {} \
             (another apply deleted them since this one planned); rerun the deploy",
            ids.len()
                .saturating_sub(usize::try_from(found).unwrap_or(0)),
            ids.len(),
            table.table
        )));
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The moves so far as reference updates, per column and model.
fn updates(walks: &[Walk], moved: &HashMap<(usize, OldValue), u64>) -> Vec<ReferenceUpdate> {
    let mut updates = Vec::new();
    for walk in walks {
        for entry in &walk.entries {
            if let Some(&rows) = moved.get(&(walk.reference, entry.old.clone())) {
                updates.push(entry.update(walk.reference, &walk.column, rows));
            }
        }
    }
    updates
}

/// What the apply reports of its batching: per reference column, the rows the
/// batches moved and those the final transaction moved (its `updates`, before
/// [`merge_moves`]) to a model row it created, or all of them where the
/// table has no integer key. (Rows written while the batches ran, which the
/// final transaction also moves, count in the run's totals only.)
pub(super) fn report(run: &BatchedRun, plan: &Plan, columns: &[Option<RefColumn>]) -> Batching {
    let mut batched = Vec::new();
    for (reference, column) in columns.iter().enumerate() {
        let Some(column) = column else { continue };
        let key = run.keys.get(&column.table).cloned();
        let rows: u64 = run
            .moved
            .iter()
            .filter(|update| update.reference == reference)
            .map(|update| update.rows)
            .sum();
        let final_rows: u64 = plan
            .reference_updates
            .iter()
            .filter(|update| update.reference == reference)
            .filter(|update| {
                key.is_none() || !plan::batching::moves_early(&plan.creates, update.to.as_ref())
            })
            .map(|update| update.rows)
            .sum();
        if rows > 0 || final_rows > 0 {
            batched.push(BatchedColumn {
                table: column.table.clone(),
                column: column.column.clone(),
                key,
                rows,
                final_rows,
            });
        }
    }
    Batching {
        batch_size: run.batch_size,
        columns: batched,
    }
}

/// Adds what the batches moved to the final transaction's reference updates
/// (which only hold the rows left to it), so the report, the journal's
/// `repointed`/`cleared` rows and the ledger's counts are the run's totals.
pub(super) fn merge_moves(updates: &mut Vec<ReferenceUpdate>, moved: &[ReferenceUpdate]) {
    for early in moved {
        match updates.iter_mut().find(|update| {
            update.reference == early.reference
                && update.from == early.from
                && update.from_id == early.from_id
                && update.to == early.to
        }) {
            Some(update) => update.rows += early.rows,
            None => updates.push(early.clone()),
        }
    }
    updates.sort_by_key(|update| update.reference);
}

/// Adds the teams `prepare` notified to the final plan's (only those told
/// since): the report lists every notice of the run.
pub(super) fn merge_affected(affected: &mut Vec<AffectedModel>, early: Vec<AffectedModel>) {
    let late = std::mem::replace(affected, early);
    for model in late {
        match affected.iter_mut().find(|known| {
            known.model == model.model
                && known.change == model.change
                && known.reminder == model.reminder
        }) {
            Some(known) => {
                // Both list their first teams: the run's first are among them.
                known.more_teams += model.more_teams;
                for team in model.teams {
                    if !known.teams.iter().any(|told| told.team_id == team.team_id) {
                        known.teams.push(team);
                    }
                }
                known.teams.sort_by_key(|team| team.team_id);
                let unlisted = known.teams.len().saturating_sub(AffectedModel::LISTED);
                known.teams.truncate(AffectedModel::LISTED);
                known.more_teams += unlisted;
            }
            None => affected.push(model),
        }
    }
}
