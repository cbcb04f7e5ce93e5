//! The two servers the bench runs on, and one connection type for the bench's
//! own SQL on either: PostgreSQL through the runtime's `PgConnection` (tokio-postgres
//! under diesel-async's synchronous wrapper, the driver the runtime uses), MariaDB (or
//! MySQL) through the runtime's `MysqlConnection` (mysql_async under
//! diesel-async's synchronous wrapper, no C client).

use anyhow::{Context, Result, bail};
use diesel::connection::SimpleConnection;
use diesel::mysql::Mysql;
use diesel::pg::Pg;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use llm_lifecycle_runtime::{MysqlConnection, PgConnection};

/// The server the data set lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Engine {
    /// PostgreSQL (`postgres://`, the default).
    Postgres,
    /// MariaDB 10.11 or MySQL 8 (`mysql://` or `mariadb://`).
    Mariadb,
}

/// The admin URL used when neither `--admin-url` nor the engine's variable is set.
const DEFAULT_PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_MYSQL_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306/mysql";

/// The session settings the runtime's MySQL connections use, so the bench's
/// hand-written SQL runs under the same `sql_mode` (double-quoted
/// identifiers, `||` concatenates).
const MYSQL_SQL_MODE: &str = "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION,\
     ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,ANSI_QUOTES,PIPES_AS_CONCAT'";

impl Engine {
    /// The engine a URL names by its scheme.
    pub(crate) fn of_url(url: &str) -> Result<Self> {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if lower.starts_with("mysql://") || lower.starts_with("mariadb://") {
            Ok(Self::Mariadb)
        } else {
            bail!(
                "--admin-url must be a postgres:// or mysql:// URL, not {}",
                llm_lifecycle_runtime::redact(url)
            )
        }
    }

    /// The admin URL for this engine when none is given: the variable the
    /// test suites read (`LLM_LIFECYCLE_TEST_PG` / `LLM_LIFECYCLE_TEST_MYSQL`),
    /// else the local default server.
    pub(crate) fn default_admin_url(self) -> String {
        let (variable, default) = match self {
            Self::Postgres => ("LLM_LIFECYCLE_TEST_PG", DEFAULT_PG_ADMIN_URL),
            Self::Mariadb => ("LLM_LIFECYCLE_TEST_MYSQL", DEFAULT_MYSQL_ADMIN_URL),
        };
        std::env::var(variable)
            .ok()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    /// How the results name the server.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Mariadb => "MariaDB",
        }
    }
}

/// A connection for the bench's own SQL.
// One connection per run, moved rarely: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Conn {
    Pg(PgConnection),
    Mysql(MysqlConnection),
}

impl Conn {
    /// Connects to `url` (the engine chosen by its scheme).
    pub(crate) fn establish(url: &str) -> Result<Self> {
        match Engine::of_url(url)? {
            Engine::Postgres => PgConnection::establish(url)
                .map(Self::Pg)
                .with_context(|| format!("connecting to {url}")),
            Engine::Mariadb => {
                // mysql_async reads `mysql://` only; `mariadb://` means the same.
                let url = match url.split_once("://") {
                    Some((_, rest)) => format!("mysql://{rest}"),
                    None => url.to_owned(),
                };
                let mut conn = MysqlConnection::establish(&url)
                    .with_context(|| format!("connecting to {url}"))?;
                conn.batch_execute(MYSQL_SQL_MODE)
                    .context("setting the session's sql_mode")?;
                Ok(Self::Mysql(conn))
            }
        }
    }

    /// The engine this connection talks to.
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Self::Pg(_) => Engine::Postgres,
            Self::Mysql(_) => Engine::Mariadb,
        }
    }

    /// Runs one or more statements, no results.
    pub(crate) fn batch(&mut self, sql: &str) -> diesel::QueryResult<()> {
        match self {
            Self::Pg(conn) => conn.batch_execute(sql),
            Self::Mysql(conn) => conn.batch_execute(sql),
        }
    }

    /// Runs one statement; the rows it affected.
    pub(crate) fn execute(&mut self, sql: &str) -> diesel::QueryResult<usize> {
        match self {
            Self::Pg(conn) => diesel::sql_query(sql).execute(conn),
            Self::Mysql(conn) => diesel::sql_query(sql).execute(conn),
        }
    }

    /// Runs one query; its rows.
    pub(crate) fn load<T>(&mut self, sql: &str) -> diesel::QueryResult<Vec<T>>
    where
        T: QueryableByName<Pg> + QueryableByName<Mysql> + 'static,
    {
        match self {
            Self::Pg(conn) => diesel::sql_query(sql).load(conn),
            Self::Mysql(conn) => diesel::sql_query(sql).load(conn),
        }
    }

    /// Runs one query; its only row.
    pub(crate) fn get<T>(&mut self, sql: &str) -> diesel::QueryResult<T>
    where
        T: QueryableByName<Pg> + QueryableByName<Mysql> + 'static,
    {
        match self {
            Self::Pg(conn) => diesel::sql_query(sql).get_result(conn),
            Self::Mysql(conn) => diesel::sql_query(sql).get_result(conn),
        }
    }

    /// Runs `work` in one transaction: committed when it succeeds, rolled back
    /// when it fails (the statements diesel's transaction manager sends).
    pub(crate) fn transaction<T>(
        &mut self,
        work: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        self.batch("BEGIN")?;
        match work(self) {
            Ok(value) => {
                self.batch("COMMIT")?;
                Ok(value)
            }
            Err(error) => {
                // The work's error is the one worth reporting.
                let _ = self.batch("ROLLBACK");
                Err(error)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Engine;

    #[test]
    fn the_scheme_picks_the_engine() {
        assert_eq!(
            Engine::of_url("postgres://postgres@127.0.0.1:5432/postgres").unwrap(),
            Engine::Postgres
        );
        assert_eq!(
            Engine::of_url("mysql://root@127.0.0.1:3306/mysql").unwrap(),
            Engine::Mariadb
        );
        assert_eq!(
            Engine::of_url("MariaDB://root@h/db").unwrap(),
            Engine::Mariadb
        );
        let error = Engine::of_url("sqlite://x:secret@h/db")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("secret"), "{error}");
    }
}
