//! The statements an apply runs, each set-based: a multi-row `INSERT`, one
//! `UPDATE … FROM (VALUES …)` for drifted rows, one `UPDATE` per reference
//! column, one `DELETE`.

use std::collections::HashMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use llm_lifecycle_catalog::{Catalog, ReferenceKind};

use super::progress;
use crate::db::dialect::{self, CountingUpdate};
use crate::db::{Backend, Bind, Conn, Query, Row, quote_ident};
use crate::error::{Context, Error};
use crate::model_table::ModelTable;
use crate::plan::{Create, MappingEntry, ModelId, Plan, Planned, ReferenceUpdate, Update};
use crate::references::{
    Counted, KeyCount, MAX_MAPPING_PER_STATEMENT, NewValue, OldValue, RefColumn,
};

/// Most rows per multi-row `INSERT` / `UPDATE` of model rows.
const MODEL_ROWS_PER_STATEMENT: usize = 1_000;

/// Row ids of the global rows, by model.
pub(super) type Targets = HashMap<ModelId, i64>;

/// Rows moved by [`repoint_references`].
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Moved {
    pub(super) repointed: i64,
    pub(super) cleared: i64,
}

#[derive(QueryableByName)]
struct GlobalId {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    provider: String,
    #[diesel(sql_type = Text)]
    name: String,
}

fn now(backend: Backend) -> &'static str {
    crate::db::dialect::of(backend).now()
}

/// PostgreSQL: locks (`FOR UPDATE`) the model rows this apply may remove, before
/// it plans: the global rows of deleted entries, the team rows that merge into
/// a global row the plan creates, and the duplicate global rows of live models
/// (all but the oldest). A host
/// transaction that references one of them (taking its `FOR KEY SHARE` lock
/// through the foreign key) either committed before, so the plan and the
/// repointing see its row, or waits for this apply's COMMIT and then fails on
/// the foreign key (the row is gone), so a racing write is never repointed by
/// nobody, cascaded away or nulled. MySQL: the same with InnoDB, whose foreign
/// key checks take a shared lock on the parent row. SQLite needs nothing:
/// `BEGIN IMMEDIATE` already keeps every other writer out.
pub(super) fn lock_rows_to_remove(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    table: &ModelTable,
) -> Result<(), Error> {
    let dialect = dialect::of(conn.backend());

    let deleted: Vec<(&str, &str)> = catalog
        .deleted()
        .map(|(provider, entry)| (provider.key.as_ref(), entry.name.as_ref()))
        .collect();
    let live: Vec<(&str, &str)> = catalog
        .models()
        .map(|(provider, model)| (provider.key.as_ref(), model.name.as_ref()))
        .collect();
    // Only models that are not deprecated are created, so only their team rows merge.
    let live_unflagged: Vec<(&str, &str)> = catalog
        .models()
        .filter(|(_, model)| !model.deprecated)
        .map(|(provider, model)| (provider.key.as_ref(), model.name.as_ref()))
        .collect();
    let col = |alias: &str, column: &str| ModelTable::col(Some(alias), column);
    let duplicate = format!(
        "{} AND EXISTS (SELECT 1 FROM {} g WHERE {} AND {} = {} AND {} = {} AND {} < {})",
        table.global(Some("p")),
        table.quoted(),
        table.global(Some("g")),
        col("g", &table.provider),
        col("p", &table.provider),
        col("g", &table.name),
        col("p", &table.name),
        col("g", &table.id),
        col("p", &table.id),
    );
    let mut statements = vec![(&deleted, table.global(Some("p")))];
    // The runtime's own table has a unique index on its global rows, so only
    // a host table can hold duplicates (on MariaDB this statement is 43 ms of
    // a no-op apply of 5,000 models).
    if catalog.model_table.is_some() {
        statements.push((&live, duplicate));
    }
    if let Some(team_rows) = table.team_rows(Some("p")) {
        let no_global = format!(
            "{team_rows} AND NOT EXISTS (SELECT 1 FROM {} g WHERE {} AND {} = {} AND {} = {})",
            table.quoted(),
            table.global(Some("g")),
            col("g", &table.provider),
            col("p", &table.provider),
            col("g", &table.name),
            col("p", &table.name),
        );
        statements.push((&live_unflagged, no_global));
    }
    for (models, condition) in statements {
        for chunk in models.chunks(MAX_MAPPING_PER_STATEMENT) {
            let rows = chunk
                .iter()
                .map(|(provider, name)| {
                    vec![
                        Bind::Text((*provider).to_owned()),
                        Bind::Text((*name).to_owned()),
                    ]
                })
                .collect();
            let key = [table.provider.as_str(), table.name.as_str()];
            let Some(query) = dialect.lock_rows(&table.table, key, rows, &condition) else {
                return Ok(());
            };
            conn.execute(&query)
                .context(|| "locking the model rows this apply may remove".into())?;
        }
    }
    Ok(())
}

/// Step 1: inserts the missing global rows (never deprecated ones), setting
/// every column the mapping names: the flag, the timestamps and the
/// `[model_table] values` (a host table may have no database defaults).
pub(super) fn create_models(
    conn: &mut Conn<'_>,
    table: &ModelTable,
    creates: &[Create],
) -> Result<(), Error> {
    let now = now(conn.backend());
    let mut columns: Vec<&str> = vec![&table.provider, &table.name, &table.token_limit];
    columns.extend(table.team.as_deref());
    columns.push(&table.deprecated);
    columns.extend(table.created_at.as_deref());
    columns.extend(table.updated_at.as_deref());
    columns.extend(table.values.iter().map(|(column, _)| column.as_str()));
    let column_list = columns
        .iter()
        .map(|column| quote_ident(column))
        .collect::<Vec<_>>()
        .join(", ");
    let mut fixed = String::new();
    if table.team.is_some() {
        fixed.push_str(", NULL");
    }
    fixed.push_str(", FALSE");
    for _ in table.created_at.iter().chain(table.updated_at.iter()) {
        fixed.push_str(&format!(", {now}"));
    }
    for chunk in creates.chunks(MODEL_ROWS_PER_STATEMENT) {
        let mut query = Query::new(format!(
            "INSERT INTO {} ({column_list}) VALUES ",
            table.quoted()
        ));
        for (index, create) in chunk.iter().enumerate() {
            query
                .push_sql(if index > 0 { ", (" } else { "(" })
                .push_binds([
                    Bind::Text(create.model.provider.clone()),
                    Bind::Text(create.model.name.clone()),
                    Bind::BigInt(create.token_limit),
                ])
                .push_sql(&fixed);
            for (_, value) in &table.values {
                query.push_sql(", ").push_bind(value.clone());
            }
            query.push_sql(")");
        }
        conn.execute(&query)
            .context(|| format!("creating {} rows in {}", chunk.len(), table.table))?;
    }
    Ok(())
}

/// Step 2: rewrites drifted token limits and deprecated flags in one statement.
pub(super) fn update_models(
    conn: &mut Conn<'_>,
    table: &ModelTable,
    updates: &[Update],
) -> Result<(), Error> {
    let now = now(conn.backend());
    let quoted = table.quoted();
    let current = |column: &str| format!("{quoted}.{}", quote_ident(column));
    for chunk in updates.chunks(MODEL_ROWS_PER_STATEMENT) {
        let rows = chunk
            .iter()
            .map(|update| {
                vec![
                    Bind::BigInt(update.id),
                    Bind::NullableBigInt(update.token_limit.map(|c| c.to)),
                    Bind::NullableBool(update.deprecated.map(|change| change.to)),
                ]
            })
            .collect();
        let mut set = vec![
            (
                table.token_limit.as_str(),
                Query::new(format!(
                    "COALESCE(m.token_limit, {})",
                    current(&table.token_limit)
                )),
            ),
            (
                table.deprecated.as_str(),
                Query::new(format!(
                    "COALESCE(m.deprecated, {})",
                    current(&table.deprecated)
                )),
            ),
        ];
        if let Some(updated_at) = &table.updated_at {
            set.push((updated_at.as_str(), Query::new(now)));
        }
        // Each matched row counts, also one set to the values it has.
        let query = dialect::of(conn.backend()).update_from(
            &table.table,
            &["id", "token_limit", "deprecated"],
            rows,
            set,
            Query::new(format!("{} = m.id", current(&table.id))),
        );
        let changed = conn
            .execute(&query)
            .context(|| format!("updating {} rows of {}", chunk.len(), table.table))?;
        if changed != chunk.len() {
            return Err(Error::Diverged(format!(
                "updated {changed} model rows where the plan expected {}",
                chunk.len()
            )));
        }
    }
    Ok(())
}

/// The ids of the global rows (after creation): where references move to,
/// and the row ids the journal names. Read whenever the apply creates rows or
/// may move a reference (the mapping includes rows earlier runs removed).
pub(super) fn resolve_targets(
    conn: &mut Conn<'_>,
    table: &ModelTable,
    planned: &Planned,
) -> Result<Targets, Error> {
    let plan = &planned.plan;
    if plan.creates.is_empty() && plan.reference_updates.is_empty() && planned.id_mapping.is_empty()
    {
        return Ok(Targets::new());
    }
    let dialect = dialect::of(conn.backend());
    let query = Query::new(format!(
        "SELECT CAST({} AS {integer}) AS id, CAST({} AS {text}) AS provider, \
         CAST({} AS {text}) AS name FROM {} WHERE {} ORDER BY 1",
        quote_ident(&table.id),
        quote_ident(&table.provider),
        quote_ident(&table.name),
        table.quoted(),
        table.global(None),
        integer = dialect.integer_type(),
        text = dialect.text_type(),
    ));
    let rows: Vec<GlobalId> = conn
        .load(&query)
        .context(|| format!("reading the ids of the global rows of {}", table.table))?;
    // The oldest row of a model is its global row (duplicates merge into it).
    let mut targets = Targets::new();
    for row in rows {
        targets
            .entry(ModelId::new(row.provider, row.name))
            .or_insert(row.id);
    }
    Ok(targets)
}

/// Steps 3 and 5: one `UPDATE` per reference column maps every old value to its
/// new one, and `plan.reference_updates` ends up holding what was actually moved.
///
/// On PostgreSQL the `UPDATE` itself returns the grouped counts, and on MySQL
/// it bumps session counters read back after it (the plan only counted rows
/// to clear in NOT NULL columns, to refuse them before writing); on SQLite
/// the plan counted every row and each `UPDATE` must touch exactly those.
pub(super) fn repoint_references(
    conn: &mut Conn<'_>,
    planned: &mut Planned,
    targets: &Targets,
    progress: bool,
) -> Result<Moved, Error> {
    let counted_by_update = dialect::of(conn.backend()).counts_while_updating();
    let work: Vec<(usize, RefColumn)> = planned
        .columns
        .iter()
        .enumerate()
        .filter_map(|(index, column)| column.clone().map(|column| (index, column)))
        .filter(|(index, column)| {
            if counted_by_update {
                planned.mapping(column).next().is_some()
            } else {
                planned
                    .plan
                    .reference_updates
                    .iter()
                    .any(|update| update.reference == *index)
            }
        })
        .collect();
    // The plan counted the rows whenever the bar is drawn (`super::run`);
    // off a terminal, on PostgreSQL, it did not, and the bar is hidden.
    let planned_rows: u64 = planned
        .plan
        .reference_updates
        .iter()
        .map(|update| update.rows)
        .sum();
    let bar = progress::bar(progress, "repointing references", planned_rows);

    let mut moved_updates: Vec<ReferenceUpdate> = Vec::new();
    for (index, column) in work {
        bar.set_message(format!("{}.{}", column.table, column.column));
        let planned_here: Vec<&ReferenceUpdate> = planned
            .plan
            .reference_updates
            .iter()
            .filter(|update| update.reference == index)
            .collect();
        let entries: Vec<&MappingEntry> = planned
            .mapping(&column)
            .filter(|entry| {
                counted_by_update
                    || planned_here
                        .iter()
                        .any(|update| update.from == entry.from && update.from_id == entry.from_id)
            })
            .collect();
        let mapping = entries
            .iter()
            .map(|entry| resolve(entry, column.kind, targets))
            .collect::<Result<Vec<_>, Error>>()?;
        let context = || {
            format!(
                "repointing references in {}.{}",
                column.table, column.column
            )
        };

        if counted_by_update {
            let mut counts: HashMap<String, u64> = HashMap::new();
            for chunk in mapping.chunks(column.mapping_per_statement()) {
                let counting = column
                    .update_counting_query(conn.backend(), chunk, None)
                    .ok_or_else(|| {
                        Error::Diverged(format!("{} counts no rows in an UPDATE", conn.backend()))
                    })?;
                let rows: Vec<KeyCount> = counted_update(conn, &counting, &column, context)?;
                for row in rows {
                    *counts.entry(row.old_key).or_default() +=
                        u64::try_from(row.n).unwrap_or_default();
                }
            }
            let mut moved_here: u64 = 0;
            for entry in &entries {
                if let Some(&rows) = counts.get(&entry.old.key()).filter(|rows| **rows > 0) {
                    moved_updates.push(entry.update(index, &column, rows));
                    moved_here += rows;
                }
            }
            bar.inc(moved_here);
        } else {
            let mut touched: u64 = 0;
            for chunk in mapping.chunks(column.mapping_per_statement()) {
                let n = conn
                    .execute(&column.update_query(conn.backend(), chunk, None))
                    .context(context)?;
                touched += u64::try_from(n).unwrap_or(u64::MAX);
            }
            let expected: u64 = planned_here.iter().map(|update| update.rows).sum();
            if touched != expected {
                return Err(Error::Diverged(format!(
                    "{}.{}: updated {touched} rows where the plan counted {expected}",
                    column.table, column.column
                )));
            }
            moved_updates.extend(planned_here.into_iter().cloned());
            bar.inc(touched);
        }
    }
    bar.finish_and_clear();

    planned.plan.reference_updates = moved_updates;
    Ok(Moved::of(&planned.plan.reference_updates))
}

/// Runs a counting `UPDATE` of `column`: the rows it rewrote per old value.
/// Where the counts are session counters (MySQL), their sum must be the
/// rows the `UPDATE` reports, or the apply stops (and rolls back).
pub(super) fn counted_update<R: Row + Counted>(
    conn: &mut Conn<'_>,
    update: &CountingUpdate,
    column: &RefColumn,
    context: impl Fn() -> String,
) -> Result<Vec<R>, Error> {
    match update {
        CountingUpdate::Returning(query) => conn.load(query).context(context),
        CountingUpdate::Counters {
            reset,
            update,
            read,
        } => {
            conn.execute(reset).context(&context)?;
            let touched = conn.execute(update).context(&context)?;
            let rows: Vec<R> = conn.load(read).context(&context)?;
            let counted: i64 = rows.iter().map(Counted::rows).sum();
            if i64::try_from(touched).ok() != Some(counted) {
                return Err(Error::Diverged(format!(
                    "{}.{}: the UPDATE rewrote {touched} rows where its counters counted {counted}",
                    column.table, column.column
                )));
            }
            Ok(rows)
        }
    }
}

impl Moved {
    /// The rows `updates` repointed and cleared.
    pub(super) fn of(updates: &[ReferenceUpdate]) -> Self {
        let mut moved = Self::default();
        for update in updates {
            let rows = i64::try_from(update.rows).unwrap_or(i64::MAX);
            if update.to.is_some() {
                moved.repointed += rows;
            } else {
                moved.cleared += rows;
            }
        }
        moved
    }
}

/// The stored value to look for and the one to write, for a column of `kind`.
pub(super) fn resolve(
    entry: &MappingEntry,
    kind: ReferenceKind,
    targets: &Targets,
) -> Result<(OldValue, NewValue), Error> {
    Ok(match kind {
        ReferenceKind::Text => (
            entry.old.clone(),
            NewValue::Text(entry.to.as_ref().map(ToString::to_string)),
        ),
        ReferenceKind::Id | ReferenceKind::Json => {
            let new = match &entry.to {
                Some(to) => Some(*targets.get(to).ok_or_else(|| {
                    Error::Diverged(format!("the replacement {to} has no global row"))
                })?),
                None => None,
            };
            (entry.old.clone(), NewValue::Id(new))
        }
    })
}

/// Steps 3 and 5: deletes merged team rows and deleted models' global rows.
pub(super) fn delete_rows(
    conn: &mut Conn<'_>,
    table: &ModelTable,
    plan: &Plan,
) -> Result<(), Error> {
    let ids: Vec<i64> = plan
        .merges
        .iter()
        .map(|merge| merge.id)
        .chain(plan.deletions.iter().map(|deletion| deletion.id))
        .collect();
    for chunk in ids.chunks(MAX_MAPPING_PER_STATEMENT) {
        let mut query = Query::new(format!(
            "DELETE FROM {} WHERE {} IN (",
            table.quoted(),
            quote_ident(&table.id)
        ));
        query
            .push_binds(chunk.iter().map(|id| Bind::BigInt(*id)))
            .push_sql(")");
        let deleted = conn
            .execute(&query)
            .context(|| format!("deleting {} rows of {}", chunk.len(), table.table))?;
        if deleted != chunk.len() {
            return Err(Error::Diverged(format!(
                "deleted {deleted} model rows where the plan expected {}",
                chunk.len()
            )));
        }
    }
    Ok(())
}
