//! The application's own diesel migrations (`migrations/<engine>/`), run by
//! diesel's own harness and recorded in diesel's `__diesel_schema_migrations`.
//! llm-lifecycle records its own schema versions apart, in
//! `llm_lifecycle_schema_migrations`, so this harness never sees them: revert,
//! redo and list keep working after an apply.

use diesel::migration::{MigrationVersion, Result};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::AppConnection;

/// The PostgreSQL migrations.
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// The MySQL / MariaDB migrations.
pub const MYSQL: EmbeddedMigrations = embed_migrations!("migrations/mysql");
/// The SQLite migrations.
pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Runs `$body` with `$harness` bound to the engine's connection and
/// `$source` to its migrations.
macro_rules! with_migrations {
    ($app:expr, |$harness:ident, $source:ident| $body:expr) => {
        match $app {
            AppConnection::Postgres($harness) => {
                let $source = POSTGRES;
                $body
            }
            AppConnection::Mysql($harness) => {
                let $source = MYSQL;
                $body
            }
            AppConnection::Sqlite($harness) => {
                let $source = SQLITE;
                $body
            }
        }
    };
}

/// Runs every pending migration; the versions run, oldest first.
///
/// # Errors
/// diesel's, when a migration fails (that migration is rolled back).
pub fn run_pending(conn: &mut AppConnection) -> Result<Vec<String>> {
    with_migrations!(conn, |harness, source| harness
        .run_pending_migrations(source)
        .map(|versions| names(&versions)))
}

/// Reverts the newest applied migration (what `diesel migration revert`
/// does); its version.
///
/// # Errors
/// diesel's, when nothing is applied or the down migration fails.
pub fn revert_last(conn: &mut AppConnection) -> Result<String> {
    with_migrations!(conn, |harness, source| harness
        .revert_last_migration(source)
        .map(|version| version.to_string()))
}

/// The applied versions, as diesel's harness lists them.
///
/// # Errors
/// diesel's, when the migrations table cannot be read.
pub fn applied(conn: &mut AppConnection) -> Result<Vec<String>> {
    with_migrations!(conn, |harness, _source| harness
        .applied_migrations()
        .map(|versions| names(&versions)))
}

fn names(versions: &[MigrationVersion<'_>]) -> Vec<String> {
    versions.iter().map(ToString::to_string).collect()
}
