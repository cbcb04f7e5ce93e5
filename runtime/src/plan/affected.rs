//! Affected resources, per model and per team, computed at plan time (so
//! before any reference moves, in the apply's own transaction too).
//!
//! One `SELECT DISTINCT` per `[[references]]` entry that names a
//! `team_column` (and per 5,000 candidate values), returning one row per
//! distinct *(model, team, resource)*: the referencing rows themselves never
//! leave the database, and three nodes of one pipeline come back as one row.
//! Teams that already have the notification (same team, slug and model) are
//! excluded by the query (`NOT EXISTS`), so an apply where everyone was told
//! loads nothing.
//! Entries without `team_column` cannot be attributed to a team and notify
//! nobody (their rows are still repointed).

use std::collections::HashMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use llm_lifecycle_catalog::{Catalog, Reference, ReferenceKind};

use super::build::Audience;
use super::resource_rows::distinct_rows;
use super::texts::{self, Resource};
use super::validate;
use super::{AffectedModel, AffectedTeam, ModelChange, Reminder, ResourceCount};
use crate::db::{Bind, Conn, Query, quote_ident};
use crate::error::{Context, Error};
use crate::introspect;
use crate::plan::{ModelId, Plan, Refusal};
use crate::references::{OldValue, RefColumn};
use crate::schema::NOTIFICATIONS_TABLE;

/// Candidate values per `SELECT` (four bound values each: far below the bind
/// limits of both engines, SQLite's 32,766 included).
const VALUES_PER_STATEMENT: usize = 5_000;

#[derive(QueryableByName)]
struct AffectedRow {
    #[diesel(sql_type = Text)]
    old_key: String,
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = BigInt)]
    resource_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
}

/// A model whose users are told (its `row_id` is what `id` and `json`
/// references hold; none when it has no global row).
struct Candidate {
    model: AffectedModel,
}

/// One resource found, with the model (index into the candidates) and team
/// it counts for. Kept in one flat list, sorted and grouped once every
/// reference was read: no map node or small vector per model and team.
struct Hit<'a> {
    index: usize,
    team_id: i64,
    resource: Resource<'a>,
}

impl Hit<'_> {
    /// What makes a hit distinct: model, team, then resource (table, id, kind).
    fn key(&self) -> (usize, i64, &str, i64, &str) {
        (
            self.index,
            self.team_id,
            self.resource.table,
            self.resource.id,
            self.resource.kind,
        )
    }
}

/// Validates every `filter` and computes [`Plan::affected`]: the deprecated
/// models (every apply, step 4) and the deleted ones present in
/// [`Plan::deletions`] or referenced by text (step 5). An invalid filter or
/// recipients query becomes a [`Refusal`].
///
/// With [`Audience::Deferred`], `Plan::affected` stays empty and the models
/// whose users may be told are returned instead, with no teams: the apply's
/// notice statements find the teams ([`super::resources`]).
pub(crate) fn affected(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    plan: &mut Plan,
    columns: &[Option<RefColumn>],
    global_ids: &HashMap<(&str, &str), i64>,
    audience: Audience,
) -> Result<Vec<AffectedModel>, Error> {
    for (reference, column) in catalog.references.iter().zip(columns) {
        if let (Some(filter), Some(_)) = (&reference.filter, column)
            && let Some(reason) = validate::filter(conn, &reference.table, filter)?
        {
            plan.refusals.push(Refusal::InvalidFilter {
                table: reference.table.to_string(),
                column: reference.column.to_string(),
                filter: filter.to_string(),
                reason,
            });
        }
    }
    let settings = &catalog.notifications;
    if let Some(query) = &settings.recipients_query
        && let Some(reason) = validate::recipients_query(conn, query, &settings.permission)?
    {
        plan.refusals.push(Refusal::InvalidRecipientsQuery {
            query: query.to_string(),
            reason,
        });
    }
    if plan.is_refused() {
        return Ok(Vec::new());
    }
    let candidates = candidates(catalog, plan, global_ids);
    // Sunset reminders go to the teams still using the model, whom the apply
    // notifies (`check` lists every user of a past-due model itself). They are
    // read in a pass of their own: the same rows may owe a team both the
    // deprecation notice and a reminder, each with its own once-per-team key.
    let reminders = if audience == Audience::Everyone {
        Vec::new()
    } else {
        reminder_candidates(catalog, plan, global_ids)
    };
    if audience == Audience::Deferred {
        return Ok(candidates
            .into_iter()
            .chain(reminders)
            .map(|candidate| candidate.model)
            .collect());
    }
    if candidates.is_empty() && reminders.is_empty() {
        return Ok(Vec::new());
    }
    let nouns = nouns(catalog);
    // Teams already told are left out by the query itself: in the steady state
    // (everyone told about every deprecation) nothing comes back.
    let told = if audience == Audience::Unnotified {
        Told::of(conn)?
    } else {
        Told::Everyone
    };
    let mut models = find_all(conn, catalog, columns, candidates, told, &nouns)?;
    models.extend(find_all(conn, catalog, columns, reminders, told, &nouns)?);
    plan.affected = models;
    Ok(Vec::new())
}

/// Which notices the affected-resources query leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Told {
    /// None: every team using the model is listed.
    Everyone,
    /// Teams that have the notice (same team, slug, model and reminder) are
    /// left out; `reminder_days` is false on a schema older than the column
    /// (a `plan` before the apply migrates), where every notice has 0.
    Skipped { reminder_days: bool },
}

impl Told {
    pub(super) fn of(conn: &mut Conn<'_>) -> Result<Self, Error> {
        if !introspect::table_exists(conn, NOTIFICATIONS_TABLE)? {
            return Ok(Self::Everyone);
        }
        let columns = introspect::columns(conn, &[NOTIFICATIONS_TABLE.to_owned()])?;
        let reminder_days =
            columns.contains_key(&(NOTIFICATIONS_TABLE.to_owned(), "reminder_days".to_owned()));
        Ok(Self::Skipped { reminder_days })
    }
}

/// Every reference with a `team_column` read for `candidates`, grouped into
/// one [`AffectedModel`] per candidate that some team uses.
fn find_all(
    conn: &mut Conn<'_>,
    catalog: &Catalog,
    columns: &[Option<RefColumn>],
    candidates: Vec<Candidate>,
    told: Told,
    nouns: &[String],
) -> Result<Vec<AffectedModel>, Error> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: Vec<Hit<'_>> = Vec::new();
    for (reference, column) in catalog.references.iter().zip(columns) {
        let (Some(column), Some(_)) = (column, &reference.team_column) else {
            continue;
        };
        find(conn, reference, column, &candidates, told, &mut found)?;
    }

    let mut models: Vec<AffectedModel> = candidates.into_iter().map(|c| c.model).collect();
    found.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
    found.dedup_by(|a, b| a.key() == b.key());
    for hits in found.chunk_by(|a, b| (a.index, a.team_id) == (b.index, b.team_id)) {
        let Some(&Hit { index, team_id, .. }) = hits.first() else {
            continue;
        };
        let resources: Vec<&Resource<'_>> = hits.iter().map(|hit| &hit.resource).collect();
        let counts = nouns
            .iter()
            .map(|noun| ResourceCount {
                resource: noun.clone(),
                count: resources.iter().filter(|r| r.kind == noun).count() as u64,
            })
            .filter(|count| count.count > 0)
            .collect();
        if let Some(model) = models.get_mut(index) {
            model.teams.push(AffectedTeam {
                team_id,
                resources: counts,
                links: texts::links(team_id, &resources),
            });
        }
    }
    models.retain(|model| !model.teams.is_empty());
    Ok(models)
}

/// The deprecated models whose sunset is inside a `[notifications]
/// reminders` threshold today ([`Plan::sunsets`] counted the days), one
/// [`ModelChange::Sunset`] candidate each.
fn reminder_candidates(
    catalog: &Catalog,
    plan: &Plan,
    global_ids: &HashMap<(&str, &str), i64>,
) -> Vec<Candidate> {
    let thresholds = &catalog.notifications.reminders;
    plan.sunsets
        .iter()
        .filter_map(|sunset| {
            let reminder = Reminder::due(thresholds, sunset.days_left)?;
            Some(Candidate {
                model: AffectedModel {
                    row_id: global_ids
                        .get(&(sunset.model.provider.as_str(), sunset.model.name.as_str()))
                        .copied(),
                    model: sunset.model.clone(),
                    change: ModelChange::Sunset,
                    replacement: sunset.replacement.clone(),
                    sunset: Some(sunset.sunset.clone()),
                    reminder: Some(reminder),
                    teams: Vec::new(),
                    more_teams: 0,
                },
            })
        })
        .collect()
}

/// Resource nouns in the order the `[[references]]` entries first declare them.
pub(crate) fn nouns(catalog: &Catalog) -> Vec<String> {
    let mut nouns: Vec<String> = Vec::new();
    for reference in catalog.references.iter() {
        let noun = noun(reference);
        if !nouns.contains(&noun) {
            nouns.push(noun);
        }
    }
    nouns
}

fn noun(reference: &Reference) -> String {
    noun_of(reference).to_owned()
}

/// The `resource` noun, else the table name.
pub(super) fn noun_of(reference: &Reference) -> &str {
    reference.resource.as_deref().unwrap_or(&reference.table)
}

/// The deprecated and deleted models whose users may be told, with the row id
/// that `id` and `json` references hold (`global_ids`: the plan's global rows).
fn candidates(
    catalog: &Catalog,
    plan: &Plan,
    global_ids: &HashMap<(&str, &str), i64>,
) -> Vec<Candidate> {
    let deprecated: Vec<(ModelId, Option<String>)> = catalog
        .models()
        .filter(|(_, model)| model.deprecated)
        .map(|(provider, model)| {
            (
                ModelId::new(provider.key.as_ref(), model.name.as_ref()),
                model.sunset.map(|date| date.to_string()),
            )
        })
        .collect();
    let mut candidates: Vec<Candidate> = deprecated
        .into_iter()
        .map(|(model, sunset)| {
            let replacement = catalog
                .chain_end(&model.provider, &model.name)
                .map(|to| ModelId::new(model.provider.clone(), to.name.as_ref()));
            Candidate {
                model: AffectedModel {
                    row_id: global_ids
                        .get(&(model.provider.as_str(), model.name.as_str()))
                        .copied(),
                    model,
                    change: ModelChange::Deprecated,
                    replacement,
                    sunset,
                    reminder: None,
                    teams: Vec::new(),
                    more_teams: 0,
                },
            }
        })
        .collect();
    let row_ids: HashMap<&ModelId, i64> = plan
        .deletions
        .iter()
        .map(|deletion| (&deletion.model, deletion.id))
        .collect();
    for (provider, entry) in catalog.deleted() {
        let model = ModelId::new(provider.key.as_ref(), entry.name.as_ref());
        let replacement = catalog
            .chain_end(&provider.key, &entry.name)
            .map(|to| ModelId::new(provider.key.as_ref(), to.name.as_ref()));
        candidates.push(Candidate {
            model: AffectedModel {
                row_id: row_ids.get(&model).copied(),
                model,
                change: ModelChange::Deleted,
                replacement,
                sunset: None,
                reminder: None,
                teams: Vec::new(),
                more_teams: 0,
            },
        });
    }
    candidates
}

/// One `SELECT DISTINCT` (per chunk of candidate values) for one reference:
/// the (model, team, resource, name) tuples that use a candidate model.
fn find<'a>(
    conn: &mut Conn<'_>,
    reference: &'a Reference,
    column: &RefColumn,
    candidates: &[Candidate],
    told: Told,
    found: &mut Vec<Hit<'a>>,
) -> Result<(), Error> {
    let values: Vec<(OldValue, usize)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(index, candidate)| match column.kind {
            ReferenceKind::Text => Some((OldValue::Text(candidate.model.model.to_string()), index)),
            ReferenceKind::Id | ReferenceKind::Json => {
                candidate.model.row_id.map(|id| (OldValue::Id(id), index))
            }
        })
        .collect();
    let noun = noun_of(reference);
    let owner_table: &str = reference
        .through
        .as_ref()
        .map_or(&reference.table, |through| &through.table);
    let url = reference.url.as_deref();
    for chunk in values.chunks(VALUES_PER_STATEMENT) {
        let by_key: HashMap<String, usize> = chunk
            .iter()
            .map(|(old, index)| (old.key(), *index))
            .collect();
        let query = affected_query(conn, reference, column, chunk, candidates, told);
        let rows: Vec<AffectedRow> = conn.load(&query).context(|| {
            format!(
                "finding the teams whose resources reference a model in {}.{}",
                column.table, column.column
            )
        })?;
        found.reserve_exact(rows.len());
        for row in rows {
            let Some(&index) = by_key.get(&row.old_key) else {
                continue;
            };
            found.push(Hit {
                index,
                team_id: row.team_id,
                resource: Resource {
                    kind: noun,
                    name: row.name,
                    table: owner_table,
                    id: row.resource_id,
                    url,
                },
            });
        }
    }
    Ok(())
}

/// [`distinct_rows`], less the teams told before ([`Told`]).
fn affected_query(
    conn: &Conn<'_>,
    reference: &Reference,
    column: &RefColumn,
    values: &[(OldValue, usize)],
    candidates: &[Candidate],
    told: Told,
) -> Query {
    let dialect = crate::db::dialect::of(conn.backend());
    let text = dialect.text_type();
    let olds: Vec<&OldValue> = values.iter().map(|(old, _)| old).collect();
    let mut query = distinct_rows(conn, reference, column, &olds);
    if let Told::Skipped { reminder_days } = told {
        query.push_sql(&format!(
            " AND NOT EXISTS (SELECT 1 FROM {} n JOIN (",
            quote_ident(NOTIFICATIONS_TABLE)
        ));
        let rows = values
            .iter()
            .map(|(old, index)| {
                let candidate = candidates.get(*index).map(|c| &c.model);
                let (slug, model) = candidate.map_or_else(Default::default, |model| {
                    (model.change.slug().to_owned(), model.model.to_string())
                });
                let days = candidate
                    .and_then(|model| model.reminder)
                    .map_or(0, |reminder| i64::from(reminder.days_before));
                vec![
                    Bind::Text(old.key()),
                    Bind::Text(slug),
                    Bind::Text(model),
                    Bind::BigInt(days),
                ]
            })
            .collect();
        // `VALUES` columns are `column1…` (SQLite cannot rename them); MySQL's
        // relation is named to match.
        query.append(dialect.relation(&["column1", "column2", "column3", "column4"], rows));
        let stored_days = if reminder_days {
            "n.reminder_days"
        } else {
            "0"
        };
        query.push_sql(&format!(
            ") AS k ON n.slug = k.column2 AND n.model = k.column3 AND {stored_days} = k.column4 \
             WHERE k.column1 = CAST(s.old_key AS {text}) AND n.team_id = s.team_id)",
        ));
    }
    query
}
