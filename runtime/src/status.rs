//! `status`: how far the database is from the catalogue, and when it last converged.

use llm_lifecycle_catalog::Catalog;
use serde::Serialize;

use crate::db::{Backend, Database};
use crate::error::Error;
use crate::ledger::{self, RunRecord};
use crate::plan::{Plan, PlanOptions};

/// Drift between the catalogue and the database.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The engine.
    pub backend: Backend,
    /// Whether the runtime's schema exists.
    pub schema_present: bool,
    /// Digest of the catalogue compiled into this binary.
    pub catalog_digest: String,
    /// The last run that committed in this environment.
    pub last_run: Option<RunRecord>,
    /// Whether that run applied this very catalogue.
    pub last_run_matches_catalog: bool,
    /// What an apply would do now.
    pub plan: Plan,
}

impl Status {
    /// `true` when an apply would change nothing.
    #[must_use]
    pub fn in_sync(&self) -> bool {
        self.plan.is_noop() && !self.plan.is_refused()
    }
}

/// Computes the status of `db` for `environment`. Reads only.
///
/// # Errors
/// [`Error::Database`] when the database cannot be read.
pub fn status(
    db: &mut Database<'_>,
    catalog: &Catalog,
    environment: &str,
) -> Result<Status, Error> {
    let options = PlanOptions {
        environment: environment.to_owned(),
        ..PlanOptions::default()
    };
    status_with(db, catalog, &options)
}

/// [`status`] for `options.environment`, its plan computed with `options`
/// (sunsets counted from `options.today`).
///
/// # Errors
/// [`Error::Database`] when the database cannot be read.
pub fn status_with(
    db: &mut Database<'_>,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Status, Error> {
    let plan = crate::plan::plan_with(db, catalog, options)?;
    let last_run = ledger::last_successful_run(db, &options.environment)?;
    let catalog_digest = catalog.digest();
    Ok(Status {
        backend: db.backend(),
        schema_present: plan.schema_present,
        last_run_matches_catalog: last_run
            .as_ref()
            .is_some_and(|run| run.catalog_digest == catalog_digest),
        catalog_digest,
        last_run,
        plan,
    })
}
