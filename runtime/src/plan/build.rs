//! Computing the plan: read the model rows and the schema, diff them against the
//! catalogue, count the references that would move, and collect every problem.

use std::collections::{HashMap, HashSet};

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Text};
use llm_lifecycle_catalog::{Catalog, CompanionAction, Reference, ReferenceKind};

use super::{
    AffectedModel, Change, Create, Deletion, Merge, ModelId, Plan, Reason, ReferenceUpdate,
    Refusal, SkippedValues, Unmanaged, Update,
};
use crate::db::dialect;
use crate::db::{Backend, Bind, Conn, Query};
use crate::error::{Context, Error};
use crate::introspect::{self, Columns};
use crate::ledger::{self, RemovedRow};
use crate::model_table::ModelTable;
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
    /// [`Audience::Deferred`]: the deprecated, deleted and reminded models
    /// whose users may be told, without their teams (empty otherwise).
    pub(crate) notices: Vec<AffectedModel>,
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

/// Which teams [`Plan::affected`] lists per model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Those not told about the model yet: whom the apply notifies.
    Unnotified,
    /// Every team using it (`apply-models check`).
    Everyone,
    /// Those not told yet, found by the apply's own notice statements, in the
    /// database ([`crate::apply()`]): [`Plan::affected`] stays empty and
    /// [`Planned::notices`] lists the models whose users may be told.
    Deferred,
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
    team: i64,
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
    options: &super::PlanOptions,
    audience: Audience,
) -> Result<Planned, Error> {
    let table = ModelTable::of(catalog);
    let table_exists = introspect::table_exists(conn, &table.table)?;
    // The runtime's own schema: its model table, or with a host table its ledger.
    let schema_present = if table.owned {
        table_exists
    } else {
        introspect::table_exists(conn, ledger::RUNS_TABLE)?
    };
    // The runtime's own table is only checked once it exists (the migrations
    // create it); a host table must exist.
    let table_refusals = if table_exists || !table.owned {
        super::model_table::check(&table, conn)?
    } else {
        Vec::new()
    };
    let globals = if table_exists && table_refusals.is_empty() {
        load_globals(conn, &table)?
    } else {
        Vec::new()
    };
    // The oldest global row of each model is the one that stays; the others
    // (a host table without a unique rule may hold several) merge into it.
    let mut by_id: HashMap<(&str, &str), &GlobalRow> = HashMap::new();
    let mut duplicates: Vec<&GlobalRow> = Vec::new();
    for row in &globals {
        match by_id.entry((row.provider.as_str(), row.name.as_str())) {
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(row);
            }
            std::collections::hash_map::Entry::Occupied(_) => duplicates.push(row),
        }
    }

    let mut plan = Plan {
        refusals: table_refusals,
        sunsets: super::sunsets(catalog, options.today.unwrap_or_else(super::today_utc)),
        ..Plan::empty(conn.backend(), catalog.digest(), schema_present)
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

    // Step 5: deleted entries still present as global rows (every row of one).
    let mut rows_of: HashMap<(&str, &str), Vec<i64>> = HashMap::new();
    for row in &globals {
        rows_of
            .entry((row.provider.as_str(), row.name.as_str()))
            .or_default()
            .push(row.id);
    }
    for (provider, entry) in catalog.deleted() {
        let Some(ids) = rows_of.get(&(provider.key.as_ref(), entry.name.as_ref())) else {
            continue;
        };
        for &id in ids {
            plan.deletions.push(Deletion {
                id,
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

    // Step 3: duplicate global rows of a live model merge into its oldest row;
    // team rows merge into the global rows this plan creates.
    let live_keys: HashSet<(&str, &str)> = catalog
        .models()
        .map(|(p, m)| (p.key.as_ref(), m.name.as_ref()))
        .collect();
    plan.merges = duplicates
        .iter()
        .filter(|row| live_keys.contains(&(row.provider.as_str(), row.name.as_str())))
        .map(|row| Merge {
            id: row.id,
            team_id: None,
            into: by_id
                .get(&(row.provider.as_str(), row.name.as_str()))
                .map(|keeper| keeper.id),
            model: ModelId::new(&row.provider, &row.name),
        })
        .collect();
    if table_exists && plan.refusals.is_empty() && !plan.creates.is_empty() {
        let created: Vec<&ModelId> = plan.creates.iter().map(|create| &create.model).collect();
        plan.merges.extend(load_merges(conn, &table, &created)?);
    }

    let removed = if table_exists {
        ledger::removed_rows(conn, &table.table, &table.id)?
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
        options.batch_size.is_some(),
    )?;
    let global_ids: HashMap<(&str, &str), i64> =
        by_id.iter().map(|(&key, row)| (key, row.id)).collect();
    let notices =
        super::affected::affected(conn, catalog, &mut plan, &columns, &global_ids, audience)?;
    if let Some(batch_size) = options.batch_size {
        plan.batching = Some(super::batching::batching(&plan, &columns, batch_size));
    }
    // What the ledger says about the creates, un-deprecations and digest.
    if schema_present {
        super::guard::check(conn, &mut plan, options)?;
    }
    Ok(Planned {
        plan,
        columns,
        id_mapping,
        text_mapping,
        notices,
    })
}

/// The end of a deleted entry's replacement chain.
fn replacement(catalog: &Catalog, provider: &str, name: &str) -> Option<ModelId> {
    catalog
        .chain_end(provider, name)
        .map(|model| ModelId::new(provider, model.name.as_ref()))
}

/// `CAST(p.column AS BIGINT) AS alias` (a host table may use any integer type).
fn integer(conn: &Conn<'_>, column: &str, alias: &str) -> String {
    format!(
        "CAST({} AS {}) AS {alias}",
        ModelTable::col(Some("p"), column),
        dialect::of(conn.backend()).integer_type()
    )
}

/// `CAST(p.column AS TEXT) AS alias`.
fn text(conn: &Conn<'_>, column: &str, alias: &str) -> String {
    format!(
        "CAST({} AS {}) AS {alias}",
        ModelTable::col(Some("p"), column),
        dialect::of(conn.backend()).text_type()
    )
}

fn load_globals(conn: &mut Conn<'_>, table: &ModelTable) -> Result<Vec<GlobalRow>, Error> {
    let query = Query::new(format!(
        "SELECT {}, {}, {}, {}, {} AS deprecated FROM {} p WHERE {} ORDER BY 1",
        integer(conn, &table.id, "id"),
        text(conn, &table.provider, "provider"),
        text(conn, &table.name, "name"),
        integer(conn, &table.token_limit, "max_token_limit"),
        ModelTable::col(Some("p"), &table.deprecated),
        table.quoted(),
        table.global(Some("p")),
    ));
    conn.load(&query)
        .context(|| format!("reading the global rows of {}", table.table))
}

/// The team rows of `models` (whose global rows this plan creates).
fn load_merges(
    conn: &mut Conn<'_>,
    table: &ModelTable,
    models: &[&ModelId],
) -> Result<Vec<Merge>, Error> {
    let (Some(team), Some(team_rows)) = (&table.team, table.team_rows(Some("p"))) else {
        return Ok(Vec::new());
    };
    let mut merges = Vec::new();
    for chunk in models.chunks(MAX_MAPPING_PER_STATEMENT) {
        let rows = chunk
            .iter()
            .map(|model| {
                vec![
                    Bind::Text(model.provider.clone()),
                    Bind::Text(model.name.clone()),
                ]
            })
            .collect();
        let mut query = Query::new("WITH c(provider, name) AS (");
        query.append(dialect::of(conn.backend()).relation(&["provider", "name"], rows));
        let (provider, name) = (
            ModelTable::col(Some("p"), &table.provider),
            ModelTable::col(Some("p"), &table.name),
        );
        query.push_sql(&format!(
            ") SELECT {}, {}, {}, {} FROM {} p \
             JOIN c ON {provider} = c.provider AND {name} = c.name \
             WHERE {team_rows} ORDER BY 3, 4, 2, 1",
            integer(conn, &table.id, "id"),
            integer(conn, team, "team"),
            text(conn, &table.provider, "provider"),
            text(conn, &table.name, "name"),
            table.quoted(),
        ));
        let rows: Vec<TeamRow> = conn
            .load(&query)
            .context(|| format!("reading the team rows of {} to merge", table.table))?;
        merges.extend(rows.into_iter().map(|row| Merge {
            id: row.id,
            team_id: Some(row.team),
            into: None,
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
    batching: bool,
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

    let model_table = ModelTable::of(catalog);
    let foreign_keys = introspect::foreign_keys_to(conn, &model_table.table)?;
    for (table, column) in &foreign_keys {
        let declared = catalog.references.iter().any(|r| {
            r.kind == ReferenceKind::Id && r.table.as_ref() == table && r.column.as_ref() == column
        });
        if !declared {
            let columns = introspect::columns(conn, std::slice::from_ref(table))?;
            plan.refusals.push(Refusal::undeclared_foreign_key(
                model_table.table.clone(),
                table.clone(),
                column.clone(),
                |name| columns.contains_key(&(table.clone(), name.to_owned())),
            ));
        }
    }

    // The integer keys, looked up once: of every table when batching (the
    // batches walk them), else of the tables whose rows are their own
    // resources (no `through`) and are told about, since where `id` is the
    // key no `DISTINCT` is needed to find them.
    let mut keyed: Vec<String> = catalog
        .references
        .iter()
        .filter(|reference| {
            batching || (reference.through.is_none() && reference.team_column.is_some())
        })
        .map(|reference| reference.table.to_string())
        .filter(|table| schema.keys().any(|(known, _)| known == table))
        .collect();
    keyed.sort();
    keyed.dedup();
    let keys = introspect::integer_keys(conn, &keyed)?;

    let mut columns = Vec::with_capacity(catalog.references.len());
    let mut try_jsonb: Option<bool> = None;
    for (index, reference) in catalog.references.iter().enumerate() {
        let Some(mut column) =
            check_reference(reference, &model_table, &schema, &mut plan.refusals)
        else {
            columns.push(None);
            continue;
        };
        column.foreign_key = foreign_keys
            .iter()
            .any(|(table, name)| *table == column.table && *name == column.column);
        column.walk_key = keys.get(&column.table).cloned();
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
        from_team: merge.team_id,
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
    model_table: &ModelTable,
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
        walk_key: None,
        pg_try_jsonb: false,
        written: None,
        companion_limits: companions(reference, CompanionAction::TokenLimit),
        companion_removes: companions(reference, CompanionAction::Remove),
        token_limits: Some((
            model_table.table.clone(),
            model_table.id.clone(),
            model_table.token_limit.clone(),
        )),
    })
}

/// The companion keys of `reference` with `action`.
fn companions(reference: &Reference, action: CompanionAction) -> Vec<String> {
    reference
        .companions
        .iter()
        .filter(|companion| companion.action == action)
        .map(|companion| companion.key.to_string())
        .collect()
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
