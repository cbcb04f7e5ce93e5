//! The statements an apply runs, each set-based: a multi-row `INSERT`, one
//! `UPDATE … FROM (VALUES …)` for drifted rows, one `UPDATE` per reference
//! column, one `DELETE`.

use std::collections::HashMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use indicatif::{ProgressBar, ProgressStyle};

use crate::db::{Backend, Bind, Conn, Query, placeholders, quote_ident};
use crate::error::{Context, Error};
use crate::introspect::MODELS_TABLE;
use crate::plan::{Create, Kind, ModelId, Plan, Planned, Update};
use crate::references::{MAX_MAPPING_PER_STATEMENT, NewValue, OldValue};

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
    match backend {
        Backend::Postgres => "now()",
        Backend::Sqlite => "CURRENT_TIMESTAMP",
    }
}

/// Step 1: inserts the missing global rows (never deprecated ones).
pub(super) fn create_models(conn: &mut Conn<'_>, creates: &[Create]) -> Result<(), Error> {
    let now = now(conn.backend());
    for chunk in creates.chunks(MODEL_ROWS_PER_STATEMENT) {
        let rows = vec![format!("(NULL, ?, ?, ?, FALSE, {now}, {now})"); chunk.len()].join(", ");
        let mut query = Query::new(format!(
            "INSERT INTO {} (team_id, provider, name, max_token_limit, deprecated, created_at, updated_at) \
             VALUES {rows}",
            quote_ident(MODELS_TABLE)
        ));
        for create in chunk {
            query
                .push_bind(Bind::Text(create.model.provider.clone()))
                .push_bind(Bind::Text(create.model.name.clone()))
                .push_bind(Bind::BigInt(create.token_limit));
        }
        conn.execute(&query)
            .context(|| format!("creating {} model rows", chunk.len()))?;
    }
    Ok(())
}

/// Step 2: rewrites drifted token limits and deprecated flags in one statement.
pub(super) fn update_models(conn: &mut Conn<'_>, updates: &[Update]) -> Result<(), Error> {
    let now = now(conn.backend());
    let table = quote_ident(MODELS_TABLE);
    for chunk in updates.chunks(MODEL_ROWS_PER_STATEMENT) {
        let rows = vec!["(?, ?, ?)"; chunk.len()].join(", ");
        let mut query = Query::new(format!(
            "WITH m(id, token_limit, deprecated) AS (VALUES {rows}) \
             UPDATE {table} SET max_token_limit = COALESCE(m.token_limit, {table}.max_token_limit), \
             deprecated = COALESCE(m.deprecated, {table}.deprecated), updated_at = {now} \
             FROM m WHERE {table}.id = m.id"
        ));
        for update in chunk {
            query
                .push_bind(Bind::BigInt(update.id))
                .push_bind(Bind::NullableBigInt(update.token_limit.map(|c| c.to)))
                .push_bind(match update.deprecated {
                    Some(change) => Bind::NullableBool(Some(change.to)),
                    None => Bind::NullableBool(None),
                });
        }
        let changed = conn
            .execute(&query)
            .context(|| format!("updating {} model rows", chunk.len()))?;
        if changed != chunk.len() {
            return Err(Error::Diverged(format!(
                "updated {changed} model rows where the plan expected {}",
                chunk.len()
            )));
        }
    }
    Ok(())
}

/// The ids of the global rows (after creation): where references move to.
pub(super) fn resolve_targets(conn: &mut Conn<'_>, plan: &Plan) -> Result<Targets, Error> {
    if plan.reference_updates.is_empty() && plan.merges.is_empty() && plan.deletions.is_empty() {
        return Ok(Targets::new());
    }
    let query = Query::new(format!(
        "SELECT id, provider, name FROM {} WHERE team_id IS NULL",
        quote_ident(MODELS_TABLE)
    ));
    let rows: Vec<GlobalId> = conn
        .load(&query)
        .context(|| "reading the ids of global model rows".into())?;
    Ok(rows
        .into_iter()
        .map(|row| (ModelId::new(row.provider, row.name), row.id))
        .collect())
}

/// Steps 3 and 5: one `UPDATE` per reference column maps every old value to its
/// new one. Checks that each touched exactly the rows the plan counted.
pub(super) fn repoint_references(
    conn: &mut Conn<'_>,
    planned: &Planned,
    targets: &Targets,
    progress: bool,
) -> Result<Moved, Error> {
    let mut by_reference: Vec<(usize, Vec<&crate::plan::ReferenceUpdate>)> = Vec::new();
    for update in &planned.plan.reference_updates {
        match by_reference.last_mut() {
            Some((index, updates)) if *index == update.reference => updates.push(update),
            _ => by_reference.push((update.reference, vec![update])),
        }
    }
    let bar = if progress && !by_reference.is_empty() {
        ProgressBar::new(u64::try_from(by_reference.len()).unwrap_or(u64::MAX))
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} repointing references [{bar:30}] {pos}/{len} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }

    let mut moved = Moved::default();
    for (index, updates) in by_reference {
        let Some(Some(column)) = planned.columns.get(index) else {
            return Err(Error::Diverged(format!(
                "reference #{index} has no validated column"
            )));
        };
        bar.set_message(format!("{}.{}", column.table, column.column));
        let mut mapping = Vec::with_capacity(updates.len());
        let mut expected: u64 = 0;
        for update in &updates {
            expected += update.rows;
            let rows = i64::try_from(update.rows).unwrap_or(i64::MAX);
            if update.to.is_some() {
                moved.repointed += rows
            } else {
                moved.cleared += rows
            }
            mapping.push(match column.kind {
                Kind::Text => (
                    OldValue::Text(update.from.to_string()),
                    NewValue::Text(update.to.as_ref().map(ToString::to_string)),
                ),
                Kind::Id | Kind::Json => {
                    let old = update.from_id.ok_or_else(|| {
                        Error::Diverged(format!("{} has no row id to repoint from", update.from))
                    })?;
                    let new = match &update.to {
                        Some(to) => Some(*targets.get(to).ok_or_else(|| {
                            Error::Diverged(format!("the replacement {to} has no global row"))
                        })?),
                        None => None,
                    };
                    (OldValue::Id(old), NewValue::Id(new))
                }
            });
        }
        let mut touched: u64 = 0;
        for chunk in mapping.chunks(MAX_MAPPING_PER_STATEMENT) {
            let query = column.update_query(conn.backend(), chunk);
            let n = conn.execute(&query).context(|| {
                format!(
                    "repointing references in {}.{}",
                    column.table, column.column
                )
            })?;
            touched += u64::try_from(n).unwrap_or(u64::MAX);
        }
        if touched != expected {
            return Err(Error::Diverged(format!(
                "{}.{}: updated {touched} rows where the plan counted {expected}",
                column.table, column.column
            )));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(moved)
}

/// Steps 3 and 5: deletes merged team rows and deleted models' global rows.
pub(super) fn delete_rows(conn: &mut Conn<'_>, plan: &Plan) -> Result<(), Error> {
    let ids: Vec<i64> = plan
        .merges
        .iter()
        .map(|merge| merge.id)
        .chain(plan.deletions.iter().map(|deletion| deletion.id))
        .collect();
    for chunk in ids.chunks(MAX_MAPPING_PER_STATEMENT) {
        let mut query = Query::new(format!(
            "DELETE FROM {} WHERE id IN ({})",
            quote_ident(MODELS_TABLE),
            placeholders(chunk.len())
        ));
        for id in chunk {
            query.push_bind(Bind::BigInt(*id));
        }
        let deleted = conn
            .execute(&query)
            .context(|| format!("deleting {} model rows", chunk.len()))?;
        if deleted != chunk.len() {
            return Err(Error::Diverged(format!(
                "deleted {deleted} model rows where the plan expected {}",
                chunk.len()
            )));
        }
    }
    Ok(())
}
