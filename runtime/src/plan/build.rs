//! Computing the plan: read the model rows and the schema, diff them against the
//! catalogue, count the references that would move, and collect every problem.

use std::collections::{HashMap, HashSet};

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Text};
use llm_lifecycle_catalog::{Catalog, Reference, ReferenceKind};

use super::{
    Change, Create, Deletion, Merge, ModelId, Plan, Reason, ReferenceUpdate, Refusal,
    SkippedValues, Unmanaged, Update,
};
use crate::db::dialect;
use crate::db::{Backend, Bind, Conn, Query, quote_ident};
use crate::error::{Context, Error};
use crate::introspect::{self, Columns, MODELS_TABLE};
use crate::ledger::{self, RemovedRow};
use crate::references::{MAX_MAPPING_PER_STATEMENT, OldValue, RefColumn};

/// A plan plus what the applier needs to execute it.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(crate) plan: Plan,
    /// The SQL view of each `[[references]]` entry (by index); `None` when refused.
    pub(crate) columns: Vec<Option<RefColumn>>,
    /// Old→new mapping for `id` and `json` references (merges, then deletions).
    pub(crate) id_mapping: Vec<MappingEntry>,
    /// Old→new mapping for `text` references (every deleted entry).
    pub(crate) text_mapping: Vec<MappingEntry>,
}

impl Planned {
    /// The mapping `column` goes through: every deleted entry for text
    /// references; for id and JSON references the merged and deleted rows,
    /// plus, where no foreign key guards the column, the rows earlier runs removed.
    pub(crate) fn mapping<'a>(
        &'a self,
        column: &RefColumn,
    ) -> impl Iterator<Item = &'a MappingEntry> + 'a {
        column_mapping(&self.id_mapping, &self.text_mapping, column)
    }
}

fn column_mapping<'a>(
    id_mapping: &'a [MappingEntry],
    text_mapping: &'a [MappingEntry],
    column: &RefColumn,
) -> impl Iterator<Item = &'a MappingEntry> + 'a {
    let (all, skip_stale) = match column.kind {
        ReferenceKind::Text => (text_mapping, false),
        ReferenceKind::Id | ReferenceKind::Json => (id_mapping, column.foreign_key),
    };
    all.iter()
        .filter(move |entry| !(skip_stale && entry.reason == Reason::Stale))
}

/// Which references the plan counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counting {
    /// Every row that would be repointed or cleared, and the JSON values
    /// skipped as not objects (what `plan` shows).
    All,
    /// Every row that would be repointed or cleared, to check each `UPDATE`'s
    /// row count against: the apply on an engine that cannot count in the
    /// `UPDATE` (the skipped values are not counted, as on PostgreSQL).
    Moves,
    /// Only rows that would be cleared in NOT NULL columns (refused before any
    /// write); the apply counts every row it moves in the `UPDATE` itself.
    NotNullClears,
}

#[derive(QueryableByName)]
struct GlobalRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    provider: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    max_token_limit: i64,
    #[diesel(sql_type = Bool)]
    deprecated: bool,
}

#[derive(QueryableByName)]
struct TeamRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = Text)]
    provider: String,
    #[diesel(sql_type = Text)]
    name: String,
}

/// One entry of the old→new mapping a reference column goes through.
#[derive(Debug, Clone)]
pub(crate) struct MappingEntry {
    /// The stored value to look for.
    pub(crate) old: OldValue,
    /// The model it denotes.
    pub(crate) from: ModelId,
    /// Its row id.
    pub(crate) from_id: Option<i64>,
    /// For merges, the team of the custom row.
    pub(crate) from_team: Option<i64>,
    /// Where references move; `None` clears them.
    pub(crate) to: Option<ModelId>,
    /// Merge or deletion.
    pub(crate) reason: Reason,
}

impl MappingEntry {
    /// The reference update for `rows` rows of `column` holding this entry's old value.
    pub(crate) fn update(&self, index: usize, column: &RefColumn, rows: u64) -> ReferenceUpdate {
        ReferenceUpdate {
            reference: index,
            table: column.table.clone(),
            column: column.column.clone(),
            kind: column.kind,
            key: column.key.clone(),
            from: self.from.clone(),
            from_id: self.from_id,
            from_team: self.from_team,
            to: self.to.clone(),
            rows,
            reason: self.reason,
        }
    }
}

/// Computes the plan on `conn`. Reads only.
pub(crate) fn build(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    counting: Counting,
) -> Result<Planned, Error> {
    let schema_present = introspect::table_exists(conn, MODELS_TABLE)?;
    let globals = if schema_present {
        load_globals(conn)?
    } else {
        Vec::new()
    };
    let by_id: HashMap<(&str, &str), &GlobalRow> = globals
        .iter()
        .map(|row| ((row.provider.as_str(), row.name.as_str()), row))
        .collect();

    let mut plan = Plan {
        backend: conn.backend(),
        catalog_digest: catalog.digest(),
        schema_present,
        creates: Vec::new(),
        updates: Vec::new(),
        merges: Vec::new(),
        deletions: Vec::new(),
        reference_updates: Vec::new(),
        unmanaged: Vec::new(),
        skipped: Vec::new(),
        refusals: Vec::new(),
        affected: Vec::new(),
    };

    // Steps 1 and 2: create missing live models, update drifted rows.
    for (provider, model) in catalog.models() {
        let id = ModelId::new(provider.key.as_ref(), model.name.as_ref());
        let token_limit = i64::from(model.token_limit);
        match by_id.get(&(provider.key.as_ref(), model.name.as_ref())) {
            None if !model.deprecated => plan.creates.push(Create {
                model: id,
                token_limit,
            }),
            None => {}
            Some(row) => {
                let token_limit = (row.max_token_limit != token_limit).then_some(Change {
                    from: row.max_token_limit,
                    to: token_limit,
                });
                let deprecated = (row.deprecated != model.deprecated).then_some(Change {
                    from: row.deprecated,
                    to: model.deprecated,
                });
                if token_limit.is_some() || deprecated.is_some() {
                    plan.updates.push(Update {
                        id: row.id,
                        model: id,
                        token_limit,
                        deprecated,
                    });
                }
            }
        }
    }

    // Step 5: deleted entries still present as global rows.
    for (provider, entry) in catalog.deleted() {
        if let Some(row) = by_id.get(&(provider.key.as_ref(), entry.name.as_ref())) {
            plan.deletions.push(Deletion {
                id: row.id,
                model: ModelId::new(provider.key.as_ref(), entry.name.as_ref()),
                replacement: replacement(catalog, &provider.key, &entry.name),
            });
        }
    }

    // Step 6: global rows the catalogue does not know.
    let known: HashSet<(&str, &str)> = catalog
        .models()
        .map(|(p, m)| (p.key.as_ref(), m.name.as_ref()))
        .chain(
            catalog
                .deleted()
                .map(|(p, d)| (p.key.as_ref(), d.name.as_ref())),
        )
        .collect();
    for row in &globals {
        if !known.contains(&(row.provider.as_str(), row.name.as_str())) {
            plan.unmanaged.push(Unmanaged {
                id: row.id,
                model: ModelId::new(&row.provider, &row.name),
            });
        }
    }

    // Step 3: team rows that merge into the global rows this plan creates.
    if schema_present && !plan.creates.is_empty() {
        plan.merges = load_merges(conn, &plan.creates)?;
    }

    let removed = if schema_present {
        ledger::removed_rows(conn)?
    } else {
        Vec::new()
    };
    let has_row = |model: &ModelId| {
        by_id.contains_key(&(model.provider.as_str(), model.name.as_str()))
            || plan.creates.iter().any(|create| create.model == *model)
    };
    let id_mapping = id_mapping(&plan, catalog, &removed, has_row);
    let text_mapping = text_mapping(catalog);
    let columns = plan_references(
        conn,
        catalog,
        &mut plan,
        &id_mapping,
        &text_mapping,
        counting,
    )?;
    let global_ids: HashMap<(&str, &str), i64> =
        by_id.iter().map(|(&key, row)| (key, row.id)).collect();
    super::affected::affected(conn, catalog, &mut plan, &columns, &global_ids)?;
    Ok(Planned {
        plan,
        columns,
        id_mapping,
        text_mapping,
    })
}

/// The end of a deleted entry's replacement chain.
fn replacement(catalog: &Catalog, provider: &str, name: &str) -> Option<ModelId> {
    catalog
        .chain_end(provider, name)
        .map(|model| ModelId::new(provider, model.name.as_ref()))
}

fn load_globals(conn: &mut Conn<'_>) -> Result<Vec<GlobalRow>, Error> {
    let query = Query::new(format!(
        "SELECT id, provider, name, max_token_limit, deprecated FROM {} \
         WHERE team_id IS NULL ORDER BY id",
        quote_ident(MODELS_TABLE)
    ));
    conn.load(&query)
        .context(|| format!("reading the global rows of {MODELS_TABLE}"))
}

fn load_merges(conn: &mut Conn<'_>, creates: &[Create]) -> Result<Vec<Merge>, Error> {
    let mut merges = Vec::new();
    for chunk in creates.chunks(MAX_MAPPING_PER_STATEMENT) {
        let rows = chunk
            .iter()
            .map(|create| {
                vec![
                    Bind::Text(create.model.provider.clone()),
                    Bind::Text(create.model.name.clone()),
                ]
            })
            .collect();
        let mut query = Query::new("WITH c(provider, name) AS (");
        query.append(dialect::of(conn.backend()).relation(&["provider", "name"], rows));
        query.push_sql(&format!(
            ") SELECT p.id, p.team_id, p.provider, p.name FROM {} p \
             JOIN c ON p.provider = c.provider AND p.name = c.name \
             WHERE p.team_id IS NOT NULL ORDER BY p.provider, p.name, p.team_id, p.id",
            quote_ident(MODELS_TABLE)
        ));
        let rows: Vec<TeamRow> = conn
            .load(&query)
            .context(|| "reading team rows to merge into new global rows".into())?;
        merges.extend(rows.into_iter().map(|row| Merge {
            id: row.id,
            team_id: row.team_id,
            model: ModelId::new(row.provider, row.name),
        }));
    }
    Ok(merges)
}

/// Validates every `[[references]]` entry and foreign key, and counts the rows
/// that would be repointed or cleared.
fn plan_references(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    plan: &mut Plan,
    id_mapping: &[MappingEntry],
    text_mapping: &[MappingEntry],
    counting: Counting,
) -> Result<Vec<Option<RefColumn>>, Error> {
    let mut tables: Vec<String> = Vec::new();
    for reference in catalog.references.iter() {
        tables.push(reference.table.to_string());
        if let Some(through) = &reference.through {
            tables.push(through.table.to_string());
        }
    }
    tables.sort();
    tables.dedup();
    let schema = introspect::columns(conn, &tables)?;

    let foreign_keys = introspect::foreign_keys_to_models(conn)?;
    for (table, column) in &foreign_keys {
        let declared = catalog.references.iter().any(|r| {
            r.kind == ReferenceKind::Id && r.table.as_ref() == table && r.column.as_ref() == column
        });
        if !declared {
            let columns = introspect::columns(conn, std::slice::from_ref(table))?;
            plan.refusals.push(Refusal::undeclared_foreign_key(
                table.clone(),
                column.clone(),
                |name| columns.contains_key(&(table.clone(), name.to_owned())),
            ));
        }
    }

    let mut columns = Vec::with_capacity(catalog.references.len());
    let mut try_jsonb: Option<bool> = None;
    for (index, reference) in catalog.references.iter().enumerate() {
        let Some(mut column) = check_reference(reference, &schema, &mut plan.refusals) else {
            columns.push(None);
            continue;
        };
        column.foreign_key = foreign_keys
            .iter()
            .any(|(table, name)| *table == column.table && *name == column.column);
        if conn.backend() == Backend::Postgres && column.pg_json_in_text() {
            column.pg_try_jsonb = match try_jsonb {
                Some(exists) => exists,
                None => *try_jsonb.insert(introspect::pg_try_jsonb_exists(conn)?),
            };
        }
        let nullable = schema
            .get(&(column.table.clone(), column.column.clone()))
            .is_none_or(|info| info.nullable);
        // JSON references are cleared to JSON null, whatever the column allows.
        let clears_refused = !nullable && column.kind != ReferenceKind::Json;
        let all: Vec<&MappingEntry> = column_mapping(id_mapping, text_mapping, &column).collect();
        let mapping: Vec<MappingEntry> = all
            .iter()
            .filter(|entry| match counting {
                Counting::All | Counting::Moves => true,
                Counting::NotNullClears => clears_refused && entry.to.is_none(),
            })
            .map(|entry| (*entry).clone())
            .collect();
        count_reference(conn, index, &column, &mapping, nullable, plan)?;
        if column.kind == ReferenceKind::Json && counting == Counting::All && !all.is_empty() {
            count_skipped(conn, &column, plan)?;
        }
        columns.push(Some(column));
    }
    Ok(columns)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Counts the values of a JSON reference column that are not a JSON object.
fn count_skipped(conn: &mut Conn<'_>, column: &RefColumn, plan: &mut Plan) -> Result<(), Error> {
    let rows: Vec<Count> = conn
        .load(&column.not_object_count_query(conn.backend()))
        .context(|| {
            format!(
                "counting the values of {}.{} that are not a JSON object",
                column.table, column.column
            )
        })?;
    let rows = rows
        .first()
        .map_or(0, |row| u64::try_from(row.n).unwrap_or_default());
    if rows > 0 {
        plan.skipped.push(SkippedValues {
            table: column.table.clone(),
            column: column.column.clone(),
            rows,
        });
    }
    Ok(())
}

fn id_mapping(
    plan: &Plan,
    catalog: &Catalog,
    removed: &[RemovedRow],
    has_row: impl Fn(&ModelId) -> bool,
) -> Vec<MappingEntry> {
    let merges = plan.merges.iter().map(|merge| MappingEntry {
        old: OldValue::Id(merge.id),
        from: merge.model.clone(),
        from_id: Some(merge.id),
        from_team: Some(merge.team_id),
        to: Some(merge.model.clone()),
        reason: Reason::Merge,
    });
    let deletions = plan.deletions.iter().map(|deletion| MappingEntry {
        old: OldValue::Id(deletion.id),
        from: deletion.model.clone(),
        from_id: Some(deletion.id),
        from_team: None,
        to: deletion.replacement.clone(),
        reason: Reason::Delete,
    });
    // Rows removed by earlier runs: a late writer's id moves where the model
    // stands in the catalogue now (a merged model to its global row, a deleted
    // one to the end of its chain); one the catalogue no longer lists as deleted
    // (pruned) or knows at all is no longer looked for.
    let live: HashSet<(&str, &str)> = catalog
        .models()
        .map(|(p, m)| (p.key.as_ref(), m.name.as_ref()))
        .collect();
    let deleted: HashSet<(&str, &str)> = catalog
        .deleted()
        .map(|(p, d)| (p.key.as_ref(), d.name.as_ref()))
        .collect();
    let mut seen = HashSet::new();
    let stale = removed.iter().filter_map(|row| {
        if !seen.insert(row.model_id) {
            return None;
        }
        let from = ModelId::new(&row.provider, &row.name);
        let key = (row.provider.as_str(), row.name.as_str());
        let (live, deleted) = (live.contains(&key), deleted.contains(&key));
        let to = if live && row.action == "merged" {
            Some(from.clone())
        } else if deleted {
            replacement(catalog, &row.provider, &row.name)
        } else {
            return None;
        };
        if to.as_ref().is_some_and(|to| !has_row(to)) {
            return None;
        }
        Some(MappingEntry {
            old: OldValue::Id(row.model_id),
            from,
            from_id: Some(row.model_id),
            from_team: row.team_id,
            to,
            reason: Reason::Stale,
        })
    });
    merges
        .chain(deletions)
        .chain(stale.collect::<Vec<_>>())
        .collect()
}

/// Text references name models by id, so every deleted entry is looked for,
/// whether or not its row still exists.
fn text_mapping(catalog: &Catalog) -> Vec<MappingEntry> {
    catalog
        .deleted()
        .map(|(provider, entry)| {
            let from = ModelId::new(provider.key.as_ref(), entry.name.as_ref());
            MappingEntry {
                old: OldValue::Text(from.to_string()),
                from,
                from_id: None,
                from_team: None,
                to: replacement(catalog, &provider.key, &entry.name),
                reason: Reason::Delete,
            }
        })
        .collect()
}

/// Checks that the declared table and columns exist; the column's SQL view if they do.
fn check_reference(
    reference: &Reference,
    schema: &Columns,
    refusals: &mut Vec<Refusal>,
) -> Option<RefColumn> {
    let declared_by = format!("{}.{}", reference.table, reference.column);
    let table_exists = |table: &str| schema.keys().any(|(t, _)| t == table);
    let mut ok = true;
    let mut require = |table: &str, column: &str, refusals: &mut Vec<Refusal>| {
        if !table_exists(table) {
            let refusal = Refusal::MissingTable {
                table: table.to_owned(),
                declared_by: declared_by.clone(),
            };
            if !refusals.contains(&refusal) {
                refusals.push(refusal);
            }
            ok = false;
        } else if !schema.contains_key(&(table.to_owned(), column.to_owned())) {
            refusals.push(Refusal::MissingColumn {
                table: table.to_owned(),
                column: column.to_owned(),
                declared_by: declared_by.clone(),
            });
            ok = false;
        }
    };
    require(&reference.table, &reference.column, refusals);
    let owner = match &reference.through {
        Some(through) => {
            require(&reference.table, &through.column, refusals);
            require(&through.table, "id", refusals);
            through.table.as_ref()
        }
        None => reference.table.as_ref(),
    };
    for column in [&reference.team_column, &reference.name_column]
        .into_iter()
        .flatten()
    {
        require(owner, column, refusals);
    }
    if !ok {
        return None;
    }
    let data_type = schema
        .get(&(reference.table.to_string(), reference.column.to_string()))
        .map(|info| info.data_type.clone())
        .unwrap_or_default();
    Some(RefColumn {
        table: reference.table.to_string(),
        column: reference.column.to_string(),
        kind: match reference.kind {
            ReferenceKind::Id => ReferenceKind::Id,
            ReferenceKind::Json => ReferenceKind::Json,
            ReferenceKind::Text => ReferenceKind::Text,
        },
        key: reference.key.as_ref().map(ToString::to_string),
        data_type,
        foreign_key: false,
        pg_try_jsonb: false,
    })
}

/// One grouped count per column (per chunk of the mapping): how many rows hold each old value.
fn count_reference(
    conn: &mut Conn<'_>,
    index: usize,
    column: &RefColumn,
    mapping: &[MappingEntry],
    nullable: bool,
    plan: &mut Plan,
) -> Result<(), Error> {
    for chunk in mapping.chunks(MAX_MAPPING_PER_STATEMENT) {
        let values: Vec<OldValue> = chunk.iter().map(|entry| entry.old.clone()).collect();
        let query = column.count_query(conn.backend(), &values);
        let counts: Vec<crate::references::KeyCount> = conn.load(&query).context(|| {
            format!(
                "counting the references in {}.{}",
                column.table, column.column
            )
        })?;
        let counts: HashMap<String, u64> = counts
            .into_iter()
            .map(|row| (row.old_key, u64::try_from(row.n).unwrap_or_default()))
            .collect();
        for entry in chunk {
            let Some(&rows) = counts.get(&entry.old.key()).filter(|rows| **rows > 0) else {
                continue;
            };
            if entry.to.is_none() && column.kind != ReferenceKind::Json && !nullable {
                plan.refusals.push(Refusal::NotNullClear {
                    table: column.table.clone(),
                    column: column.column.clone(),
                    rows,
                    model: entry.from.clone(),
                });
            }
            plan.reference_updates
                .push(entry.update(index, column, rows));
        }
    }
    Ok(())
}
