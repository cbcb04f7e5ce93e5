//! Whether each environment has applied each deletion, and since when.
//!
//! An environment has applied a deletion when its journal records it (a
//! committed run deleted the global row: the run's finish time is the date), or
//! when the model row is absent and no reference points at it. The second check
//! is the planner's: a deleted entry absent from the plan's deletions and
//! reference updates is done (grouped counts, no referencing row is loaded).
//! An environment that cannot be read is reported, never taken as applied.

use std::collections::HashMap;

use llm_lifecycle_catalog::Catalog;
use serde::Serialize;

use crate::db::{Database, DatabaseUrl};
use crate::plan::{ModelId, Plan, Reason};

/// A database to check, by the name it is shown under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// The name shown in the table (`prod`, `staging`…).
    pub name: String,
    /// Where it lives.
    pub url: DatabaseUrl,
}

/// One environment's view of one deleted entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EntryStatus {
    /// The deletion is done here.
    Applied {
        /// When the run that deleted the row finished (database clock, as
        /// text); `None` when the row was simply absent.
        since: Option<String>,
        /// `journal` (a run deleted the row) or `absent` (no row, no reference).
        evidence: &'static str,
    },
    /// The deletion has not run here yet.
    Pending {
        /// What is still there (`row present`, `3 reference(s)`, `never applied`).
        reason: String,
    },
    /// The environment could not be read: nothing is known.
    Unreachable,
}

/// What an environment said, overall and per entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentReport {
    /// Its name.
    pub name: String,
    /// Its location, password redacted.
    pub location: String,
    /// Why it could not be read (password redacted); `None` when it was.
    pub error: Option<String>,
    /// The status of each deleted entry, in the report's entry order.
    #[serde(skip)]
    pub(crate) statuses: Vec<EntryStatus>,
}

impl EnvironmentReport {
    /// Whether it could be read.
    #[must_use]
    pub fn is_reachable(&self) -> bool {
        self.error.is_none()
    }
}

/// Reads `environment` and tells, for each of `entries`, whether it applied the deletion.
pub(crate) fn inspect(
    environment: &Environment,
    catalog: &Catalog,
    entries: &[ModelId],
) -> EnvironmentReport {
    let mut report = EnvironmentReport {
        name: environment.name.clone(),
        location: environment.url.to_string(),
        error: None,
        statuses: Vec::new(),
    };
    match read(&environment.url, catalog) {
        Ok((journal, plan)) => {
            report.statuses = entries
                .iter()
                .map(|entry| status(entry, &journal, &plan))
                .collect();
        }
        Err(error) => {
            report.error = Some(environment.url.scrub(&error));
            report.statuses = vec![EntryStatus::Unreachable; entries.len()];
        }
    }
    report
}

/// When each deletion was journaled (the earliest committed run), and the plan.
fn read(
    url: &DatabaseUrl,
    catalog: &Catalog,
) -> Result<(HashMap<ModelId, Option<String>>, Plan), String> {
    // Read-only: a SQLite file that does not exist is an error, never created.
    let mut db = Database::connect_read_only(url).map_err(|e| e.to_string())?;
    let mut journal: HashMap<ModelId, Option<String>> = HashMap::new();
    for deletion in crate::ledger::applied_deletions(&mut db).map_err(|e| e.to_string())? {
        journal
            .entry(ModelId::new(deletion.provider, deletion.name))
            .or_insert(deletion.finished_at);
    }
    let plan = crate::plan(&mut db, catalog).map_err(|e| e.to_string())?;
    Ok((journal, plan))
}

fn status(entry: &ModelId, journal: &HashMap<ModelId, Option<String>>, plan: &Plan) -> EntryStatus {
    if let Some(finished_at) = journal.get(entry) {
        return EntryStatus::Applied {
            since: finished_at.clone(),
            evidence: "journal",
        };
    }
    if !plan.schema_present {
        return EntryStatus::Pending {
            reason: "never applied".into(),
        };
    }
    if plan
        .deletions
        .iter()
        .any(|deletion| &deletion.model == entry)
    {
        return EntryStatus::Pending {
            reason: "row present".into(),
        };
    }
    let references: u64 = plan
        .reference_updates
        .iter()
        .filter(|update| {
            matches!(update.reason, Reason::Delete | Reason::Stale) && &update.from == entry
        })
        .map(|update| update.rows)
        .sum();
    if references > 0 {
        return EntryStatus::Pending {
            reason: format!("{references} reference(s)"),
        };
    }
    EntryStatus::Applied {
        since: None,
        evidence: "absent",
    }
}
