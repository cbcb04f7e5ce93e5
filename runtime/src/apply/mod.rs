//! The applier: one transaction under the deploy lock that migrates the schema,
//! re-plans (the plan shown before locking may be stale), refuses on any problem,
//! then executes the plan with set-based SQL and records the run.
//!
//! The steps, in order (see `execute`):
//! 1. `steps::create_models`, `steps::update_models` (steps 1–2, see [`mod@crate::plan`]);
//! 2. `steps::resolve_targets`: the row ids references move to;
//! 3. notifications: the notices are written before any reference moves
//!    (the affected resources were counted by the plan);
//! 4. `steps::repoint_references`: one `UPDATE` per reference column (steps 3 and 5);
//! 5. `steps::delete_rows`: one `DELETE` for merged team rows and deleted models;
//! 6. the journal (`events::for_plan`) and the ledger row.

mod batches;
mod events;
mod notices;
mod progress;
mod recipients;
mod steps;
mod unreached;
mod written;

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use llm_lifecycle_catalog::Catalog;
use serde::Serialize;

use crate::db::dialect;
use crate::db::{Conn, Database, Timeouts};
use crate::error::Error;
pub use crate::hooks::FailPoint;
use crate::ledger::{self, RunCounts};
use crate::model_table::ModelTable;
use crate::plan::{self, Plan};
use crate::schema;

/// How to apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Recorded in the ledger (`--environment`).
    pub environment: String,
    /// Show a progress bar over reference updates (only drawn on a terminal).
    pub progress: bool,
    /// How long to wait for the deploy lock and for row locks, and how long
    /// one statement may run (`--lock-timeout`, `--statement-timeout`);
    /// default: locks 5 s ([`Timeouts::DEFAULT_LOCK`]), statements as the
    /// server says. Hitting either rolls everything back and fails with
    /// [`Error::LockTimeout`] / [`Error::StatementTimeout`], which name the
    /// lock or statement and, on PostgreSQL and MySQL, who held the lock.
    pub timeouts: Timeouts,
    /// Models an earlier run deleted that this catalogue may create again
    /// (`--allow-restore provider/name`); the apply refuses any other
    /// ([`Refusal::RestoresDeleted`](crate::Refusal::RestoresDeleted)).
    pub allow_restore: Vec<plan::ModelId>,
    /// The day sunsets are counted from (`--today`); `None`: today, UTC.
    pub today: Option<llm_lifecycle_catalog::Date>,
    /// Move references to deleted models in batches of at most this many
    /// rows, each committed on its own, before the final locked transaction
    /// (`--batch-size`, `[apply] batch_size`); `None`: everything in that
    /// one transaction. See the README's "Large tables".
    pub batch_size: Option<NonZeroU64>,
    /// Test hook (cargo feature `test-hooks`, never in a release build): fail
    /// at this point (everything is rolled back).
    #[cfg(feature = "test-hooks")]
    pub fail_at: Option<FailPoint>,
    /// Test hook (cargo feature `test-hooks`): run after each batch commits.
    #[cfg(feature = "test-hooks")]
    pub between_batches: Option<crate::hooks::Between>,
    /// Test hook (cargo feature `test-hooks`): run after each fold of a
    /// batched apply's notices commits (PostgreSQL and MySQL).
    #[cfg(feature = "test-hooks")]
    pub between_folds: Option<crate::hooks::Between>,
}

impl ApplyOptions {
    /// What the apply's plans take from these options, with `batch_size`.
    fn plan_options(&self, batch_size: Option<NonZeroU64>) -> plan::PlanOptions {
        plan::PlanOptions {
            environment: self.environment.clone(),
            allow_restore: self.allow_restore.clone(),
            today: self.today,
            batch_size,
        }
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            environment: "default".to_owned(),
            progress: false,
            timeouts: Timeouts::default(),
            allow_restore: Vec::new(),
            today: None,
            batch_size: None,
            #[cfg(feature = "test-hooks")]
            fail_at: None,
            #[cfg(feature = "test-hooks")]
            between_batches: None,
            #[cfg(feature = "test-hooks")]
            between_folds: None,
        }
    }
}

/// What an apply did.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    /// The ledger row of this run.
    pub run_id: i64,
    /// Schema migrations applied first (usually none).
    pub migrations: Vec<String>,
    /// The plan that was executed (computed under the lock).
    pub plan: Plan,
    /// The counts recorded in the ledger.
    pub counts: RunCounts,
    /// Wall time of the whole apply, in milliseconds.
    pub duration_ms: i64,
    /// How many batches moved references before the final transaction
    /// ([`ApplyOptions::batch_size`]; each wrote `batched` journal rows).
    pub batches: u64,
}

/// Converges the database on `catalog`.
///
/// # Errors
/// [`Error::Refused`] when the plan has problems (nothing written);
/// [`Error::LockTimeout`] / [`Error::StatementTimeout`] when a lock wait or
/// a statement outlasted [`ApplyOptions::timeouts`]; any other error after
/// rolling everything back. All are recorded in the ledger (`refused` /
/// `failed`) in a transaction of their own when the schema exists.
pub fn apply(
    db: &mut Database<'_>,
    catalog: &Catalog,
    options: &ApplyOptions,
) -> Result<ApplyReport, Error> {
    let started = Instant::now();
    let timeouts = &options.timeouts;
    // MySQL: the migrations first, under the lock but outside the transaction
    // (its DDL commits on its own); elsewhere in the apply transaction itself.
    let owned = catalog.model_table.is_none();
    let migrated_first = if !dialect::of(db.backend()).transactional_ddl() {
        db.locked_session(timeouts, |conn| schema::run_pending(conn, owned))
    } else {
        Ok(Vec::new())
    };
    // With a batch size: the ledger row and what the batches committed, once
    // they started (a failure is recorded on that row).
    let mut batched_run: Option<(i64, RunCounts)> = None;
    let result = migrated_first.and_then(|mut migrations| {
        let batched = match options.batch_size {
            Some(size) => {
                let batched = batches::run(db, catalog, options, size, &mut batched_run)?;
                migrations.extend(batched.migrations);
                batched.run
            }
            None => None,
        };
        db.locked_transaction(timeouts, |conn| {
            run(conn, catalog, options, started, batched)
        })
        .map(|(mut report, triggers)| {
            report.migrations.splice(0..0, migrations);
            (report, triggers)
        })
    });
    // The triggers of a batched run (this one's, or a killed one's) go,
    // whatever the outcome; a failure to remove them fails nothing (the next
    // apply tries again).
    let triggers = result
        .as_ref()
        .map_or(options.batch_size.is_some(), |(_, triggers)| {
            *triggers || options.batch_size.is_some()
        });
    if triggers
        && written::supported(db.backend())
        && let Err(error) = db.locked_session(timeouts, written::remove)
    {
        tracing::warn!(%error, "could not remove the triggers of a batched apply");
    }
    let result = result.map(|(report, _)| report);
    match result {
        Ok(report) => Ok(report),
        Err(error) => {
            let status = if matches!(error, Error::Refused(_)) {
                ledger::RunStatus::Refused
            } else {
                ledger::RunStatus::Failed
            };
            // After a lock timeout the holder most likely still holds it:
            // the ledger row does not queue behind it a second time.
            let record_timeouts = if matches!(error, Error::LockTimeout { .. }) {
                Timeouts {
                    lock: RECORD_AFTER_LOCK_TIMEOUT,
                    ..*timeouts
                }
            } else {
                *timeouts
            };
            let recorded = match batched_run {
                // Batches committed: their run's row says it failed, with what they moved.
                Some((run_id, counts)) => db
                    .write_transaction(&record_timeouts, |conn| {
                        ledger::finish_run(
                            conn,
                            run_id,
                            status,
                            Some(&error.to_string()),
                            &counts,
                            millis(started.elapsed()),
                        )
                    })
                    .map(|()| Some(run_id)),
                None => ledger::record_unsuccessful_run(
                    db,
                    &record_timeouts,
                    catalog.model_table.is_none(),
                    &options.environment,
                    &catalog.digest(),
                    status,
                    &error.to_string(),
                    millis(started.elapsed()),
                ),
            };
            if let Err(record_error) = recorded {
                tracing::info!(%record_error, "could not record the {status} run in the ledger");
            }
            Err(error)
        }
    }
}

/// How long the ledger row of a run that hit the lock timeout waits for a
/// lock (MySQL: rounded up to a second).
const RECORD_AFTER_LOCK_TIMEOUT: Duration = Duration::from_millis(1);

/// Runs the schema migrations alone, under the lock; the versions applied.
/// The runtime's own `llm_provider_models` is created only when `catalog`
/// has no `[model_table]`. Waits for locks as [`Timeouts::default`] says
/// (5 s); [`migrate_with`] takes other timeouts.
///
/// # Errors
/// [`Error::Migration`] when they fail (nothing is kept);
/// [`Error::ForeignModelTable`] when a table named `llm_provider_models`
/// that the runtime did not create is in the way; [`Error::LockTimeout`] /
/// [`Error::StatementTimeout`] as for [`apply`].
pub fn migrate(db: &mut Database<'_>, catalog: &Catalog) -> Result<Vec<String>, Error> {
    migrate_with(db, catalog, &Timeouts::default())
}

/// [`migrate`], waiting for the deploy lock (and table locks) and letting
/// statements run as `timeouts` say (`apply-models migrate --lock-timeout …`).
///
/// # Errors
/// As [`migrate`].
pub fn migrate_with(
    db: &mut Database<'_>,
    catalog: &Catalog,
    timeouts: &Timeouts,
) -> Result<Vec<String>, Error> {
    let owned = catalog.model_table.is_none();
    db.locked_session(timeouts, |conn| schema::run_pending(conn, owned))
}

fn run(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    options: &ApplyOptions,
    started: Instant,
    batched: Option<batches::BatchedRun>,
) -> Result<(ApplyReport, bool), Error> {
    // MySQL ran them before the transaction: even the harness's check for
    // its own table is DDL there, which would commit this transaction.
    let migrations = if !dialect::of(conn.backend()).transactional_ddl() {
        Vec::new()
    } else {
        schema::run_pending(conn, catalog.model_table.is_none())?
    };
    // Before planning: a host write racing this apply is either seen by the
    // plan or fails on its foreign key after COMMIT, never lost.
    let table = ModelTable::of(catalog);
    // (A model table that cannot be used has nothing to lock: the plan refuses.)
    if plan::model_table_usable(conn, &table)? {
        steps::lock_rows_to_remove(conn, catalog, &table)?;
    }
    // PostgreSQL and MySQL count repointed rows in the UPDATE itself (one pass
    // per column), except on a terminal: there its plan counts them first too
    // (one more read of each column), so the bar can count rows, with an ETA.
    let counting = if dialect::of(conn.backend()).counts_while_updating() && !options.progress {
        plan::Counting::NotNullClears
    } else {
        plan::Counting::Moves
    };
    // Batches, if any, ran before this transaction: it moves the rest.
    let guard = options.plan_options(None);
    let mut planned = plan::build(conn, catalog, counting, &guard, plan::Audience::Deferred)?;
    if planned.plan.is_refused() {
        return Err(Error::Refused(Box::new(planned.plan)));
    }
    // A batched run's log: the rows written since its notices were counted
    // are the only ones left to look at again, where it covers the column.
    if let Some(log) = batched.as_ref().and_then(|batched| batched.log.as_ref()) {
        written::untracked(conn)?;
        if written::whole(conn, log.since)? {
            written::restrict(conn, &mut planned, log)?;
        } else {
            tracing::info!(
                "another apply removed the log of written rows since the batches began: \
                 the final transaction reads every table whole"
            );
        }
    }
    // A batched apply removes the triggers after this transaction anyway;
    // any other looks for a killed run's.
    let triggers = options.batch_size.is_none()
        && written::supported(conn.backend())
        && written::present(conn)?;
    let run_id = match &batched {
        Some(batched) => batched.run_id,
        None => ledger::start_run(conn, &options.environment, &planned.plan.catalog_digest)?,
    };
    // Notices of steps 4 and 5, before any reference moves (the statements
    // find the affected resources); teams told before are skipped by the
    // insert (with batches, those told before the first batch).
    let recorded = notices::record(conn, run_id, catalog, &planned)?;
    planned.plan.affected = recorded.affected;
    let notified = recorded.written;
    let mut counts = execute(
        conn,
        &table,
        &mut planned,
        options,
        run_id,
        batched.as_ref(),
    )?;
    counts.notified = notified + batched.as_ref().map_or(0, |batched| batched.notified);
    let batches = batched.as_ref().map_or(0, |batched| batched.batches);
    if let Some(batched) = batched {
        batches::merge_affected(&mut planned.plan.affected, batched.affected);
    }
    ledger::finish_run(
        conn,
        run_id,
        ledger::RunStatus::Succeeded,
        None,
        &counts,
        millis(started.elapsed()),
    )?;
    fail_if(options, FailPoint::BeforeCommit)?;
    let report = ApplyReport {
        run_id,
        migrations,
        plan: planned.plan,
        counts,
        duration_ms: millis(started.elapsed()),
        batches,
    };
    Ok((report, triggers))
}

/// Executes a validated plan inside the locked transaction.
fn execute(
    conn: &mut Conn<'_>,
    table: &ModelTable,
    planned: &mut plan::Planned,
    options: &ApplyOptions,
    run_id: i64,
    batched: Option<&batches::BatchedRun>,
) -> Result<RunCounts, Error> {
    steps::create_models(conn, table, &planned.plan.creates)?;
    steps::update_models(conn, table, &planned.plan.updates)?;
    fail_if(options, FailPoint::AfterModelWrites)?;

    let targets = steps::resolve_targets(conn, table, planned)?;
    // The notices were written by `run` before this call, from the affected
    // resources the plan counted while references still pointed at the old rows.
    let mut moved = steps::repoint_references(conn, planned, &targets, options.progress)?;
    if let Some(batched) = batched {
        planned.plan.batching = Some(batches::report(batched, &planned.plan, &planned.columns));
        batches::merge_moves(&mut planned.plan.reference_updates, &batched.moved);
        moved = steps::Moved::of(&planned.plan.reference_updates);
    }
    fail_if(options, FailPoint::AfterRepoint)?;
    let plan = &planned.plan;
    steps::delete_rows(conn, table, plan)?;

    ledger::journal(
        conn,
        run_id,
        &events::for_plan(plan, &planned.columns, &targets),
    )?;
    Ok(RunCounts {
        created: count(plan.creates.len()),
        updated: count(plan.updates.len()),
        merged: count(plan.merges.len()),
        repointed_rows: moved.repointed,
        cleared_rows: moved.cleared,
        deleted: count(plan.deletions.len()),
        unmanaged: count(plan.unmanaged.len()),
        notified: 0,
    })
}

/// Test hook: fails the apply at `point` when the options ask for it; nothing
/// without the `test-hooks` feature.
#[cfg(feature = "test-hooks")]
fn fail_if(options: &ApplyOptions, point: FailPoint) -> Result<(), Error> {
    if options.fail_at == Some(point) {
        Err(Error::Injected(point))
    } else {
        Ok(())
    }
}

#[cfg(not(feature = "test-hooks"))]
#[allow(clippy::unnecessary_wraps)]
fn fail_if(_: &ApplyOptions, _: FailPoint) -> Result<(), Error> {
    Ok(())
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
