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

// Layers, bottom to top; a module imports only from its own layer or below
// (checked by `tests/layers.rs`):
// 0. leaves: `backend`, `redact`, `diff`, `hooks`, `error`;
// 1. `db`: connections, queries, the SQL lexer;
// 2. `schema`, `introspect`, `references`, `recipients_sql`, `ledger`;
// 3. `plan`: diff, checks, affected resources for notices, rendering;
// 4. `apply`: the locked transaction, notices stored in it;
// 5. `notify` (delivery after commit), `status`;
// 6. `prune`;
// 7. `cli`.
pub mod apply;
mod backend;
pub mod cli;
mod db;
mod diff;
mod error;
mod hooks;
mod introspect;
pub mod ledger;
pub mod notify;
pub mod plan;
pub mod prune;
mod recipients_sql;
mod redact;
mod references;
pub mod schema;
mod status;

pub use apply::{ApplyOptions, ApplyReport, FailPoint, apply, migrate};
/// Test hook: the key of the PostgreSQL advisory lock every apply holds, so a
/// test can hold it from another connection (cargo feature `test-hooks`).
#[cfg(feature = "test-hooks")]
pub use db::ADVISORY_LOCK_KEY;
pub use db::{Backend, DEFAULT_SQLITE_FILE, Database, DatabaseUrl, redact};
pub use error::{DriverError, Error};
pub use ledger::{AppliedDeletion, RunCounts, RunRecord, applied_deletions, history};
pub use notify::{DeliveryReport, Notice, Notifier, apply_and_notify, deliver};
pub use plan::{Plan, Refusal, plan};
pub use prune::{PruneOptions, PruneReport, prune};
pub use status::{Status, status};

#[cfg(test)]
mod layers;
