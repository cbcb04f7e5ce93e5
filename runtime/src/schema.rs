//! The runtime's own schema (`llm_provider_models`, the run ledger, the event
//! journal) as embedded diesel migrations, one set per backend.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::db::Conn;
use crate::db::redact;
use crate::error::{Error, one_line};

/// The runtime's notifications table.
pub const NOTIFICATIONS_TABLE: &str = "llm_model_notifications";
/// One row per user per notification, when `recipients_query` is set.
pub const RECIPIENTS_TABLE: &str = "llm_model_notification_recipients";
/// What each `Notifier` (by name) has been handed.
pub const DELIVERIES_TABLE: &str = "llm_model_notification_deliveries";

/// Migrations for PostgreSQL (`runtime/migrations/postgres`).
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// Migrations for MySQL / MariaDB (`runtime/migrations/mysql`). MySQL commits
/// every DDL statement on its own, so they run before the apply transaction,
/// under the deploy lock (see `Database::locked_session`).
#[cfg(feature = "mysql")]
pub(crate) const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");
/// Migrations for SQLite (`runtime/migrations/sqlite`).
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Runs the migrations not yet applied; the versions it applied, oldest first.
pub(crate) fn run_pending(conn: &mut Conn<'_>) -> Result<Vec<String>, Error> {
    let applied = match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        #[cfg(feature = "mysql")]
        Conn::Mysql(c) => c
            .run_pending_migrations(MYSQL_MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
    };
    let applied: Vec<String> = applied.map_err(|e| Error::Migration {
        reason: one_line(&redact(&e.to_string())),
    })?;
    for version in &applied {
        tracing::info!(version, "applied schema migration");
    }
    Ok(applied)
}
