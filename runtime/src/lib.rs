#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// Layers, bottom to top; a module imports only from its own layer or below
// (checked by `tests/layers.rs`):
// 0. leaves: `backend`, `redact`, `diff`, `hooks`, `error`;
// 1. `db`: connections, queries, the SQL lexer;
// 2. `schema`, `introspect`, `references`, `recipients_sql`, `ledger`, `model_table`;
// 3. `plan`: diff, checks, affected resources for notices, rendering;
// 4. `apply`: the locked transaction, notices stored in it;
// 5. `notify` (delivery after commit), `status`, `sunset` (`check`);
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
mod model_table;
pub mod notify;
pub mod plan;
pub mod prune;
mod recipients_sql;
mod redact;
mod references;
pub mod schema;
mod status;
mod sunset;

pub use apply::{ApplyOptions, ApplyReport, FailPoint, apply, migrate, migrate_with};
/// Test hook: the key of the PostgreSQL advisory lock every apply holds, so a
/// test can hold it from another connection (cargo feature `test-hooks`).
#[cfg(feature = "test-hooks")]
pub use db::ADVISORY_LOCK_KEY;
#[cfg(feature = "mysql")]
pub use db::MysqlConnection;
pub use db::{Backend, DEFAULT_SQLITE_FILE, Database, DatabaseUrl, Timeouts, redact};
#[cfg(feature = "postgres")]
pub use db::{PgConnection, SharedRuntime};
pub use error::{DriverError, Error};
/// Test hook: what runs between batches, or folds (cargo feature `test-hooks`).
#[cfg(feature = "test-hooks")]
pub use hooks::Between;
pub use ledger::{AppliedDeletion, RunCounts, RunRecord, applied_deletions, history};
pub use notify::{DeliveryReport, Notice, Notifier, apply_and_notify, deliver};
pub use plan::{LedgerRun, Plan, PlanOptions, PlanWarning, Refusal, Sunset, plan, plan_with};
pub use prune::{PruneOptions, PruneReport, prune};
pub use status::{Status, status, status_with};
pub use sunset::{PastDue, SunsetCheck, check};

#[cfg(test)]
mod layers;
