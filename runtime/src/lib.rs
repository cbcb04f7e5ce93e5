//! Apply an llm-lifecycle catalogue to a database.
//!
//! `apply-models` (the binary in the root crate, a few lines over [`cli::main`])
//! makes a PostgreSQL or SQLite database match the catalogue compiled into it:
//!
//! - [`plan()`] computes the full diff ([`Plan`]) and validates it, writing nothing;
//! - [`apply()`] runs it in one transaction under a lock, with set-based SQL,
//!   recording the run in the ledger and every action in the journal;
//! - [`status()`], [`history`], [`migrate`] report on and prepare the database.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use llm_lifecycle_runtime::{ApplyOptions, Database, DatabaseUrl, apply};
//! let catalog = llm_lifecycle_catalog::Catalog::load("models.toml".as_ref())?;
//! let mut db = Database::connect(&DatabaseUrl::parse("llm-models.db")?)?;
//! let report = apply(&mut db, &catalog, &ApplyOptions::default())?;
//! println!("{}", llm_lifecycle_runtime::plan::render::summary(&report.plan));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod apply;
pub mod cli;
mod db;
mod error;
mod introspect;
pub mod ledger;
pub mod notify;
pub mod plan;
pub mod prune;
mod references;
pub mod schema;
mod status;

use llm_lifecycle_catalog::Catalog;

pub use apply::{ApplyOptions, ApplyReport, FailPoint, apply, migrate};
pub use db::{
    ADVISORY_LOCK_KEY, Backend, DEFAULT_SQLITE_FILE, DELIVERY_LOCK_KEY, Database, DatabaseUrl,
    redact,
};
pub use error::Error;
pub use ledger::{AppliedDeletion, RunCounts, RunRecord, applied_deletions, history};
pub use notify::{DeliveryReport, Notice, Notifier, apply_and_notify, deliver};
pub use plan::{Plan, Refusal};
pub use prune::{PruneOptions, PruneReport, prune};
pub use status::{Status, status};

/// Computes the plan for `catalog` against `db` without writing anything (not
/// even the schema: on a database never applied to, the plan creates everything).
///
/// # Errors
/// [`Error::Database`] when the database cannot be read.
pub fn plan(db: &mut Database, catalog: &Catalog) -> Result<Plan, Error> {
    db.read_transaction(|conn| {
        plan::build(conn, catalog, plan::Counting::All).map(|planned| planned.plan)
    })
}
