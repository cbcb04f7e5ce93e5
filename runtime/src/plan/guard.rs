//! The stale-catalogue guard: what the ledger says about the plan's creates,
//! un-deprecations and catalogue digest.
//!
//! A rolled-back deploy, or the old half of a blue/green overlap, runs a
//! binary whose catalogue predates a deletion. Before a model row is created,
//! the journal is read: when the last committed run that created or deleted
//! that model (provider and name) deleted it, the plan is refused
//! ([`Refusal::RestoresDeleted`]) unless `--allow-restore` names the model
//! (then it is a [`PlanWarning::Restores`]). A model an earlier run
//! deprecated and this catalogue does not is a [`PlanWarning::Undeprecates`];
//! a catalogue applied before a different one in the same environment is a
//! [`PlanWarning::Rollback`]. Two reads, each over a handful of journal rows
//! (created, deleted and deprecated events, one per model and run).

use std::collections::HashMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::{LedgerRun, ModelId, Plan, PlanOptions, PlanWarning, Refusal};
use crate::db::dialect;
use crate::db::{Bind, Conn, Query};
use crate::error::{Context, Error};
use crate::ledger::{RUNS_TABLE, RunStatus};

/// A journal row of a committed run that created, deleted or deprecated a
/// global row, with its run.
#[derive(Debug, QueryableByName)]
struct ModelEvent {
    #[diesel(sql_type = Text)]
    provider: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = BigInt)]
    run_id: i64,
    #[diesel(sql_type = Text)]
    environment: String,
    #[diesel(sql_type = Text)]
    catalog_digest: String,
    #[diesel(sql_type = Nullable<Text>)]
    finished_at: Option<String>,
}

impl ModelEvent {
    fn run(&self) -> LedgerRun {
        LedgerRun {
            run_id: self.run_id,
            finished_at: self.finished_at.clone(),
            environment: self.environment.clone(),
            catalog_digest: self.catalog_digest.clone(),
        }
    }
}

/// A committed run, for the rollback check.
#[derive(Debug, QueryableByName)]
struct Run {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    environment: String,
    #[diesel(sql_type = Text)]
    catalog_digest: String,
    #[diesel(sql_type = Nullable<Text>)]
    finished_at: Option<String>,
}

impl Run {
    fn into_ledger_run(self) -> LedgerRun {
        LedgerRun {
            run_id: self.id,
            finished_at: self.finished_at,
            environment: self.environment,
            catalog_digest: self.catalog_digest,
        }
    }
}

/// Adds the guard's refusals and warnings to `plan` (whose schema exists).
pub(crate) fn check(
    conn: &mut Conn<'_>,
    plan: &mut Plan,
    options: &PlanOptions,
) -> Result<(), Error> {
    let undeprecated: Vec<&ModelId> = plan
        .updates
        .iter()
        .filter(|update| update.deprecated.is_some_and(|change| !change.to))
        .map(|update| &update.model)
        .collect();
    if !plan.creates.is_empty() || !undeprecated.is_empty() {
        let last = last_events(conn)?;
        let mut refusals = Vec::new();
        let mut warnings = Vec::new();
        for create in &plan.creates {
            let Some(deleted) = last
                .created_or_deleted
                .get(&LastEvents::key(&create.model))
                .filter(|event| event.action == "deleted")
            else {
                continue;
            };
            if options.allow_restore.contains(&create.model) {
                warnings.push(PlanWarning::Restores {
                    model: create.model.clone(),
                    deleted_by: deleted.run(),
                });
            } else {
                refusals.push(Refusal::RestoresDeleted {
                    model: create.model.clone(),
                    deleted_by: deleted.run(),
                });
            }
        }
        for model in undeprecated {
            if let Some(event) = last.deprecated.get(&LastEvents::key(model)) {
                warnings.push(PlanWarning::Undeprecates {
                    model: model.clone(),
                    deprecated_by: event.run(),
                });
            }
        }
        plan.refusals.extend(refusals);
        plan.warnings.extend(warnings);
    }
    if let Some(rollback) = rollback(conn, &plan.catalog_digest, &options.environment)? {
        plan.warnings.push(rollback);
    }
    Ok(())
}

/// Per model (provider, name), the last of its created/deleted events and
/// its last deprecated event, of committed runs.
#[derive(Default)]
struct LastEvents {
    created_or_deleted: HashMap<(String, String), ModelEvent>,
    deprecated: HashMap<(String, String), ModelEvent>,
}

impl LastEvents {
    fn key(model: &ModelId) -> (String, String) {
        (model.provider.clone(), model.name.clone())
    }
}

fn last_events(conn: &mut Conn<'_>) -> Result<LastEvents, Error> {
    let dialect = dialect::of(conn.backend());
    let query = Query::new(format!(
        "SELECT e.provider, e.name, e.action, e.run_id, r.environment, r.catalog_digest, \
         {} AS finished_at \
         FROM llm_lifecycle_events e JOIN {RUNS_TABLE} r ON r.id = e.run_id \
         WHERE e.team_id IS NULL AND e.action IN ('created', 'deleted', 'deprecated') \
         AND r.status = ",
        dialect.utc_text("r.finished_at")
    ))
    .bind(Bind::Text(RunStatus::Succeeded.as_str().to_owned()))
    .sql(" ORDER BY e.id");
    let events: Vec<ModelEvent> = conn
        .load(&query)
        .context(|| "reading the event journal (stale-catalogue guard)".into())?;
    let mut last = LastEvents::default();
    for event in events {
        let key = (event.provider.clone(), event.name.clone());
        let map = if event.action == "deprecated" {
            &mut last.deprecated
        } else {
            &mut last.created_or_deleted
        };
        map.insert(key, event);
    }
    Ok(last)
}

/// A rollback: the latest committed run of `environment` applied another
/// catalogue than `digest`, and an earlier one applied `digest`.
fn rollback(
    conn: &mut Conn<'_>,
    digest: &str,
    environment: &str,
) -> Result<Option<PlanWarning>, Error> {
    let dialect = dialect::of(conn.backend());
    let columns = format!(
        "id, environment, catalog_digest, {} AS finished_at",
        dialect.utc_text("finished_at")
    );
    let committed = |query: Query| {
        query
            .bind(Bind::Text(environment.to_owned()))
            .sql(" AND status = ")
            .bind(Bind::Text(RunStatus::Succeeded.as_str().to_owned()))
    };
    let latest = committed(Query::new(format!(
        "SELECT {columns} FROM {RUNS_TABLE} WHERE environment = "
    )))
    .sql(" ORDER BY id DESC LIMIT 1");
    let latest: Vec<Run> = conn
        .load(&latest)
        .context(|| "reading the run ledger (stale-catalogue guard)".into())?;
    let Some(latest) = latest.into_iter().next() else {
        return Ok(None);
    };
    if latest.catalog_digest == digest {
        return Ok(None);
    }
    let earlier = committed(Query::new(format!(
        "SELECT {columns} FROM {RUNS_TABLE} WHERE environment = "
    )))
    .sql(" AND catalog_digest = ")
    .bind(Bind::Text(digest.to_owned()))
    .sql(" ORDER BY id DESC LIMIT 1");
    let earlier: Vec<Run> = conn
        .load(&earlier)
        .context(|| "reading the run ledger (stale-catalogue guard)".into())?;
    Ok(earlier
        .into_iter()
        .next()
        .map(|earlier| PlanWarning::Rollback {
            applied_by: earlier.into_ledger_run(),
            superseded_by: latest.into_ledger_run(),
        }))
}
