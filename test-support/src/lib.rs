//! Throwaway databases for tests: each [`TestDb`] is a database of its own,
//! removed when dropped.
//!
//! - SQLite: a file in a fresh temporary directory.
//! - PostgreSQL: `CREATE DATABASE` with a unique name on the server at
//!   `LLM_LIFECYCLE_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/postgres`,
//!   trust auth). When that server is unreachable, a throwaway cluster is started
//!   from the installed `initdb`/`pg_ctl` once per test process. When neither
//!   works the test panics under `CI=true` and is otherwise skipped with a loud
//!   message on stderr.
//!
//! [`backend_tests!`] runs scenario functions on both backends.
#![forbid(unsafe_code)]

mod cluster;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl};

/// The server tests use unless `LLM_LIFECYCLE_TEST_PG` names another.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which engine a [`TestDb`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A database on a PostgreSQL server.
    Postgres,
}

/// A database of its own for one test, dropped with it.
#[derive(Debug)]
pub struct TestDb {
    backend: Backend,
    url: String,
    dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A fresh SQLite database file in its own temporary directory.
    ///
    /// # Panics
    /// When no temporary directory can be created.
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for the test database");
        let url = dir.path().join("test.db").to_string_lossy().into_owned();
        Self {
            backend: Backend::Sqlite,
            url,
            dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (after a loud message) when no
    /// server can be reached or started outside CI.
    ///
    /// # Panics
    /// Under `CI=true` when no server is available; when `CREATE DATABASE` fails.
    #[must_use]
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn postgres() -> Option<Self> {
        let Some(admin) = admin_url() else {
            let message = "PostgreSQL unavailable: no server at LLM_LIFECYCLE_TEST_PG / 127.0.0.1:5432 \
                           and no throwaway cluster could be started";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{message}");
            }
            eprintln!("SKIPPED (loudly): {message}; this PostgreSQL test did not run");
            return None;
        };
        let name = format!(
            "llm_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default()
        );
        let mut conn =
            PgConnection::establish(&admin).expect("connect to the PostgreSQL test server");
        conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("CREATE DATABASE for the test");
        let url = with_database(&admin, &name);
        Some(Self {
            backend: Backend::Postgres,
            url,
            dir: None,
            postgres: Some((admin, name)),
        })
    }

    /// The engine.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The location to hand to the code under test (a URL or a file path).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The temporary directory of a SQLite database.
    #[must_use]
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(tempfile::TempDir::path)
    }

    /// Runs SQL statements (DDL, inserts) on a connection of their own.
    ///
    /// # Panics
    /// When they fail: test fixtures are expected to be valid.
    #[allow(clippy::panic)]
    pub fn execute(&self, sql: &str) {
        let result = match self.backend {
            Backend::Sqlite => SqliteConnection::establish(&self.url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(sql).map_err(|e| e.to_string())),
            Backend::Postgres => PgConnection::establish(&self.url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(sql).map_err(|e| e.to_string())),
        };
        if let Err(e) = result {
            panic!("test SQL failed on {:?}: {e}\n{sql}", self.backend);
        }
    }

    /// Runs a query whose single column is named `v` (cast it to text) and
    /// returns its values.
    ///
    /// # Panics
    /// When the query fails.
    #[allow(clippy::panic)]
    #[must_use]
    pub fn strings(&self, sql: &str) -> Vec<Option<String>> {
        let result: Result<Vec<Value>, String> = match self.backend {
            Backend::Sqlite => SqliteConnection::establish(&self.url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    diesel::sql_query(sql)
                        .load(&mut c)
                        .map_err(|e| e.to_string())
                }),
            Backend::Postgres => PgConnection::establish(&self.url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    diesel::sql_query(sql)
                        .load(&mut c)
                        .map_err(|e| e.to_string())
                }),
        };
        match result {
            Ok(values) => values.into_iter().map(|value| value.v).collect(),
            Err(e) => panic!("test query failed on {:?}: {e}\n{sql}", self.backend),
        }
    }

    /// Like [`strings`](Self::strings), for a query expected to return one non-null value.
    ///
    /// # Panics
    /// When the query fails or does not return exactly one non-null value.
    #[allow(clippy::panic)]
    #[must_use]
    pub fn string(&self, sql: &str) -> String {
        match self.strings(sql).as_slice() {
            [Some(value)] => value.clone(),
            other => panic!("expected one value from `{sql}`, got {other:?}"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres {
            let dropped = PgConnection::establish(admin)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = dropped {
                eprintln!("could not drop test database {name}: {e}");
            }
        }
    }
}

/// `admin` with its database replaced by `name`.
fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// The admin URL of a reachable server, found or started once per process.
fn admin_url() -> Option<String> {
    static ADMIN: OnceLock<Option<String>> = OnceLock::new();
    ADMIN
        .get_or_init(|| {
            let configured = std::env::var("LLM_LIFECYCLE_TEST_PG")
                .unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
            if PgConnection::establish(&configured).is_ok() {
                return Some(configured);
            }
            eprintln!("no PostgreSQL server at {configured}; starting a throwaway cluster");
            match cluster::start() {
                Ok(url) => Some(url),
                Err(e) => {
                    eprintln!("could not start a throwaway PostgreSQL cluster: {e}");
                    None
                }
            }
        })
        .clone()
}

/// Defines one `#[test]` per scenario function and backend: `sqlite::NAME` and
/// `postgres::NAME`, each calling `NAME(&TestDb)` on a database of its own.
/// Prefix the list with `GROUP:` to nest them in `mod GROUP` (so a file can
/// invoke the macro more than once): `GROUP::sqlite::NAME`.
///
/// ```ignore
/// fn creates_models(db: &TestDb) { /* … */ }
/// llm_lifecycle_test_support::backend_tests!(creates_models);
/// llm_lifecycle_test_support::backend_tests!(rendering: renders_plans, renders_history);
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($group:ident : $($name:ident),* $(,)?) => {
        mod $group {
            mod sqlite {
                $(
                    #[test]
                    fn $name() {
                        super::super::$name(&$crate::TestDb::sqlite());
                    }
                )*
            }
            mod postgres {
                $(
                    #[test]
                    fn $name() {
                        if let Some(db) = $crate::TestDb::postgres() {
                            super::super::$name(&db);
                        }
                    }
                )*
            }
        }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&$crate::TestDb::sqlite());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(db) = $crate::TestDb::postgres() {
                        super::$name(&db);
                    }
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn admin_url_gets_the_test_database() {
        assert_eq!(
            with_database("postgres://postgres@h:5432/postgres", "x"),
            "postgres://postgres@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
