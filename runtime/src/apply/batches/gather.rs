//! Step 1c of a batched apply whose tables are watched (PostgreSQL and
//! MySQL): its notices, in transactions of a fraction of a second each.
//! Unbatched, the notices are one `INSERT … SELECT` per set of candidate
//! models over every referencing row ([`notices::record`]), one transaction
//! for as long as it reads them all: 25 s on the benchmark's ten million
//! JSON rows.
//!
//! 1. **Gather.** Each reference that names a team is walked by its
//!    table's integer key, one range `(after, through]` at a time: one
//!    `INSERT … SELECT` per range writes the resources its rows reach of
//!    each candidate (with team, name, noun and link) into
//!    `llm_lifecycle_affected`, by run (a resource that two references or
//!    two ranges reach is read once by the fold). A range starts at the
//!    batch size in keys and adapts so that each statement takes about
//!    [`TARGET`] (the rows hold no lock the platform waits for: they are
//!    only read). A table without an integer key is read in one statement,
//!    as unbatched.
//! 2. **Fold.** The gathered rows are walked by team, the next teams with
//!    a number of rows at a time that starts at the batch size and adapts
//!    like the ranges' (the notices table is the runtime's: no platform row
//!    waits): one `INSERT … SELECT`
//!    writes their notices, counted, worded and linked by the same SQL as
//!    the unbatched apply's ([`resources::gathered_team_notices`]), they are
//!    read back and given their recipients, all in one transaction (the
//!    deliverer never sees a notice without its recipients). MySQL and
//!    SQLite delete the rows read in that transaction too; PostgreSQL keeps
//!    them until the last fold, then clears them at once ([`forget_run`]).
//! 3. One transaction writes the `notified` journal rows (per model, the
//!    teams of every fold) and looks again at earlier notices that reached
//!    nobody.
//!
//! The triggers that log the rows written meanwhile are in place before
//! the first range is read ([`super::super::written`]): a row written in a
//! range already gathered is looked at again by the final transaction, as
//! one written while the batches run. A run stopped here keeps the notices
//! it wrote; the next apply tells the other teams (each team is told once,
//! by the notices' once-per-team key), and deletes what this run gathered.

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable};
use llm_lifecycle_catalog::Catalog;

use super::super::{ApplyOptions, FailPoint, fail_if, notices, progress, unreached};
use super::pace::fitting;
use crate::db::{Backend, Bind, Conn, Database, Query, quote_ident};
use crate::error::{Context, Error};
use crate::ledger;
use crate::plan::{AffectedModel, resources};
use crate::references::{KeyRange, RefColumn, Written};
use crate::schema::AFFECTED_TABLE;

/// How long one gathering statement should take.
pub(super) const TARGET: Duration = Duration::from_millis(250);

/// The widest range of keys one gathering statement reads.
const WIDEST: u64 = 1 << 24;

/// The notices of a batched run, written once its tables are watched.
#[derive(Debug)]
pub(super) struct Deferred {
    /// The models whose teams are to be told.
    pub(super) candidates: Vec<AffectedModel>,
    /// The plan's reference columns (with their integer keys).
    pub(super) columns: Vec<Option<RefColumn>>,
}

#[derive(QueryableByName)]
struct Bound {
    #[diesel(sql_type = Nullable<BigInt>)]
    n: Option<i64>,
}

/// Steps 1–3 (module docs) for `run_id`: the notices written, and the models
/// told about.
pub(super) fn record(
    db: &mut Database<'_>,
    catalog: &Catalog,
    options: &ApplyOptions,
    run_id: i64,
    batch_size: NonZeroU64,
    deferred: &Deferred,
) -> Result<notices::Recorded, Error> {
    let timeouts = &options.timeouts;
    let mut recorded = notices::Recorded {
        written: 0,
        affected: Vec::new(),
    };
    let mut events = Vec::new();
    if !deferred.candidates.is_empty() {
        // What a run stopped before its folds ended left.
        db.locked_transaction(timeouts, |conn| forget_others(conn, run_id))?;
        let spinner = progress::spinner(options.progress, "telling the teams");
        let limit = db.transaction(notices::raise_aggregate_limit)?;
        let per_statement =
            resources::candidates_per_statement(catalog, notices::BINDS_PER_CANDIDATE);
        let mut written = (|| {
            for candidates in deferred.candidates.chunks(per_statement) {
                let told = db.transaction(|conn| notices::told_before(conn, candidates))?;
                let walk = Walk {
                    catalog,
                    options,
                    run_id,
                    batch_size: batch_size.get(),
                    candidates,
                    told: &told,
                };
                walk.gather(db, &deferred.columns, &spinner)?;
                analyze(db)?;
                let (n, told) = walk.fold(db, &spinner)?;
                if folds_keep_rows(db.backend()) {
                    db.locked_transaction(timeouts, |conn| forget_run(conn, run_id))?;
                }
                recorded.written += n;
                let (notified, affected) = notices::notified_events(told.into_iter().flatten());
                events.extend(notified);
                recorded.affected.extend(affected);
            }
            Ok::<(), Error>(())
        })();
        spinner.finish_and_clear();
        let restored = db.transaction(|conn| notices::restore_aggregate_limit(conn, limit));
        written = written.and(restored);
        written?;
    }
    let settings = &catalog.notifications;
    db.locked_transaction(timeouts, |conn| {
        events.extend(unreached::settle(conn, run_id, settings, &[])?);
        if !events.is_empty() {
            ledger::journal(conn, run_id, &events)?;
        }
        Ok(())
    })?;
    Ok(recorded)
}

/// One set of candidates' gathering and folds.
struct Walk<'a> {
    catalog: &'a Catalog,
    options: &'a ApplyOptions,
    run_id: i64,
    batch_size: u64,
    candidates: &'a [AffectedModel],
    /// Which candidates' resources are checked against the notices written.
    told: &'a resources::ToldBefore,
}

impl Walk<'_> {
    /// Step 1: every reference's resources of the candidates, range by range.
    fn gather(
        &self,
        db: &mut Database<'_>,
        columns: &[Option<RefColumn>],
        spinner: &indicatif::ProgressBar,
    ) -> Result<(), Error> {
        let timeouts = &self.options.timeouts;
        for (reference, column) in self.catalog.references.iter().zip(columns) {
            let Some(column) = column else { continue };
            if !resources::reaches(reference, column, self.candidates) {
                continue;
            }
            let context = || {
                format!(
                    "gathering the resources to notify about in {}.{}",
                    column.table, column.column
                )
            };
            // The resources the rows `column` is restricted to reach.
            let gather = |conn: &mut Conn<'_>, column: &RefColumn| {
                let statement = resources::gather(
                    conn,
                    self.catalog,
                    reference,
                    column,
                    self.candidates,
                    self.told,
                    self.run_id,
                );
                if let Some(statement) = statement {
                    conn.execute(&statement).context(context)?;
                }
                Ok::<(), Error>(())
            };
            let Some(key) = column.walk_key.as_deref() else {
                db.locked_transaction(timeouts, |conn| gather(conn, column))?;
                continue;
            };
            let (mut after, mut width, mut ranges) = (i64::MIN, self.batch_size, 0u64);
            loop {
                spinner.set_message(format!(
                    "{}.{}: range {}",
                    column.table,
                    column.column,
                    ranges + 1
                ));
                let started = Instant::now();
                let step = db.locked_transaction(timeouts, |conn| {
                    let Some(through) = next_key(conn, &column.table, key, after, width)? else {
                        return Ok(None);
                    };
                    let mut ranged = column.clone();
                    ranged.written = Some(Written::Range(KeyRange {
                        key: key.to_owned(),
                        after,
                        through,
                    }));
                    gather(conn, &ranged)?;
                    Ok(Some(through))
                })?;
                let Some(through) = step else { break };
                after = through;
                ranges += 1;
                width = next_width(width, started.elapsed(), self.batch_size);
            }
        }
        Ok(())
    }

    /// Step 2: the notices of the gathered teams, a range of teams at a
    /// time; the notices written, and per candidate the teams told.
    fn fold(
        &self,
        db: &mut Database<'_>,
        spinner: &indicatif::ProgressBar,
    ) -> Result<(i64, notices::TeamsTold), Error> {
        let timeouts = &self.options.timeouts;
        let mut told: notices::TeamsTold = self.candidates.iter().map(|_| None).collect();
        let (mut written, mut after, mut rows) = (0, i64::MIN, self.batch_size);
        #[cfg(feature = "test-hooks")]
        let mut folds = 0;
        loop {
            spinner.set_message(format!("{written} notices written"));
            let started = Instant::now();
            let step = db.locked_transaction(timeouts, |conn| {
                let Some(through) = next_team(conn, self.run_id, after, rows)? else {
                    return Ok(None);
                };
                let teams = (after, through);
                let folded =
                    notices::fold(conn, self.run_id, self.catalog, self.candidates, teams)?;
                if !folds_keep_rows(conn.backend()) {
                    forget(conn, self.run_id, teams)?;
                }
                Ok(Some((through, folded)))
            })?;
            let Some((through, folded)) = step else { break };
            after = through;
            rows = next_width(rows, started.elapsed(), self.batch_size);
            written += folded.written;
            notices::add_told(&mut told, self.candidates, folded.told);
            #[cfg(feature = "test-hooks")]
            if let Some(hook) = &self.options.between_folds {
                folds += 1;
                (hook.0)(folds);
            }
            if folded.written > 0 {
                fail_if(self.options, FailPoint::BetweenFolds)?;
            }
        }
        Ok((written, told))
    }
}

/// The width of the next range (keys, or a fold's gathered rows): scaled
/// by how long the last one took against [`TARGET`], at most four times
/// wider or half as wide, never narrower than `floor` (the batch size) nor
/// wider than [`WIDEST`].
fn next_width(width: u64, took: Duration, floor: u64) -> u64 {
    let next = fitting(width, took, TARGET).clamp(width as f64 / 2.0, width as f64 * 4.0);
    // (A float in range: the cast saturates.)
    (next as u64).clamp(floor.min(WIDEST), WIDEST)
}

/// The last key of the next range of `table` after `after`, at most `width`
/// keys: `SELECT MAX(k) FROM (SELECT key AS k FROM t WHERE key > after ORDER
/// BY key LIMIT width) s` (the key's index, no `OFFSET`); `None` past the end.
fn next_key(
    conn: &mut Conn<'_>,
    table: &str,
    key: &str,
    after: i64,
    width: u64,
) -> Result<Option<i64>, Error> {
    let column = || Query::default().ident(table).sql(".").ident(key);
    let mut query = Query::new("SELECT MAX(k) AS n FROM (SELECT ");
    query
        .append(column())
        .push_sql(" AS k FROM ")
        .push_ident(table)
        .push_sql(" WHERE ")
        .append(column())
        .push_sql(" > ")
        .push_bind(Bind::BigInt(after))
        .push_sql(" ORDER BY ")
        .append(column())
        .push_sql(&format!(" LIMIT {width}) s"));
    bound(conn, &query, || {
        format!("reading the next range of {table}.{key}")
    })
}

/// The last team of the next fold: that of the `rows`-th row gathered for
/// `run_id` after the team `after` (by the table's index, of run and team).
fn next_team(
    conn: &mut Conn<'_>,
    run_id: i64,
    after: i64,
    rows: u64,
) -> Result<Option<i64>, Error> {
    let query = Query::new(format!(
        "SELECT MAX(team_id) AS n FROM (SELECT team_id FROM {} WHERE run_id = ",
        quote_ident(AFFECTED_TABLE)
    ))
    .bind(Bind::BigInt(run_id))
    .sql(" AND team_id > ")
    .bind(Bind::BigInt(after))
    .sql(&format!(" ORDER BY team_id LIMIT {rows}) s"));
    bound(conn, &query, || "reading the next teams to tell".into())
}

fn bound(
    conn: &mut Conn<'_>,
    query: &Query,
    context: impl FnOnce() -> String,
) -> Result<Option<i64>, Error> {
    let rows: Vec<Bound> = conn.load(query).context(context)?;
    Ok(rows.first().and_then(|row| row.n))
}

/// PostgreSQL: the gathered rows' statistics and visibility, read before
/// the folds (`VACUUM (ANALYZE)`, on its own: it cannot run in a
/// transaction). The table was empty when its statistics were last read (if
/// ever): the planner would then take the rows of one run for a few, and
/// read all of them to find the next teams (measured: 184 ms per fold at ten
/// million JSON rows, for an index range of a few milliseconds). And rows
/// just written are not yet marked visible to all, so each fold's search
/// for its last team ([`next_team`]), an index-only scan, still visits every
/// row's page: 57 ms per fold on the benchmark's 1.8 million gathered rows
/// (6.6 s of 116 folds), against about 2 ms once vacuumed (measured on a
/// table of that size: 28–68 ms, then 1.7–1.9 ms after a 120 ms `VACUUM`).
fn analyze(db: &mut Database<'_>) -> Result<(), Error> {
    if db.backend() != Backend::Postgres {
        return Ok(());
    }
    let query = Query::new(format!("VACUUM (ANALYZE) {}", quote_ident(AFFECTED_TABLE)));
    db.execute_alone(&query)
        .context(|| format!("reading the statistics of {AFFECTED_TABLE}"))
}

/// Deletes the rows of `run_id` a fold of `teams` read.
fn forget(conn: &mut Conn<'_>, run_id: i64, teams: (i64, i64)) -> Result<(), Error> {
    let query = resources::gathered_of_teams("DELETE FROM", run_id, teams);
    conn.execute(&query)
        .context(|| "deleting the resources of the teams told".into())?;
    Ok(())
}

/// Whether the folds leave the rows they read in place, for [`forget_run`]
/// once the last is done, instead of each deleting its own ([`forget`]).
/// PostgreSQL: so the pages stay marked visible to all, as [`analyze`] left
/// them, and each fold's [`next_team`] stays an index-only scan (deleting
/// each fold's rows, which lie across every page, cleared the marks: 60 ms
/// per fold again, 9.1 s of 151 folds at scale 10, beside 3.6 s of the
/// deletes themselves).
fn folds_keep_rows(backend: Backend) -> bool {
    backend == Backend::Postgres
}

/// Once the folds of a set of candidates that kept their rows
/// ([`folds_keep_rows`]) are done: the rows `run_id` gathered for them (the
/// next set's candidates are numbered from 0 again). `TRUNCATE`, at once,
/// when no other run has rows there and the table may be truncated, else
/// one `DELETE` of the run's rows. Another run's statements on the table
/// wait for the deploy lock this transaction holds.
fn forget_run(conn: &mut Conn<'_>, run_id: i64) -> Result<(), Error> {
    let table = quote_ident(AFFECTED_TABLE);
    // Other runs' rows as two ranges of the (run, team) index, each read to
    // its first row; `run_id <> …` would read every row of this run.
    let check = Query::new("SELECT CAST(CASE WHEN has_table_privilege(current_user, CAST(")
        .bind(Bind::Text(table.clone()))
        .sql(&format!(
            " AS TEXT), 'TRUNCATE') AND NOT EXISTS (SELECT 1 FROM {table} WHERE run_id < "
        ))
        .bind(Bind::BigInt(run_id))
        .sql(&format!(
            ") AND NOT EXISTS (SELECT 1 FROM {table} WHERE run_id > "
        ))
        .bind(Bind::BigInt(run_id))
        .sql(") THEN 1 ELSE 0 END AS BIGINT) AS n");
    let alone = bound(conn, &check, || {
        format!("checking whether {AFFECTED_TABLE} holds other runs' rows")
    })? == Some(1);
    let query = if alone {
        Query::new(format!("TRUNCATE {table}"))
    } else {
        Query::new(format!("DELETE FROM {table} WHERE run_id = ")).bind(Bind::BigInt(run_id))
    };
    conn.execute(&query)
        .context(|| "deleting the resources of the teams told".into())?;
    Ok(())
}

/// Deletes what runs other than `run_id` gathered: those stopped before
/// their folds ended (another apply running meanwhile loses nothing: this
/// run gathers every team not told yet, its teams included).
fn forget_others(conn: &mut Conn<'_>, run_id: i64) -> Result<(), Error> {
    let query = Query::new(format!(
        "DELETE FROM {} WHERE run_id <> ",
        quote_ident(AFFECTED_TABLE)
    ))
    .bind(Bind::BigInt(run_id));
    conn.execute(&query)
        .context(|| "deleting what a stopped apply gathered for its notices".into())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_widens_while_its_statements_are_quick_and_narrows_when_slow() {
        let ms = Duration::from_millis;
        // Quick: at most four times wider.
        assert_eq!(next_width(10_000, ms(1), 10_000), 40_000);
        // About right: about the same.
        assert_eq!(next_width(40_000, ms(250), 10_000), 40_000);
        assert_eq!(next_width(40_000, ms(200), 10_000), 50_000);
        // Slow: at most half as wide, never under the batch size.
        assert_eq!(next_width(40_000, ms(2_000), 10_000), 20_000);
        assert_eq!(next_width(12_000, ms(2_000), 10_000), 10_000);
        // Never wider than the widest.
        assert_eq!(next_width(WIDEST, ms(1), 10), WIDEST);
        // A batch size over the widest: the widest.
        assert_eq!(next_width(WIDEST, ms(250), u64::MAX), WIDEST);
    }
}
