//! Step 1 of a batched apply, in two locked transactions around the
//! triggers that log the rows written meanwhile: the plan, computed and
//! validated, the walks it takes, and, when something batches, the pending
//! migrations (the first), the ledger row and the notices (the second).

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU64;

use llm_lifecycle_catalog::Catalog;

use super::super::steps::{self, Targets};
use super::super::written::Watched;
use super::super::{ApplyOptions, notices};
use super::gather::Deferred;
use super::{BatchedRun, Found, Walk};
use crate::db::{Conn, dialect};
use crate::error::{Context, Error};
use crate::ledger;
use crate::model_table::ModelTable;
use crate::plan::{self, MappingEntry, Planned};
use crate::references::{NewValue, OldValue};
use crate::schema;

/// What step 1a leaves: the pending migrations it ran, and either the
/// tables the batches will walk, to watch before step 1b, or (an engine
/// without the log of written rows) the run step 1b would have begun.
/// Neither: nothing moves in batches, the final transaction does it all.
pub(super) struct Survey {
    pub(super) migrations: Vec<String>,
    pub(super) watch: Vec<Watched>,
    pub(super) begun: Option<(BatchedRun, Vec<Walk>)>,
}

/// Step 1a: the plan, computed and validated, and when something batches,
/// the pending migrations (committed here, not with the final transaction),
/// from the plan again if a migration ran; then, with `logged` (the engine
/// logs written rows), the tables to watch ([`super::super::written`]),
/// else the ledger row and the notices right away (step 1b in this same
/// transaction: nothing is watched, so nothing is planned twice). Nothing
/// to batch: nothing is written (not even the schema: the final transaction
/// migrates, and rolls that back with the rest on failure).
pub(super) fn survey(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    options: &ApplyOptions,
    batch_size: NonZeroU64,
    logged: bool,
) -> Result<Survey, Error> {
    let mut survey = Survey {
        migrations: Vec::new(),
        watch: Vec::new(),
        begun: None,
    };
    let Some(first) = plan_walks(conn, catalog, options, batch_size)? else {
        return Ok(survey);
    };
    // The notices and the ledger row need the runtime's schema.
    if dialect::of(conn.backend()).transactional_ddl() {
        survey.migrations = schema::run_pending(conn, catalog.model_table.is_none())?;
    }
    let planned = if survey.migrations.is_empty() {
        Some(first)
    } else {
        plan_walks(conn, catalog, options, batch_size)?
    };
    let Some((planned, keyed)) = planned else {
        return Ok(survey);
    };
    if logged {
        survey.watch = watched(&planned, &keyed.walks);
    } else {
        let notices = Notices::Now;
        survey.begun = Some(begin(
            conn, catalog, options, batch_size, planned, keyed, notices,
        )?);
    }
    Ok(survey)
}

/// Step 1b, once the tables are watched: the plan again and the ledger row;
/// with `notices` [`Notices::Now`] (the triggers could not be put) the
/// notices too, else they are left to step 1c (`gather.rs`), which counts
/// them from the references as they are then (every row written from here
/// on is logged). `None` when nothing moves in batches any more (another
/// apply moved it meanwhile).
///
/// On a terminal the plan counts the rows (the bar's total). Otherwise it
/// does not (on a large table that is a whole pass of each column): the
/// batches count what they move, and one probe per walk, which stops at the
/// first matching row, tells whether there is anything to batch.
pub(super) fn prepare(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    options: &ApplyOptions,
    batch_size: NonZeroU64,
    notices: Notices,
) -> Result<Option<(BatchedRun, Vec<Walk>)>, Error> {
    let Some((planned, keyed)) = plan_walks(conn, catalog, options, batch_size)? else {
        return Ok(None);
    };
    begin(conn, catalog, options, batch_size, planned, keyed, notices).map(Some)
}

/// When a batched run writes its notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Notices {
    /// With the ledger row, in its transaction.
    Now,
    /// In short transactions of their own, before the first batch
    /// (`gather.rs`): the tables are watched.
    Gathered,
}

/// The ledger row and (with [`Notices::Now`]) the notices of a run that
/// batches `planned`.
fn begin(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    options: &ApplyOptions,
    batch_size: NonZeroU64,
    planned: Planned,
    Keyed { keys, walks }: Keyed,
    when: Notices,
) -> Result<(BatchedRun, Vec<Walk>), Error> {
    let run_id = ledger::start_run(conn, &options.environment, &planned.plan.catalog_digest)?;
    let (recorded, deferred) = match when {
        Notices::Now => (notices::record(conn, run_id, catalog, &planned)?, None),
        Notices::Gathered => (
            notices::Recorded {
                written: 0,
                affected: Vec::new(),
            },
            Some(Deferred {
                candidates: planned.notices.clone(),
                columns: planned.columns.clone(),
            }),
        ),
    };
    // The bar's total: the rows the plan counted (none off a terminal).
    let total = if options.progress {
        planned.plan.batching.as_ref().map_or(0, |batching| {
            batching.columns.iter().map(|column| column.rows).sum()
        })
    } else {
        0
    };
    let run = BatchedRun {
        run_id,
        notified: recorded.written,
        batch_size: batch_size.get(),
        early: early_olds(&planned, &keys),
        keys,
        total,
        affected: recorded.affected,
        moved: Vec::new(),
        batches: 0,
        log: None,
        deferred,
    };
    Ok((run, walks))
}

/// The plan and its walks, `None` when nothing moves in batches.
fn plan_walks(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    options: &ApplyOptions,
    batch_size: NonZeroU64,
) -> Result<Option<(Planned, Keyed)>, Error> {
    let guard = options.plan_options(Some(batch_size));
    let counted = options.progress;
    let table = ModelTable::of(catalog);
    let counting = if counted {
        plan::Counting::Moves
    } else {
        plan::Counting::NotNullClears
    };
    let planned = plan::build(conn, catalog, counting, &guard, plan::Audience::Deferred)?;
    if planned.plan.is_refused() {
        return Err(Error::Refused(Box::new(planned.plan)));
    }
    let keys = integer_keys(&planned);
    // (Nothing that could batch, say on a database without the schema yet:
    // no target is looked up.)
    let candidates = planned.columns.iter().flatten().any(|column| {
        keys.contains_key(&column.table)
            && plan::batching::early_entries(&planned.plan, planned.mapping(column))
                .next()
                .is_some()
    });
    if !candidates {
        return Ok(None);
    }
    let targets = steps::resolve_targets(conn, &table, &planned)?;
    let mut walks = walks(&planned, &keys, &targets, counted)?;
    if !counted {
        walks = probed(conn, walks)?;
    }
    Ok((!walks.is_empty()).then_some((planned, Keyed { keys, walks })))
}

/// The tables `walks` walk, each with its key and every reference column
/// of it the plan checked (their updates are logged).
fn watched(planned: &Planned, walks: &[Walk]) -> Vec<Watched> {
    let mut watch: Vec<Watched> = Vec::new();
    for walk in walks {
        if watch.iter().any(|known| known.table == walk.column.table) {
            continue;
        }
        let mut columns: Vec<String> = planned
            .columns
            .iter()
            .flatten()
            .filter(|column| column.table == walk.column.table)
            .map(|column| column.column.clone())
            .collect();
        columns.sort();
        columns.dedup();
        watch.push(Watched {
            table: walk.column.table.clone(),
            key: walk.key.clone(),
            columns,
        });
    }
    watch
}

/// Per reference with an integer key, the old values that move in batches
/// (those walked, and those the plan found no row of).
fn early_olds(
    planned: &Planned,
    keys: &HashMap<String, String>,
) -> HashMap<usize, HashSet<OldValue>> {
    planned
        .columns
        .iter()
        .enumerate()
        .filter_map(|(index, column)| {
            let column = column.as_ref().filter(|c| keys.contains_key(&c.table))?;
            let olds = plan::batching::early_entries(&planned.plan, planned.mapping(column))
                .map(|entry| entry.old.clone())
                .collect();
            Some((index, olds))
        })
        .collect()
}

/// The walks of a plan, with the integer key of each referencing table.
struct Keyed {
    keys: HashMap<String, String>,
    walks: Vec<Walk>,
}

/// The integer key of each table the plan's references are in, as the plan
/// looked them up (those without one have none: they move in the final
/// transaction).
fn integer_keys(planned: &Planned) -> HashMap<String, String> {
    planned
        .columns
        .iter()
        .flatten()
        .filter(|column| planned.mapping(column).next().is_some())
        .filter_map(|column| Some((column.table.clone(), column.walk_key.clone()?)))
        .collect()
}

/// The walks of the columns that batch: those with an integer key, their
/// entries whose target row exists; with `counted`, only the entries the plan
/// counted rows for.
fn walks(
    planned: &Planned,
    keys: &HashMap<String, String>,
    targets: &Targets,
    counted: bool,
) -> Result<Vec<Walk>, Error> {
    let plan = &planned.plan;
    let mut walks = Vec::new();
    for (reference, column) in planned.columns.iter().enumerate() {
        let Some(column) = column else { continue };
        let Some(key) = keys.get(&column.table) else {
            continue;
        };
        let has_rows = |entry: &&MappingEntry| {
            !counted
                || plan.reference_updates.iter().any(|update| {
                    update.reference == reference
                        && update.from == entry.from
                        && update.from_id == entry.from_id
                        && update.rows > 0
                })
        };
        let entries: Vec<MappingEntry> =
            plan::batching::early_entries(plan, planned.mapping(column))
                .filter(has_rows)
                .cloned()
                .collect();
        for chunk in entries.chunks(column.mapping_per_statement()) {
            let mapping = chunk
                .iter()
                .map(|entry| steps::resolve(entry, column.kind, targets))
                .collect::<Result<Vec<_>, Error>>()?;
            let mut target_ids: Vec<i64> = mapping
                .iter()
                .filter_map(|(_, new)| match new {
                    NewValue::Id(id) => *id,
                    NewValue::Text(_) => None,
                })
                .collect();
            target_ids.sort_unstable();
            target_ids.dedup();
            walks.push(Walk {
                reference,
                column: column.clone(),
                key: key.clone(),
                entries: chunk.to_vec(),
                mapping,
                target_ids,
            });
        }
    }
    Ok(walks)
}

/// The walks that have a row to move: one probe each, which stops at the
/// first matching row (a column with none is read once, as a count would).
fn probed(conn: &mut Conn<'_>, walks: Vec<Walk>) -> Result<Vec<Walk>, Error> {
    let mut kept = Vec::with_capacity(walks.len());
    for walk in walks {
        let olds: Vec<OldValue> = walk.mapping.iter().map(|(old, _)| old.clone()).collect();
        let found: Vec<Found> = conn
            .load(&walk.column.any_query(conn.backend(), &olds))
            .context(|| {
                format!(
                    "looking for references to move in {}.{}",
                    walk.column.table, walk.column.column
                )
            })?;
        if found.first().is_some_and(|row| row.n > 0) {
            kept.push(walk);
        }
    }
    Ok(kept)
}
