//! Throwaway databases for tests: each [`TestDb`] is a database of its own,
//! removed when dropped.
//!
//! - SQLite: a file in a fresh temporary directory.
//! - PostgreSQL: `CREATE DATABASE` with a unique name on the server at
//!   `LLM_LIFECYCLE_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/postgres`,
//!   trust auth). When that server is unreachable, a throwaway cluster is started
//!   from the installed `initdb`/`pg_ctl` once per test process. When neither
//!   works the test panics under `CI=true` and is otherwise skipped with a loud
//!   message on stderr. With `LLM_LIFECYCLE_TEST_PGBOUNCER=transaction` (or
//!   `session`) the database is still created on the server, but its URL goes
//!   through a PgBouncer in that pool mode (see [`pgbouncer`]).
//! - MariaDB/MySQL: `CREATE DATABASE` with a unique name on the server at
//!   `LLM_LIFECYCLE_TEST_MYSQL` (default `mysql://root@127.0.0.1:3306/mysql`,
//!   root without a password), else on a throwaway `mariadbd` started once per
//!   test process; the same rule when neither works. Connections are pure Rust
//!   (diesel-async's `mysql_async` behind its synchronous wrapper), see
//!   [`MysqlConnection`].
//!
//! [`backend_tests!`] runs scenario functions on every backend (MySQL only when
//! this crate is built with its `mysql` feature).
#![forbid(unsafe_code)]

mod cluster;
pub mod django;
mod mariadb;
pub mod pgbouncer;
mod tls;

pub use mariadb::{DEFAULT_MYSQL_ADMIN_URL, MysqlConnection};
pub use tls::{TlsMariadb, TlsPostgres, tls_mariadb, tls_postgres};

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use diesel::connection::SimpleConnection;
/// A PostgreSQL connection in pure Rust (tokio-postgres behind diesel-async's
/// synchronous wrapper), like the runtime's: no libpq.
pub type PgConnection =
    diesel_async::async_connection_wrapper::AsyncConnectionWrapper<diesel_async::AsyncPgConnection>;
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
    /// A database on a MariaDB or MySQL server.
    Mysql,
}

impl Backend {
    /// The engine's SQL for `expr` cast to text: `CAST(expr AS TEXT)`, on
    /// MySQL `CAST(expr AS CHAR)` (MySQL has no `TEXT` cast target and
    /// PostgreSQL's `CHAR` is one character).
    #[must_use]
    pub fn text_cast(self, expr: &str) -> String {
        match self {
            Self::Sqlite | Self::Postgres => format!("CAST({expr} AS TEXT)"),
            Self::Mysql => format!("CAST({expr} AS CHAR)"),
        }
    }

    /// The engine's SQL concatenating the SQL expressions `parts`: `a || b`, on
    /// MySQL `CONCAT(a, b)` (`||` is `OR` there). NULL when any part is NULL,
    /// on every engine.
    #[must_use]
    pub fn concat(self, parts: &[&str]) -> String {
        match self {
            Self::Sqlite | Self::Postgres => parts.join(" || "),
            Self::Mysql => format!("CONCAT({})", parts.join(", ")),
        }
    }

    /// `ident` quoted as an identifier: `"ident"`, on MySQL `` `ident` ``.
    #[must_use]
    pub fn quote(self, ident: &str) -> String {
        match self {
            Self::Sqlite | Self::Postgres => format!("\"{}\"", ident.replace('"', "\"\"")),
            Self::Mysql => format!("`{}`", ident.replace('`', "``")),
        }
    }
}

/// A database of its own for one test, dropped with it.
#[derive(Debug)]
pub struct TestDb {
    backend: Backend,
    url: String,
    dir: Option<tempfile::TempDir>,
    /// The admin URL of the server and this test's database on it.
    server: Option<(String, String)>,
    /// MySQL users created for this database ([`TestDb::mysql_user`]).
    users: Mutex<Vec<String>>,
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
            server: None,
            users: Mutex::default(),
        }
    }

    /// A fresh PostgreSQL database, or `None` (after a loud message) when no
    /// server can be reached or started outside CI. Under
    /// `LLM_LIFECYCLE_TEST_PGBOUNCER`, its [`url`](Self::url) goes through
    /// PgBouncer ([`pgbouncer`]); the fixtures ([`execute`](Self::execute),
    /// [`strings`](Self::strings)) still talk to the server directly.
    ///
    /// # Panics
    /// Under `CI=true` when no server (or the PgBouncer asked for) is
    /// available; when `CREATE DATABASE` fails.
    #[must_use]
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn postgres() -> Option<Self> {
        let Some(admin) = admin_url() else {
            return unavailable(
                "PostgreSQL",
                "no server at LLM_LIFECYCLE_TEST_PG / 127.0.0.1:5432 \
                 and no throwaway cluster could be started",
            );
        };
        let bouncer = match pgbouncer::requested().map(pgbouncer::shared) {
            None => None,
            Some(Ok(bouncer)) => Some(bouncer),
            Some(Err(why)) => {
                return unavailable(
                    "PgBouncer",
                    &format!("LLM_LIFECYCLE_TEST_PGBOUNCER is set but: {why}"),
                );
            }
        };
        let mut db = Self::on_server(Backend::Postgres, admin, |admin, name| {
            let mut conn =
                PgConnection::establish(admin).expect("connect to the PostgreSQL test server");
            conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .expect("CREATE DATABASE for the test");
        });
        if let (Some(bouncer), Some((_, name))) = (bouncer, &db.server) {
            db.url = bouncer.url_of(name);
        }
        Some(db)
    }

    /// The URL of this database on its server itself (not through PgBouncer).
    #[must_use]
    pub fn direct_url(&self) -> String {
        match &self.server {
            Some((admin, name)) => with_database(admin, name),
            None => self.url.clone(),
        }
    }

    /// A database of a unique name on the server at `admin`, made by `create`
    /// (given the admin URL and the name), dropped with the value.
    pub(crate) fn on_server(
        backend: Backend,
        admin: String,
        create: impl FnOnce(&str, &str),
    ) -> Self {
        let name = unique_name("llm_test");
        create(&admin, &name);
        Self {
            backend,
            url: with_database(&admin, &name),
            dir: None,
            server: Some((admin, name)),
            users: Mutex::default(),
        }
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

    /// The name of this test's database on its server (PostgreSQL, MySQL).
    #[must_use]
    pub fn database_name(&self) -> Option<&str> {
        self.server.as_ref().map(|(_, name)| name.as_str())
    }

    /// [`Backend::text_cast`] of this database's engine.
    #[must_use]
    pub fn text_cast(&self, expr: &str) -> String {
        self.backend.text_cast(expr)
    }

    /// [`Backend::concat`] of this database's engine.
    #[must_use]
    pub fn concat(&self, parts: &[&str]) -> String {
        self.backend.concat(parts)
    }

    /// [`Backend::quote`] of this database's engine.
    #[must_use]
    pub fn quote(&self, ident: &str) -> String {
        self.backend.quote(ident)
    }

    /// Runs SQL statements (DDL, inserts) on a connection of their own.
    ///
    /// # Panics
    /// When they fail: test fixtures are expected to be valid.
    pub fn execute(&self, sql: &str) {
        self.handle().execute(sql);
    }

    /// Runs a query whose single column is named `v` (cast it to text) and
    /// returns its values.
    ///
    /// # Panics
    /// When the query fails.
    #[must_use]
    pub fn strings(&self, sql: &str) -> Vec<Option<String>> {
        self.handle().strings(sql)
    }

    /// Like [`strings`](Self::strings), for a query expected to return one non-null value.
    ///
    /// # Panics
    /// When the query fails or does not return exactly one non-null value.
    #[must_use]
    pub fn string(&self, sql: &str) -> String {
        self.handle().string(sql)
    }

    /// What runs SQL on this database from anywhere, a hook of the code
    /// under test say (`'static`, `Send`): it does not own the database,
    /// which lives as long as this value.
    #[must_use]
    pub fn handle(&self) -> Handle {
        Handle {
            backend: self.backend,
            url: self.url.clone(),
            direct_url: self.direct_url(),
        }
    }
}

/// Runs SQL on a test database, each call on a connection of its own
/// ([`TestDb::handle`]).
#[derive(Debug, Clone)]
pub struct Handle {
    backend: Backend,
    url: String,
    direct_url: String,
}

impl Handle {
    /// The engine.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
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
            Backend::Postgres => PgConnection::establish(&self.direct_url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(sql).map_err(|e| e.to_string())),
            Backend::Mysql => mariadb::execute(&self.url, sql),
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
            Backend::Postgres => PgConnection::establish(&self.direct_url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    diesel::sql_query(sql)
                        .load(&mut c)
                        .map_err(|e| e.to_string())
                }),
            Backend::Mysql => MysqlConnection::establish(&self.url)
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
        let Some((admin, name)) = &self.server else {
            return;
        };
        let dropped = match self.backend {
            Backend::Sqlite => Ok(()),
            Backend::Postgres => PgConnection::establish(admin)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .map_err(|e| e.to_string())
                }),
            Backend::Mysql => {
                let users = std::mem::take(
                    &mut *self
                        .users
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                mariadb::drop_database(admin, name, &users)
            }
        };
        if let Err(e) = dropped {
            eprintln!("could not drop test database {name}: {e}");
        }
    }
}

/// `None` after a loud message, or a panic under `CI=true`: `engine` has no
/// server to run this test on.
#[allow(clippy::panic)]
fn unavailable<T>(engine: &str, why: &str) -> Option<T> {
    let message = format!("{engine} unavailable: {why}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}");
    }
    eprintln!("SKIPPED (loudly): {message}; this {engine} test did not run");
    None
}

/// `PREFIX_<pid>_<counter>_<nanos>`: unique on a server shared by test processes.
fn unique_name(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default()
    )
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

/// Defines one `#[test]` per scenario function and backend: `sqlite::NAME`,
/// `postgres::NAME` and, when this crate is built with its `mysql` feature,
/// `mysql::NAME`, each calling `NAME(&TestDb)` on a database of its own.
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
            $crate::__backend_tests_mysql!(nested: $($name),*);
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
        $crate::__backend_tests_mysql!($($name),*);
    };
}

/// The `mysql` module of [`backend_tests!`]. Two definitions, chosen by this
/// crate's `mysql` feature: a `#[cfg(feature = "mysql")]` inside the expansion
/// of `backend_tests!` would test the feature of the calling crate instead.
#[cfg(feature = "mysql")]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_tests_mysql {
    (nested: $($name:ident),*) => {
        mod mysql {
            $(
                #[test]
                fn $name() {
                    if let Some(db) = $crate::TestDb::mysql() {
                        super::super::$name(&db);
                    }
                }
            )*
        }
    };
    ($($name:ident),*) => {
        mod mysql {
            $(
                #[test]
                fn $name() {
                    if let Some(db) = $crate::TestDb::mysql() {
                        super::$name(&db);
                    }
                }
            )*
        }
    };
}

/// Without the `mysql` feature: no `mysql` module (see the definition above).
#[cfg(not(feature = "mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_tests_mysql {
    ($($tokens:tt)*) => {};
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
