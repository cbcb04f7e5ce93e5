//! The application's database connection: one of the three engines it runs
//! on, each variant the connection type llm-lifecycle's runtime borrows for an
//! in-process apply. The application's diesel code is written once and
//! compiled for each engine by [`on_engine!`](crate::on_engine) (diesel's
//! `MultiConnection` derive does not accept the runtime's pure-Rust
//! PostgreSQL and MySQL connections).

use diesel::{Connection, ConnectionResult, SqliteConnection};
use llm_lifecycle::runtime::{MysqlConnection, PgConnection};

/// A connection to the application's database, on whichever engine it runs.
// One per application thread, held for its lifetime: its size does not
// matter, and a boxed variant would not be a diesel connection in `on_engine!`.
#[allow(clippy::large_enum_variant)]
pub enum AppConnection {
    /// PostgreSQL (llm-lifecycle's pure-Rust connection: no libpq).
    Postgres(PgConnection),
    /// MySQL or MariaDB (pure Rust: no client library).
    Mysql(MysqlConnection),
    /// SQLite (bundled).
    Sqlite(SqliteConnection),
}

/// Opens `url`: `postgres://…` / `postgresql://…`, `mysql://…` /
/// `mariadb://…`, else a SQLite file path (`sqlite://PATH` too).
///
/// # Errors
/// diesel's, when the engine refuses the connection.
pub fn connect(url: &str) -> ConnectionResult<AppConnection> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        PgConnection::establish(url).map(AppConnection::Postgres)
    } else if let Some(rest) = url.strip_prefix("mariadb://") {
        MysqlConnection::establish(&format!("mysql://{rest}")).map(AppConnection::Mysql)
    } else if url.starts_with("mysql://") {
        MysqlConnection::establish(url).map(AppConnection::Mysql)
    } else {
        SqliteConnection::establish(url.strip_prefix("sqlite://").unwrap_or(url))
            .map(AppConnection::Sqlite)
    }
}

/// Runs `$body` with `$conn` bound to the engine's own connection (a
/// `PgConnection`, `MysqlConnection` or `SqliteConnection`): the same diesel
/// code, type-checked for each engine.
#[macro_export]
macro_rules! on_engine {
    ($app:expr, |$conn:ident| $body:expr) => {
        match $app {
            $crate::connection::AppConnection::Postgres($conn) => $body,
            $crate::connection::AppConnection::Mysql($conn) => $body,
            $crate::connection::AppConnection::Sqlite($conn) => $body,
        }
    };
}
