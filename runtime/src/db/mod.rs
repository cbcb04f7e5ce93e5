//! Connections to the three supported backends and the few operations the
//! runtime needs from them: run a statement, load rows, a locked transaction.

pub(crate) mod dialect;
mod held;
pub(crate) mod lex;
#[cfg(feature = "mysql")]
mod mysql_ca;
#[cfg(feature = "postgres")]
mod pg;
pub(crate) mod planner;
mod query;
mod timeouts;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod tokio_runtime;
mod url;

#[cfg(not(any(feature = "postgres", feature = "sqlite", feature = "mysql")))]
compile_error!(
    "llm-lifecycle-runtime needs a backend: enable the `postgres`, `sqlite` or `mysql` feature"
);

use diesel::QueryResult;
#[cfg(any(feature = "sqlite", feature = "mysql"))]
use diesel::connection::SimpleConnection;
#[cfg(feature = "mysql")]
use diesel::mysql::Mysql;
#[cfg(feature = "postgres")]
use diesel::pg::Pg;
use diesel::query_dsl::RunQueryDsl;
#[cfg(feature = "sqlite")]
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{Connection, QueryableByName};

use crate::error::{Context, Error, one_line};
use held::Held;

#[cfg(feature = "postgres")]
pub use pg::{PgConnection, SharedRuntime};
pub(crate) use query::{Bind, Query, quote_ident};
pub use timeouts::Timeouts;
pub(crate) use url::is_keyword_value;
pub use url::{Backend, DEFAULT_SQLITE_FILE, DatabaseUrl, redact};

/// The key of the PostgreSQL advisory lock every apply and migrate holds
/// (`llm_life` in ASCII): two deploys never interleave.
#[cfg_attr(not(feature = "test-hooks"), allow(unreachable_pub))]
pub const ADVISORY_LOCK_KEY: i64 = 0x6c6c_6d5f_6c69_6665;

/// The key of the PostgreSQL advisory lock held while one notification is
/// handed to a sink (`llm_note` in ASCII): two deploys delivering at once never
/// hand the same notice over twice. Distinct from [`ADVISORY_LOCK_KEY`], so a
/// slow sink never holds up an apply.
pub(crate) const DELIVERY_LOCK_KEY: i64 = 0x6c6c_6d5f_6e6f_7465;

/// A MySQL connection: mysql_async (pure Rust) behind diesel-async's
/// synchronous wrapper, which runs each statement on a current-thread tokio
/// runtime of its own.
#[cfg(feature = "mysql")]
pub type MysqlConnection = diesel_async::async_connection_wrapper::AsyncConnectionWrapper<
    diesel_async::AsyncMysqlConnection,
>;

/// How long a MySQL deliverer waits for the delivery lock (`GET_LOCK`)
/// before it gives up; apply and migrate wait as their [`Timeouts`] say.
#[cfg(feature = "mysql")]
const MYSQL_LOCK_TIMEOUT_SECS: u64 = 600;

/// How long a SQLite connection waits for a writer by default (reads,
/// deliveries); apply and migrate wait as their [`Timeouts`] say.
#[cfg(feature = "sqlite")]
const SQLITE_BUSY_TIMEOUT_MS: u32 = 60_000;

/// An open connection to the database being converged, with the settings the
/// runtime relies on (SQLite: foreign keys on, a busy timeout). Opaque: made by
/// [`Database::connect`], [`Database::connect_read_only`], or from a host's own
/// diesel connection by [`Database::from_postgres`] / [`Database::from_sqlite`],
/// which apply the same settings.
///
/// The lifetime is the host connection's a `Database` borrows
/// ([`Database::borrow_postgres`] and its siblings); `'static` when it owns
/// its connection.
pub struct Database<'c>(
    Inner<'c>,
    /// PostgreSQL: every transaction starts `SET TRANSACTION READ ONLY`
    /// ([`Database::connect_read_only`]). Per transaction, not the session's
    /// characteristics: those would stay on a server connection a
    /// transaction pooler then hands to another client. (Read only by the
    /// PostgreSQL driver.)
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    bool,
);

// One connection per `Database`, moved rarely: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Inner<'c> {
    #[cfg(feature = "postgres")]
    Postgres(Held<'c, PgConnection>),
    #[cfg(feature = "sqlite")]
    Sqlite(Held<'c, SqliteConnection>),
    #[cfg(feature = "mysql")]
    Mysql(Held<'c, MysqlConnection>),
}

impl std::fmt::Debug for Database<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Database({})", self.backend())
    }
}

/// A borrowed connection, as handed to the code that runs inside a transaction.
pub(crate) enum Conn<'a> {
    #[cfg(feature = "postgres")]
    Postgres(&'a mut PgConnection),
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut SqliteConnection),
    #[cfg(feature = "mysql")]
    Mysql(&'a mut MysqlConnection),
}

impl Database<'static> {
    /// Opens a connection to `url`.
    ///
    /// # Errors
    /// [`Error::Connect`] when the server cannot be reached, the credentials are
    /// refused or the SQLite file cannot be opened; the message never contains a password.
    pub fn connect(url: &DatabaseUrl) -> Result<Self, Error> {
        match url.backend() {
            Backend::Postgres => Self::connect_postgres(url, false),
            Backend::Sqlite => Self::connect_sqlite(url, &url.connect_string()),
            Backend::Mysql => Self::connect_mysql(url, false),
        }
    }

    /// Opens a connection to `url` that never creates or writes anything: a
    /// SQLite file is opened read-only (`file:…?mode=ro`), every transaction
    /// on PostgreSQL is `READ ONLY` (set per transaction, nothing on the
    /// session: it works through a transaction pooler). For `plan`,
    /// `status`, `history` and prune's reads.
    ///
    /// # Errors
    /// [`Error::NoDatabase`] when `url` is a SQLite file path that does not
    /// exist (it is not created); [`Error::Connect`] as for [`Database::connect`].
    pub fn connect_read_only(url: &DatabaseUrl) -> Result<Self, Error> {
        match url.backend() {
            Backend::Postgres => Self::connect_postgres(url, true),
            Backend::Sqlite => {
                if let Some(file) = url.sqlite_file()
                    && !file.exists()
                {
                    return Err(Error::NoDatabase {
                        url: url.to_string(),
                    });
                }
                Self::connect_sqlite(url, &url.sqlite_read_only_string())
            }
            Backend::Mysql => Self::connect_mysql(url, true),
        }
    }

    /// PostgreSQL; `read_only`: every transaction `READ ONLY` (each says so
    /// itself: nothing is set on the session, which a transaction pooler
    /// would hand on to the next client).
    #[cfg(feature = "postgres")]
    fn connect_postgres(url: &DatabaseUrl, read_only: bool) -> Result<Self, Error> {
        let conn = pg::establish(&url.connect_string()).map_err(|e| connect_error(url, &e))?;
        Ok(Self(Inner::Postgres(Held::Owned(conn)), read_only))
    }

    #[cfg(not(feature = "postgres"))]
    fn connect_postgres(url: &DatabaseUrl, _read_only: bool) -> Result<Self, Error> {
        Err(Error::BackendNotBuilt {
            url: url.to_string(),
            backend: Backend::Postgres,
            feature: "postgres",
        })
    }

    /// MySQL; `read_only`: every transaction of the session `READ ONLY`.
    #[cfg(feature = "mysql")]
    fn connect_mysql(url: &DatabaseUrl, read_only: bool) -> Result<Self, Error> {
        let location = url.mysql_location();
        let first = match &location.ca_file {
            Some(ca_file) => mysql_ca::establish(&location.first, ca_file),
            None => MysqlConnection::establish(&location.first).map_err(|e| e.to_string()),
        };
        let mut conn = match (first, &location.plain) {
            (Ok(conn), _) => conn,
            // `PREFERRED` on a server without TLS: the plain session.
            (Err(e), Some(plain)) if e.contains(NO_TLS_ON_THE_SERVER) => {
                MysqlConnection::establish(plain).map_err(|e| connect_error(url, &e.to_string()))?
            }
            (Err(e), _) if e.contains(NO_TLS_ON_THE_SERVER) => {
                return Err(connect_error(
                    url,
                    &format!(
                        "{e} (the server offers no TLS: enable it there, or connect with \
                         ssl-mode=DISABLED)"
                    ),
                ));
            }
            (Err(e), _) => return Err(connect_error(url, &e)),
        };
        mysql_settings(&mut conn, read_only).map_err(|e| connect_error(url, &e.to_string()))?;
        Ok(Self(Inner::Mysql(Held::Owned(conn)), false))
    }

    #[cfg(not(feature = "mysql"))]
    fn connect_mysql(url: &DatabaseUrl, _read_only: bool) -> Result<Self, Error> {
        Err(Error::BackendNotBuilt {
            url: url.to_string(),
            backend: Backend::Mysql,
            feature: "mysql",
        })
    }

    #[cfg(feature = "sqlite")]
    fn connect_sqlite(url: &DatabaseUrl, open: &str) -> Result<Self, Error> {
        let mut conn =
            SqliteConnection::establish(open).map_err(|e| connect_error(url, &e.to_string()))?;
        sqlite_settings(&mut conn).map_err(|e| connect_error(url, &e.to_string()))?;
        Ok(Self(Inner::Sqlite(Held::Owned(conn)), false))
    }

    #[cfg(not(feature = "sqlite"))]
    fn connect_sqlite(url: &DatabaseUrl, _open: &str) -> Result<Self, Error> {
        Err(Error::BackendNotBuilt {
            url: url.to_string(),
            backend: Backend::Sqlite,
            feature: "sqlite",
        })
    }

    /// Uses a PostgreSQL connection the host already has (from its pool, say).
    /// The runtime's transactions choose their own isolation level and
    /// locks; its prepared-statement cache is turned off, as on the runtime's
    /// own connections (nothing prepared outlives a transaction, for
    /// transaction poolers such as PgBouncer).
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn from_postgres(mut conn: PgConnection) -> Self {
        pg::disable_statement_cache(&mut conn);
        Self(Inner::Postgres(Held::Owned(conn)), false)
    }

    /// Uses a SQLite connection the host already has, with the settings
    /// [`Database::connect`] applies (foreign keys on, a busy timeout).
    ///
    /// # Errors
    /// [`Error::Database`] when SQLite refuses the settings.
    #[cfg(feature = "sqlite")]
    pub fn from_sqlite(mut conn: SqliteConnection) -> Result<Self, Error> {
        sqlite_settings(&mut conn).context(|| "applying the SQLite connection settings".into())?;
        Ok(Self(Inner::Sqlite(Held::Owned(conn)), false))
    }

    /// Uses a MySQL connection the host already has, with the settings
    /// [`Database::connect`] applies: strict SQL mode (a value that does not
    /// fit is an error rather than a silent truncation) and `ANSI_QUOTES` (the
    /// runtime quotes identifiers with double quotes on every engine).
    ///
    /// # Errors
    /// [`Error::Database`] when the server refuses the settings.
    #[cfg(feature = "mysql")]
    pub fn from_mysql(mut conn: MysqlConnection) -> Result<Self, Error> {
        mysql_settings(&mut conn, false)
            .context(|| "applying the MySQL connection settings".into())?;
        Ok(Self(Inner::Mysql(Held::Owned(conn)), false))
    }
}

impl<'c> Database<'c> {
    /// Borrows a PostgreSQL connection the host holds (one of its pool, say)
    /// for as long as the `Database` lives; the connection is the host's
    /// again afterwards, with nothing of the runtime's left set on it (each
    /// transaction chooses its own isolation level and locks). Through a
    /// transaction pooler (PgBouncer `pool_mode = transaction`), turn its
    /// prepared-statement cache off first
    /// (`set_prepared_statement_cache_size(CacheSize::Disabled)`), as
    /// [`Database::connect`] does on its own connections.
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn borrow_postgres(conn: &'c mut PgConnection) -> Self {
        Self(Inner::Postgres(Held::Borrowed(conn)), false)
    }

    /// Borrows a SQLite connection the host holds, with the settings
    /// [`Database::connect`] applies (foreign keys on, a busy timeout), which
    /// stay on it afterwards.
    ///
    /// # Errors
    /// [`Error::Database`] when SQLite refuses the settings.
    #[cfg(feature = "sqlite")]
    pub fn borrow_sqlite(conn: &'c mut SqliteConnection) -> Result<Self, Error> {
        sqlite_settings(conn).context(|| "applying the SQLite connection settings".into())?;
        Ok(Self(Inner::Sqlite(Held::Borrowed(conn)), false))
    }

    /// Borrows a MySQL connection the host holds, with the session settings
    /// [`Database::from_mysql`] describes, which stay on it afterwards.
    ///
    /// # Errors
    /// [`Error::Database`] when the server refuses the settings.
    #[cfg(feature = "mysql")]
    pub fn borrow_mysql(conn: &'c mut MysqlConnection) -> Result<Self, Error> {
        mysql_settings(conn, false).context(|| "applying the MySQL connection settings".into())?;
        Ok(Self(Inner::Mysql(Held::Borrowed(conn)), false))
    }

    /// Which engine this connection talks to.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match &self.0 {
            #[cfg(feature = "postgres")]
            Inner::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "mysql")]
            Inner::Mysql(_) => Backend::Mysql,
        }
    }

    /// Runs `f` in one transaction holding the deploy lock (PostgreSQL
    /// `pg_advisory_xact_lock`, SQLite `BEGIN IMMEDIATE`, MySQL `GET_LOCK`
    /// around the transaction), waiting for locks and letting statements run
    /// as `timeouts` say; commits when `f` returns `Ok`, rolls everything back
    /// otherwise. A timeout is [`Error::LockTimeout`] /
    /// [`Error::StatementTimeout`], naming the lock and its holder.
    pub(crate) fn locked_transaction<T>(
        &mut self,
        timeouts: &Timeouts,
        f: impl FnOnce(&mut Conn<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.transaction_holding(ADVISORY_LOCK_KEY, Some(timeouts), f)
    }

    /// Runs `f` in one transaction holding the advisory lock `key` on
    /// PostgreSQL, at READ COMMITTED (SQLite: `BEGIN IMMEDIATE`, its one write
    /// lock; SQLite transactions are serializable). `timeouts`: `None` keeps
    /// the connection's own waits (the deliverer's).
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) fn transaction_holding<T>(
        &mut self,
        key: i64,
        timeouts: Option<&Timeouts>,
        f: impl FnOnce(&mut Conn<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        #[cfg(feature = "postgres")]
        let read_only = self.1;
        match &mut self.0 {
            // READ COMMITTED whatever the database's default_transaction_isolation:
            // the algorithm relies on each statement seeing what committed
            // before it, the lock's previous holder included. Under REPEATABLE
            // READ the snapshot would predate the lock (taken by the lock's own
            // SELECT) and a queued apply or deliverer would work from stale rows.
            // (`SET TRANSACTION` is the transaction's first statement; the
            // timeouts are `SET LOCAL`: they end with the transaction.)
            #[cfg(feature = "postgres")]
            Inner::Postgres(c) => {
                let result = c.transaction(|c| {
                    Query::new(if read_only {
                        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY"
                    } else {
                        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"
                    })
                    .execute(c)?;
                    if let Some(timeouts) = timeouts {
                        timeouts::postgres_set_local(c, timeouts).context(|| {
                            "setting the transaction's lock and statement timeouts".into()
                        })?;
                    }
                    Query::new("SELECT pg_advisory_xact_lock(")
                        .bind(Bind::BigInt(key))
                        .sql(")")
                        .execute(c)
                        .context(|| timeouts::lock_context(key).into())?;
                    f(&mut Conn::Postgres(c))
                });
                explained(&mut Conn::Postgres(c), result, timeouts, Some(key))
            }
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(c) => {
                let result = timeouts::sqlite_with_busy_timeout(c, timeouts, |c| {
                    let mut entered = false;
                    let result = c.immediate_transaction(|c| {
                        entered = true;
                        f(&mut Conn::Sqlite(c))
                    });
                    // `BEGIN IMMEDIATE` itself failed: it waited for the write lock.
                    if entered {
                        result
                    } else {
                        result.map_err(|e| recontext(e, timeouts::lock_context(key)))
                    }
                });
                explained(&mut Conn::Sqlite(c), result, timeouts, Some(key))
            }
            // A session lock, taken before the transaction and released after
            // it ends either way; READ COMMITTED for the same reason as on
            // PostgreSQL (`SET TRANSACTION` applies to the next one only).
            #[cfg(feature = "mysql")]
            Inner::Mysql(c) => {
                let result = holding_mysql_lock(c, key, timeouts, |c| {
                    RunQueryDsl::execute(
                        Query::new("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"),
                        &mut *c,
                    )?;
                    c.transaction(|c| f(&mut Conn::Mysql(c)))
                });
                explained(&mut Conn::Mysql(c), result, timeouts, Some(key))
            }
        }
    }

    /// Runs `f` holding the deploy lock: in one locked transaction (as
    /// [`locked_transaction`](Self::locked_transaction)) on PostgreSQL and
    /// SQLite, outside any transaction on MySQL, where DDL commits on its own
    /// (the schema migrations; what `f` writes is kept statement by statement).
    pub(crate) fn locked_session<T>(
        &mut self,
        timeouts: &Timeouts,
        f: impl FnOnce(&mut Conn<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match &mut self.0 {
            #[cfg(feature = "mysql")]
            Inner::Mysql(c) => {
                let result = holding_mysql_lock(c, ADVISORY_LOCK_KEY, Some(timeouts), |c| {
                    f(&mut Conn::Mysql(c))
                });
                explained(
                    &mut Conn::Mysql(c),
                    result,
                    Some(timeouts),
                    Some(ADVISORY_LOCK_KEY),
                )
            }
            #[allow(unreachable_patterns)]
            _ => self.locked_transaction(timeouts, f),
        }
    }

    /// Runs `f` in a transaction that writes without the deploy lock (the
    /// ledger row of a run that failed), within `timeouts`; commits when `f`
    /// returns `Ok`.
    pub(crate) fn write_transaction<T>(
        &mut self,
        timeouts: &Timeouts,
        f: impl FnOnce(&mut Conn<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        #[cfg(feature = "postgres")]
        let read_only = self.1;
        match &mut self.0 {
            #[cfg(feature = "postgres")]
            Inner::Postgres(c) => {
                let result = c.transaction(|c| {
                    if read_only {
                        Query::new("SET TRANSACTION READ ONLY").execute(c)?;
                    }
                    timeouts::postgres_set_local(c, timeouts).context(|| {
                        "setting the transaction's lock and statement timeouts".into()
                    })?;
                    f(&mut Conn::Postgres(c))
                });
                explained(&mut Conn::Postgres(c), result, Some(timeouts), None)
            }
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(c) => {
                let result = timeouts::sqlite_with_busy_timeout(c, Some(timeouts), |c| {
                    c.transaction(|c| f(&mut Conn::Sqlite(c)))
                });
                explained(&mut Conn::Sqlite(c), result, Some(timeouts), None)
            }
            #[cfg(feature = "mysql")]
            Inner::Mysql(c) => {
                let result = timeouts::mysql_with_session(c, timeouts, |c| {
                    c.transaction(|c| f(&mut Conn::Mysql(c)))
                });
                explained(&mut Conn::Mysql(c), result, Some(timeouts), None)
            }
        }
    }

    /// Runs `f` in a plain transaction (a consistent snapshot for reading),
    /// always rolled back: nothing `f` does is kept. On PostgreSQL the
    /// transaction is `READ ONLY`, so `f` cannot write even by mistake.
    pub(crate) fn read_transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut Conn<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        let result: Result<(), Stop<T, E>> = match &mut self.0 {
            #[cfg(feature = "postgres")]
            Inner::Postgres(c) => c.transaction(|c| {
                Query::new("SET TRANSACTION READ ONLY").execute(c)?;
                Err(Stop::Outcome(f(&mut Conn::Postgres(c))))
            }),
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(c) => c.transaction(|c| Err(Stop::Outcome(f(&mut Conn::Sqlite(c))))),
            // A consistent snapshot for the whole read (InnoDB's default
            // REPEATABLE READ), read-only: MySQL refuses writes to tables in it.
            #[cfg(feature = "mysql")]
            Inner::Mysql(c) => RunQueryDsl::execute(
                Query::new("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
                &mut **c,
            )
            .map_err(Stop::Diesel)
            .and_then(|_| c.transaction(|c| Err(Stop::Outcome(f(&mut Conn::Mysql(c)))))),
        };
        match result {
            Err(Stop::Outcome(outcome)) => outcome,
            Err(Stop::Diesel(e)) => Err(E::from(e)),
            Ok(()) => Err(E::from(diesel::result::Error::RollbackTransaction)),
        }
    }

    /// Runs `query`, which binds nothing, on its own outside any
    /// transaction: a statement the engine refuses inside one
    /// (PostgreSQL's `VACUUM`).
    pub(crate) fn execute_alone(&mut self, query: &Query) -> QueryResult<()> {
        match &mut self.0 {
            #[cfg(feature = "postgres")]
            Inner::Postgres(c) => Conn::Postgres(c).execute_unprepared(query),
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(c) => Conn::Sqlite(c).execute_unprepared(query),
            #[cfg(feature = "mysql")]
            Inner::Mysql(c) => Conn::Mysql(c).execute_unprepared(query),
        }
    }

    /// Runs `f` in a transaction that commits when it returns `Ok` (no lock).
    pub(crate) fn transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut Conn<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        #[cfg(feature = "postgres")]
        let read_only = self.1;
        match &mut self.0 {
            #[cfg(feature = "postgres")]
            Inner::Postgres(c) => c.transaction(|c| {
                if read_only {
                    Query::new("SET TRANSACTION READ ONLY").execute(c)?;
                }
                f(&mut Conn::Postgres(c))
            }),
            #[cfg(feature = "sqlite")]
            Inner::Sqlite(c) => c.transaction(|c| f(&mut Conn::Sqlite(c))),
            #[cfg(feature = "mysql")]
            Inner::Mysql(c) => c.transaction(|c| f(&mut Conn::Mysql(c))),
        }
    }
}

/// `query` followed by the name of the MySQL user lock standing for the
/// advisory lock `key` in the current database: `GET_LOCK` names are
/// server-wide (at most 64 characters), so the database name is hashed into
/// it and applies to two databases of one server never wait for each other.
#[cfg(feature = "mysql")]
fn mysql_lock_name(query: Query, key: i64) -> Query {
    query
        .sql("CONCAT('llm_lifecycle_', SHA1(CONCAT(COALESCE(DATABASE(), ''), '/', ")
        .bind(Bind::Text(format!("{key:016x}")))
        .sql(")))")
}

#[cfg(feature = "mysql")]
#[derive(QueryableByName)]
struct LockResult {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    got: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Takes the MySQL user lock for `key`, waiting up to `secs` seconds;
/// [`Error::LockTimeout`] naming the lock and its holder when it cannot be
/// had. `statement`: the session's statement timeout, if one is set.
#[cfg(feature = "mysql")]
fn mysql_lock(
    conn: &mut MysqlConnection,
    key: i64,
    secs: u64,
    statement: Option<std::time::Duration>,
) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let query = mysql_lock_name(Query::new("SELECT CAST(GET_LOCK("), key)
        .sql(", ")
        .bind(Bind::BigInt(i64::try_from(secs).unwrap_or(i64::MAX)))
        .sql(") AS SIGNED) AS got, ");
    let rows: Vec<LockResult> =
        RunQueryDsl::load(mysql_lock_name(query, key).sql(" AS name"), conn)
            .context(|| timeouts::lock_context(key).into())?;
    let Some(row) = rows.first() else {
        return Err(Error::database(
            timeouts::lock_context(key),
            diesel::result::Error::NotFound,
        ));
    };
    match row.got {
        Some(1) => Ok(()),
        Some(_) => Err(timeouts::mysql_lock_timeout(conn, key, &row.name, secs)),
        // MariaDB's `max_statement_time` interrupts GET_LOCK with NULL, not
        // an error: NULL once the statement timeout has run out is that.
        None if statement.is_some_and(|limit| started.elapsed() + LATE >= limit) => Err(
            timeouts::mysql_statement_timeout(conn, key, statement.unwrap_or_default()),
        ),
        // NULL: an error in GET_LOCK itself (the session was killed, say).
        None => Err(Error::database(
            timeouts::lock_context(key),
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::Unknown,
                Box::new(format!("GET_LOCK('{}') returned NULL", row.name)),
            ),
        )),
    }
}

/// Runs `f` holding the MySQL user lock for `key`, released however `f` ends
/// (and by the server when the session ends), with the session's waits set
/// from `timeouts` (put back afterwards); `None`: the connection's own, and
/// [`MYSQL_LOCK_TIMEOUT_SECS`] for the lock.
#[cfg(feature = "mysql")]
fn holding_mysql_lock<T>(
    conn: &mut MysqlConnection,
    key: i64,
    timeouts: Option<&Timeouts>,
    f: impl FnOnce(&mut MysqlConnection) -> Result<T, Error>,
) -> Result<T, Error> {
    let secs = timeouts.map_or(MYSQL_LOCK_TIMEOUT_SECS, |t| {
        timeouts::mysql_lock_secs(t.lock)
    });
    let statement = timeouts
        .and_then(|t| t.statement)
        .filter(|limit| !limit.is_zero());
    let body = |conn: &mut MysqlConnection| {
        mysql_lock(conn, key, secs, statement)?;
        let result = f(conn);
        let released = mysql_unlock(conn, key);
        let value = result?;
        released?;
        Ok(value)
    };
    match timeouts {
        Some(timeouts) => timeouts::mysql_with_session(conn, timeouts, body),
        None => body(conn),
    }
}

/// How much sooner than the statement timeout a server may have fired it
/// (timer granularity).
#[cfg(feature = "mysql")]
const LATE: std::time::Duration = std::time::Duration::from_millis(100);

/// Releases the MySQL user lock for `key` (also released when the session ends).
#[cfg(feature = "mysql")]
fn mysql_unlock(conn: &mut MysqlConnection, key: i64) -> Result<(), Error> {
    RunQueryDsl::execute(
        mysql_lock_name(Query::new("DO RELEASE_LOCK("), key).sql(")"),
        conn,
    )
    .context(|| format!("releasing the {}", timeouts::lock_label(key)))?;
    Ok(())
}

/// `result`, a timeout in it explained (which lock, who held it) when the
/// transaction ran within `timeouts`.
fn explained<T>(
    conn: &mut Conn<'_>,
    result: Result<T, Error>,
    timeouts: Option<&Timeouts>,
    key: Option<i64>,
) -> Result<T, Error> {
    match (result, timeouts) {
        (Err(error), Some(timeouts)) => Err(timeouts::explain(conn, error, timeouts, key)),
        (result, _) => result,
    }
}

/// A database error given the context `context` (a statement the driver
/// reports without one: SQLite's `BEGIN IMMEDIATE`).
#[cfg(feature = "sqlite")]
fn recontext(error: Error, context: &str) -> Error {
    match error {
        Error::Database { source, .. } => Error::Database {
            context: context.to_owned(),
            source,
        },
        other => other,
    }
}

/// Strict SQL mode for the session (an out-of-range or too-long value is an
/// error, never a silent truncation), `ANSI_QUOTES` (`"name"` is an
/// identifier, as on the other engines; string literals are single-quoted,
/// catalogue SQL included) and `PIPES_AS_CONCAT`; `read_only`: every
/// transaction `READ ONLY`.
#[cfg(feature = "mysql")]
fn mysql_settings(conn: &mut MysqlConnection, read_only: bool) -> QueryResult<()> {
    conn.batch_execute(
        "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION,\
         ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,ANSI_QUOTES,PIPES_AS_CONCAT'",
    )?;
    if read_only {
        conn.batch_execute("SET SESSION TRANSACTION READ ONLY")?;
    }
    Ok(())
}

/// How mysql_async says that the server offers no TLS
/// (`DriverError::NoClientSslFlagFromServer`), which diesel-async hands on as
/// text only.
#[cfg(feature = "mysql")]
const NO_TLS_ON_THE_SERVER: &str = "server does not have this capability";

/// [`Error::Connect`] for `url` with the driver's `message`, its password scrubbed.
fn connect_error(url: &DatabaseUrl, message: &str) -> Error {
    Error::Connect {
        url: url.to_string(),
        backend: url.backend(),
        reason: one_line(&url.scrub(message)),
    }
}

/// Foreign keys on (SQLite leaves them off per connection) and a busy timeout,
/// so a writer waits for another instead of failing at once.
#[cfg(feature = "sqlite")]
fn sqlite_settings(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;"
    ))
}

/// A row type every compiled-in backend can load.
pub(crate) trait Row: RowPg + RowSqlite + RowMysql + 'static {}
impl<T: RowPg + RowSqlite + RowMysql + 'static> Row for T {}

/// `$name`: `QueryableByName<$backend>` when `$feature` is compiled in,
/// nothing otherwise (so [`Row`] names every backend of the build).
macro_rules! row_for {
    ($name:ident, $feature:literal, $backend:ty) => {
        #[doc = concat!("`QueryableByName` for the `", $feature, "` backend, when it is compiled in.")]
        #[cfg(feature = $feature)]
        pub(crate) trait $name: QueryableByName<$backend> {}
        #[cfg(feature = $feature)]
        impl<T: QueryableByName<$backend>> $name for T {}
        #[doc = concat!("Nothing: the `", $feature, "` backend is not compiled in.")]
        #[cfg(not(feature = $feature))]
        pub(crate) trait $name {}
        #[cfg(not(feature = $feature))]
        impl<T> $name for T {}
    };
}
row_for!(RowPg, "postgres", Pg);
row_for!(RowSqlite, "sqlite", Sqlite);
row_for!(RowMysql, "mysql", Mysql);

/// How a read transaction ends: always rolled back, carrying what the work returned.
enum Stop<T, E> {
    Outcome(Result<T, E>),
    Diesel(diesel::result::Error),
}

impl<T, E> From<diesel::result::Error> for Stop<T, E> {
    fn from(e: diesel::result::Error) -> Self {
        Self::Diesel(e)
    }
}

impl Conn<'_> {
    /// Which engine this connection talks to.
    pub(crate) fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "mysql")]
            Self::Mysql(_) => Backend::Mysql,
        }
    }

    /// Runs a statement; the number of rows it affected.
    pub(crate) fn execute(&mut self, query: &Query) -> QueryResult<usize> {
        tracing::trace!(sql = %query.render(self.backend()), binds = query.binds().len(), "execute");
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(c) => RunQueryDsl::execute(query, *c),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(c) => RunQueryDsl::execute(query, *c),
            #[cfg(feature = "mysql")]
            Self::Mysql(c) => RunQueryDsl::execute(query, *c),
        }
    }

    /// Runs `query`, which binds nothing, as one plain statement (not
    /// prepared: MySQL cannot prepare every DDL statement, a trigger's among them).
    pub(crate) fn execute_unprepared(&mut self, query: &Query) -> QueryResult<()> {
        use diesel::connection::SimpleConnection;
        debug_assert!(query.binds().is_empty(), "a plain statement binds nothing");
        let sql = query.render(self.backend());
        tracing::trace!(%sql, "execute_unprepared");
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(c) => c.batch_execute(&sql),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(c) => c.batch_execute(&sql),
            #[cfg(feature = "mysql")]
            Self::Mysql(c) => c.batch_execute(&sql),
        }
    }

    /// Runs a query and loads its rows.
    pub(crate) fn load<T>(&mut self, query: &Query) -> QueryResult<Vec<T>>
    where
        T: Row,
    {
        tracing::trace!(sql = %query.render(self.backend()), binds = query.binds().len(), "load");
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(c) => RunQueryDsl::load(query, *c),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(c) => RunQueryDsl::load(query, *c),
            #[cfg(feature = "mysql")]
            Self::Mysql(c) => RunQueryDsl::load(query, *c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    /// A host's own SQLite connection gets the settings `connect` applies.
    #[test]
    fn a_host_sqlite_connection_gets_the_same_settings() -> Result<(), Error> {
        let conn = SqliteConnection::establish(":memory:").map_err(|e| Error::Connect {
            url: ":memory:".into(),
            backend: Backend::Sqlite,
            reason: e.to_string(),
        })?;
        let mut db = Database::from_sqlite(conn)?;
        assert_eq!(db.backend(), Backend::Sqlite);
        let read = |sql: &'static str| {
            move |conn: &mut Conn<'_>| -> Result<i64, Error> {
                let rows: Vec<Setting> = conn.load(&Query::new(sql))?;
                Ok(rows.first().map_or(-1, |row| row.n))
            }
        };
        assert_eq!(
            db.read_transaction(read("SELECT foreign_keys AS n FROM pragma_foreign_keys"))?,
            1
        );
        assert_eq!(
            db.read_transaction(read("SELECT timeout AS n FROM pragma_busy_timeout"))?,
            i64::from(SQLITE_BUSY_TIMEOUT_MS)
        );
        Ok(())
    }

    /// The snapshot `plan`, `status` and `history` read in is
    /// `READ ONLY` on PostgreSQL, even on a connection that may write.
    #[test]
    fn read_transactions_cannot_write_on_postgres() -> Result<(), Error> {
        let Some(test_db) = llm_lifecycle_test_support::TestDb::postgres() else {
            return Ok(());
        };
        let mut db = Database::connect(&DatabaseUrl::parse(test_db.url())?)?;
        let create = Query::new("CREATE TABLE written_by_a_read (x BIGINT)");
        let refused = db.read_transaction(|conn| conn.execute(&create).map_err(Error::from));
        let Err(refused) = refused else {
            return Err(Error::Diverged("a read transaction wrote".into()));
        };
        assert!(
            refused.to_string().contains("read-only transaction"),
            "{refused}"
        );
        // The same connection still writes in an ordinary transaction.
        db.transaction(|conn| conn.execute(&create).map_err(Error::from))?;
        Ok(())
    }

    #[derive(QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }

    /// A read-only PostgreSQL connection refuses writes in every kind of
    /// transaction, yet leaves nothing on the session: a transaction pooler
    /// hands the server connection on to a writer afterwards.
    #[test]
    fn read_only_postgres_connections_set_nothing_on_the_session() -> Result<(), Error> {
        let Some(test_db) = llm_lifecycle_test_support::TestDb::postgres() else {
            return Ok(());
        };
        let mut db = Database::connect_read_only(&DatabaseUrl::parse(test_db.url())?)?;
        let create = Query::new("CREATE TABLE written_by_a_reader (x BIGINT)");
        let timeouts = Timeouts::default();
        let refusals = [
            db.transaction(|conn| conn.execute(&create).map_err(Error::from)),
            db.write_transaction(&timeouts, |conn| conn.execute(&create).map_err(Error::from)),
            db.locked_transaction(&timeouts, |conn| conn.execute(&create).map_err(Error::from)),
        ];
        for refused in refusals {
            let Err(refused) = refused else {
                return Err(Error::Diverged("a read-only connection wrote".into()));
            };
            assert!(
                refused.to_string().contains("read-only transaction"),
                "{refused}"
            );
        }
        // The session's default is as it was (no `SET SESSION CHARACTERISTICS`).
        let rows: Vec<Text> = db.read_transaction(|conn| {
            conn.load(&Query::new(
                "SELECT current_setting('default_transaction_read_only') AS v",
            ))
        })?;
        assert_eq!(rows.first().map(|r| r.v.as_str()), Some("off"));
        Ok(())
    }
}
