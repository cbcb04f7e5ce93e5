//! How long the runtime's writing transactions wait: for the deploy lock and
//! for row or table locks (the lock timeout), and for any one statement (the
//! statement timeout); and, when one is hit, which lock it was and who held it.
//!
//! Per engine:
//! - PostgreSQL: `SET LOCAL lock_timeout` and `SET LOCAL statement_timeout`,
//!   right after the transaction starts. They end with it: nothing stays on
//!   the session, so they work through a transaction pooler. `lock_timeout`
//!   bounds the deploy lock (`pg_advisory_xact_lock`) like any row or table lock.
//! - MySQL / MariaDB: `SET SESSION innodb_lock_wait_timeout` (row locks) and
//!   `lock_wait_timeout` (metadata locks: DDL, `LOCK TABLES`), in whole seconds
//!   (at least 1), and the same timeout for `GET_LOCK`, the deploy lock; the
//!   statement timeout is MariaDB's `max_statement_time` (every statement) or
//!   MySQL's `max_execution_time` (read-only `SELECT`s only: the server bounds
//!   nothing else). The session's previous values are put back afterwards.
//! - SQLite: the busy timeout (`PRAGMA busy_timeout`), put back afterwards;
//!   the deploy lock is the file's write lock (`BEGIN IMMEDIATE`). SQLite has
//!   no statement timeout: one given is ignored, with a warning.
//!
//! A timeout surfaces as the driver's error for the statement that waited;
//! [`explain`] turns it into [`Error::LockTimeout`] or
//! [`Error::StatementTimeout`] after the rollback, with the holder looked up
//! by a short read of its own (PostgreSQL `pg_locks` and `pg_stat_activity`;
//! MySQL `IS_USED_LOCK`, `information_schema.INNODB_TRX` and `PROCESSLIST`).
//! The engines' messages are matched in English (PostgreSQL's depend on the
//! server's `lc_messages`): under another language a timeout stays a plain
//! [`Error::Database`], still rolled back.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text};

use super::{ADVISORY_LOCK_KEY, Backend, Conn, DELIVERY_LOCK_KEY};
use crate::error::Error;

/// How long `apply` and `migrate` wait for locks and let one statement run
/// (`--lock-timeout`, `--statement-timeout`). Only writing work uses them:
/// the read-only commands take no locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long to wait for the deploy lock, and for each row or table lock
    /// a statement needs, before giving up with [`Error::LockTimeout`]
    /// (everything rolled back). `Duration::ZERO` waits forever (SQLite:
    /// about 24 days, its longest busy timeout; MySQL: a year). MySQL counts
    /// whole seconds: a fraction rounds up. Default
    /// [`Timeouts::DEFAULT_LOCK`] (5 s).
    pub lock: Duration,
    /// How long any one statement may run before the server cancels it
    /// ([`Error::StatementTimeout`], everything rolled back). `None` (the
    /// default) leaves the server's own setting alone; `Some(Duration::ZERO)`:
    /// no limit. PostgreSQL: every statement; MariaDB: every statement
    /// (`max_statement_time`); MySQL 8: read-only `SELECT`s only
    /// (`max_execution_time`); SQLite: none (ignored, with a warning).
    pub statement: Option<Duration>,
}

impl Timeouts {
    /// The default lock timeout: 5 seconds.
    pub const DEFAULT_LOCK: Duration = Duration::from_secs(5);
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            lock: Self::DEFAULT_LOCK,
            statement: None,
        }
    }
}

/// The longest PostgreSQL (and SQLite) accepts: `INT_MAX` milliseconds.
const MAX_MS: u128 = i32::MAX as u128;

/// "Forever" on MySQL: a year, `lock_wait_timeout`'s maximum.
const MYSQL_FOREVER_SECS: u64 = 31_536_000;

/// Milliseconds, at least 1 for a non-zero duration, at most `INT_MAX`.
fn clamped_ms(duration: Duration) -> u128 {
    if duration.is_zero() {
        0
    } else {
        duration.as_millis().clamp(1, MAX_MS)
    }
}

/// PostgreSQL's `lock_timeout` / `statement_timeout` in ms (0: none).
pub(super) fn postgres_ms(duration: Duration) -> u128 {
    clamped_ms(duration)
}

/// SQLite's busy timeout in ms for a lock timeout: 0 would not wait at all,
/// so "forever" is the longest it takes.
pub(super) fn sqlite_busy_ms(lock: Duration) -> u128 {
    if lock.is_zero() {
        MAX_MS
    } else {
        clamped_ms(lock)
    }
}

/// MySQL's lock timeouts in whole seconds, rounded up, at least 1.
pub(super) fn mysql_lock_secs(lock: Duration) -> u64 {
    if lock.is_zero() {
        return MYSQL_FOREVER_SECS;
    }
    let secs = lock.as_secs() + u64::from(lock.subsec_nanos() > 0);
    secs.clamp(1, MYSQL_FOREVER_SECS)
}

/// The lock timeout as `engine` counts it, for the error message.
fn effective_lock(backend: Backend, lock: Duration) -> Duration {
    let ms = |ms: u128| Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX));
    match backend {
        Backend::Postgres => ms(postgres_ms(lock)),
        Backend::Sqlite => ms(sqlite_busy_ms(lock)),
        Backend::Mysql => Duration::from_secs(mysql_lock_secs(lock)),
    }
}

/// The context of the statement that takes the advisory lock `key` (an
/// [`Error::Database`] with it names the lock).
pub(crate) fn lock_context(key: i64) -> &'static str {
    if key == ADVISORY_LOCK_KEY {
        "waiting for the deploy lock"
    } else if key == DELIVERY_LOCK_KEY {
        "waiting for the delivery lock"
    } else {
        "waiting for an advisory lock"
    }
}

/// Which timeout a driver message reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hit {
    Lock,
    Statement,
}

fn hit(backend: Backend, message: &str) -> Option<Hit> {
    let has = |needle: &str| message.contains(needle);
    match backend {
        // 55P03 lock_not_available, 57014 query_canceled.
        Backend::Postgres if has("due to lock timeout") => Some(Hit::Lock),
        Backend::Postgres if has("due to statement timeout") => Some(Hit::Statement),
        // 1205 (InnoDB row locks and metadata locks alike).
        Backend::Mysql if has("Lock wait timeout exceeded") => Some(Hit::Lock),
        // MariaDB 1969, MySQL 3024.
        Backend::Mysql
            if has("max_statement_time exceeded")
                || has("maximum statement execution time exceeded") =>
        {
            Some(Hit::Statement)
        }
        // SQLITE_BUSY once the busy timeout ran out.
        Backend::Sqlite if has("database is locked") => Some(Hit::Lock),
        _ => None,
    }
}

/// The context of a migration that timed out.
const MIGRATIONS: &str = "running the schema migrations";

/// Which timeout `error` reports, and what the runtime was doing (its
/// context); `None` for any other error.
fn timed_out(backend: Backend, error: &Error) -> Option<(Hit, &str)> {
    match error {
        Error::Database { context, source } => match source.get() {
            diesel::result::Error::DatabaseError(_, info) => {
                hit(backend, info.message()).map(|hit| (hit, context.as_str()))
            }
            _ => None,
        },
        // The migration harness reports the statement's error as text.
        Error::Migration { reason } => hit(backend, reason).map(|hit| (hit, MIGRATIONS)),
        _ => None,
    }
}

/// `error` as [`Error::LockTimeout`] / [`Error::StatementTimeout`] when the
/// statement behind it hit one of `timeouts` (after the rollback; `conn` is
/// outside any transaction), else unchanged. `key`: the advisory lock the
/// transaction took, so a failure of that statement names it.
pub(super) fn explain(
    conn: &mut Conn<'_>,
    error: Error,
    timeouts: &Timeouts,
    key: Option<i64>,
) -> Error {
    let backend = conn.backend();
    let Some((hit, context)) = timed_out(backend, &error) else {
        return error;
    };
    let context = context.to_owned();
    let lock = key.filter(|key| context == lock_context(*key));
    let holder = holders(conn, lock);
    match hit {
        Hit::Lock => Error::LockTimeout {
            waiting_for: waiting_for(conn, lock, &context),
            timeout: effective_lock(backend, timeouts.lock),
            holder,
        },
        Hit::Statement => Error::StatementTimeout {
            statement: context,
            timeout: timeouts.statement.filter(|t| !t.is_zero()),
            holder,
        },
    }
}

/// What a statement that timed out was waiting for.
fn waiting_for(conn: &mut Conn<'_>, lock: Option<i64>, context: &str) -> String {
    match (conn.backend(), lock) {
        (Backend::Postgres, Some(key)) => {
            format!("the {} (PostgreSQL advisory lock {key})", lock_label(key))
        }
        (Backend::Mysql, Some(key)) => mysql_lock_description(conn, key),
        (Backend::Sqlite, Some(key)) => format!(
            "the {} (SQLite's write lock: another connection or process has a write \
             transaction open on the database file)",
            lock_label(key)
        ),
        (Backend::Postgres, None) => format!("a row or table lock while {context}"),
        (Backend::Mysql, None) => format!("a row or metadata lock while {context}"),
        (Backend::Sqlite, None) => format!("SQLite's lock on the database file while {context}"),
    }
}

/// `deploy lock`, `delivery lock` or `advisory lock`.
pub(super) fn lock_label(key: i64) -> &'static str {
    lock_context(key)
        .trim_start_matches("waiting for the ")
        .trim_start_matches("waiting for an ")
}

/// `the deploy lock (MySQL user lock `NAME`)`.
#[cfg(feature = "mysql")]
pub(super) fn mysql_lock_description(conn: &mut Conn<'_>, key: i64) -> String {
    let name = match conn {
        Conn::Mysql(c) => mysql::lock_name(c, key),
        #[allow(unreachable_patterns)]
        _ => None,
    };
    match name {
        Some(name) => format!("the {} (MySQL user lock `{name}`)", lock_label(key)),
        None => format!("the {} (a MySQL user lock)", lock_label(key)),
    }
}

#[cfg(not(feature = "mysql"))]
pub(super) fn mysql_lock_description(_conn: &mut Conn<'_>, key: i64) -> String {
    format!("the {} (a MySQL user lock)", lock_label(key))
}

/// A session that may hold what a statement waited for, as the diagnosis
/// queries return it (every column text, any may be NULL).
#[derive(Debug, QueryableByName)]
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
struct Session {
    #[diesel(sql_type = Nullable<Text>)]
    id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    who: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    state: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    since: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    locks: Option<String>,
}

/// Who holds the advisory lock `lock` (when the failed statement took it), or
/// the sessions whose open transactions lock rows: a best-effort read, `None`
/// when it fails or finds nobody.
fn holders(conn: &mut Conn<'_>, lock: Option<i64>) -> Option<String> {
    let found = match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => postgres::holders(c, lock),
        #[cfg(feature = "mysql")]
        Conn::Mysql(c) => mysql::holders(c, lock),
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(_) => None,
    };
    let _ = lock;
    found
}

#[cfg(feature = "postgres")]
mod postgres {
    use diesel::Connection;
    use diesel::RunQueryDsl;

    use super::{Session, Timeouts, postgres_ms};
    use crate::db::{Bind, PgConnection, Query};

    /// How long the read naming the holder may take, in ms.
    const DIAGNOSIS_MS: u32 = 2000;

    /// The transaction's timeouts, its first statements after `SET TRANSACTION`.
    pub(in crate::db) fn set_local(
        conn: &mut PgConnection,
        timeouts: &Timeouts,
    ) -> diesel::QueryResult<()> {
        // Integers (milliseconds) formatted by the runtime: `SET` takes no binds.
        Query::new(format!(
            "SET LOCAL lock_timeout = {}",
            postgres_ms(timeouts.lock)
        ))
        .execute(conn)?;
        if let Some(statement) = timeouts.statement {
            Query::new(format!(
                "SET LOCAL statement_timeout = {}",
                postgres_ms(statement)
            ))
            .execute(conn)?;
        }
        Ok(())
    }

    pub(super) fn holders(conn: &mut PgConnection, lock: Option<i64>) -> Option<String> {
        let columns = "SELECT CAST(a.pid AS TEXT) AS id, CAST(a.application_name AS TEXT) AS who, \
                       CAST(a.state AS TEXT) AS state, to_char(a.query_start AT TIME ZONE 'UTC', \
                       'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS since, ";
        let this_database =
            "l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";
        let query = match lock {
            // The advisory lock of a bigint key: classid the high half, objid the low.
            Some(key) => Query::new(format!(
                "{columns}CAST(NULL AS TEXT) AS locks FROM pg_locks l \
                 JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND {this_database} \
                 AND CAST(l.classid AS BIGINT) = "
            ))
            .bind(Bind::BigInt(i64::from((key >> 32) as u32)))
            .sql(" AND CAST(l.objid AS BIGINT) = ")
            .bind(Bind::BigInt(i64::from(key as u32))),
            // Row locks leave no trace once the waiter gave up: the open
            // transactions holding row-level table locks (`FOR UPDATE` takes
            // ROW SHARE, writes ROW EXCLUSIVE) on this database's tables.
            None => Query::new(format!(
                "{columns}string_agg(DISTINCT CAST(c.relname AS TEXT), ', ') AS locks \
                 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid() \
                 AND {this_database} AND l.mode <> 'AccessShareLock' AND c.relkind IN ('r', 'p') \
                 AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                 GROUP BY a.pid, a.application_name, a.state, a.query_start \
                 ORDER BY a.query_start LIMIT 3"
            )),
        };
        let sessions: Vec<Session> = conn
            .transaction(|conn| {
                Query::new("SET TRANSACTION READ ONLY").execute(conn)?;
                Query::new(format!("SET LOCAL statement_timeout = {DIAGNOSIS_MS}"))
                    .execute(conn)?;
                RunQueryDsl::load(query, conn)
            })
            .map_err(|e| tracing::debug!(%e, "could not look up the lock holder"))
            .ok()?;
        let described: Vec<String> = sessions.iter().map(describe).collect();
        super::holders_line("PostgreSQL", lock.is_some(), &described)
    }

    /// `pid 42 (application `x`, idle in transaction, query started T, locking t)`.
    fn describe(session: &Session) -> String {
        let mut details = vec![match session.who.as_deref() {
            Some(who) if !who.is_empty() => format!("application `{who}`"),
            _ => "no application_name".to_owned(),
        }];
        details.extend(session.state.clone());
        details.extend(
            session
                .since
                .as_ref()
                .map(|since| format!("query started {since}")),
        );
        details.extend(session.locks.as_ref().map(|t| format!("locking {t}")));
        format!(
            "pid {} ({})",
            session.id.as_deref().unwrap_or("?"),
            details.join(", ")
        )
    }
}

#[cfg(feature = "postgres")]
pub(super) use postgres::set_local as postgres_set_local;

#[cfg(feature = "mysql")]
mod mysql {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::Text;

    use super::{Session, Timeouts, mysql_lock_secs};
    use crate::db::{MysqlConnection, Query, mysql_lock_name};

    #[derive(diesel::QueryableByName)]
    struct Saved {
        #[diesel(sql_type = Text)]
        version: String,
        #[diesel(sql_type = Text)]
        row_locks: String,
        #[diesel(sql_type = Text)]
        metadata_locks: String,
    }

    #[derive(diesel::QueryableByName)]
    struct Value {
        #[diesel(sql_type = Text)]
        v: String,
    }

    /// A session variable's value as read back, safe to write into `SET`
    /// (digits and a decimal point), else `None`.
    fn number(value: String) -> Option<String> {
        let plain = !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '.');
        plain.then_some(value)
    }

    /// Runs `body` with the session's lock and statement timeouts set from
    /// `timeouts`, putting the previous values back however it ends.
    pub(in crate::db) fn with_session<T>(
        conn: &mut MysqlConnection,
        timeouts: &Timeouts,
        body: impl FnOnce(&mut MysqlConnection) -> Result<T, crate::error::Error>,
    ) -> Result<T, crate::error::Error> {
        let context = || "setting the session's lock and statement timeouts".to_owned();
        let saved: Vec<Saved> = RunQueryDsl::load(
            Query::new(
                "SELECT CAST(VERSION() AS CHAR) AS version, \
                 CAST(@@SESSION.innodb_lock_wait_timeout AS CHAR) AS row_locks, \
                 CAST(@@SESSION.lock_wait_timeout AS CHAR) AS metadata_locks",
            ),
            conn,
        )
        .map_err(|e| crate::error::Error::database(context(), e))?;
        let saved = saved.into_iter().next();
        let mariadb = saved
            .as_ref()
            .is_some_and(|s| s.version.contains("MariaDB"));
        let secs = mysql_lock_secs(timeouts.lock);
        let mut set = vec![
            format!("innodb_lock_wait_timeout = {secs}"),
            format!("lock_wait_timeout = {secs}"),
        ];
        let mut restore = Vec::new();
        if let Some(saved) = saved {
            restore
                .extend(number(saved.row_locks).map(|v| format!("innodb_lock_wait_timeout = {v}")));
            restore
                .extend(number(saved.metadata_locks).map(|v| format!("lock_wait_timeout = {v}")));
        }
        if let Some(statement) = timeouts.statement {
            let (variable, value) = if mariadb {
                // Seconds, to the microsecond; every statement.
                let ms = statement.as_millis().min(u128::from(u32::MAX));
                (
                    "max_statement_time",
                    format!("{}.{:03}", ms / 1000, ms % 1000),
                )
            } else {
                // Milliseconds; read-only SELECTs only.
                let ms = statement.as_millis().min(u128::from(u32::MAX));
                ("max_execution_time", ms.to_string())
            };
            let previous: Vec<Value> = RunQueryDsl::load(
                Query::new(format!("SELECT CAST(@@SESSION.{variable} AS CHAR) AS v")),
                conn,
            )
            .map_err(|e| crate::error::Error::database(context(), e))?;
            restore.extend(
                previous
                    .into_iter()
                    .next()
                    .and_then(|p| number(p.v))
                    .map(|v| format!("{variable} = {v}")),
            );
            set.push(format!("{variable} = {value}"));
        }
        conn.batch_execute(&format!("SET SESSION {}", set.join(", ")))
            .map_err(|e| crate::error::Error::database(context(), e))?;
        let result = body(conn);
        let restored = if restore.is_empty() {
            Ok(())
        } else {
            conn.batch_execute(&format!("SET SESSION {}", restore.join(", ")))
                .map_err(|e| {
                    crate::error::Error::database(
                        "restoring the session's lock and statement timeouts",
                        e,
                    )
                })
        };
        let value = result?;
        restored?;
        Ok(value)
    }

    /// [`Error::LockTimeout`](crate::Error::LockTimeout) for the user lock
    /// `name` of `key` that `GET_LOCK` gave up on after `secs` seconds,
    /// naming its holder.
    pub(in crate::db) fn lock_timeout(
        conn: &mut MysqlConnection,
        key: i64,
        name: &str,
        secs: u64,
    ) -> crate::error::Error {
        crate::error::Error::LockTimeout {
            waiting_for: format!("the {} (MySQL user lock `{name}`)", super::lock_label(key)),
            timeout: std::time::Duration::from_secs(secs),
            holder: holders(conn, Some(key)),
        }
    }

    /// [`Error::StatementTimeout`](crate::Error::StatementTimeout) for
    /// `GET_LOCK` of `key` interrupted by the statement timeout `limit`
    /// (MariaDB returns NULL), naming the holder.
    pub(in crate::db) fn statement_timeout(
        conn: &mut MysqlConnection,
        key: i64,
        limit: std::time::Duration,
    ) -> crate::error::Error {
        crate::error::Error::StatementTimeout {
            statement: super::lock_context(key).to_owned(),
            timeout: Some(limit),
            holder: holders(conn, Some(key)),
        }
    }

    /// The name of the user lock for `key` in the current database.
    pub(super) fn lock_name(conn: &mut MysqlConnection, key: i64) -> Option<String> {
        let query = mysql_lock_name(Query::new("SELECT "), key).sql(" AS v");
        let rows: Vec<Value> = RunQueryDsl::load(query, conn).ok()?;
        rows.into_iter().next().map(|row| row.v)
    }

    pub(super) fn holders(conn: &mut MysqlConnection, lock: Option<i64>) -> Option<String> {
        let columns = "SELECT CAST(p.ID AS CHAR) AS id, CAST(CONCAT(p.USER, '@', p.HOST) AS CHAR) AS who, \
                       CAST(p.COMMAND AS CHAR) AS state, CAST(p.TIME AS CHAR) AS since, ";
        let query = match lock {
            Some(key) => mysql_lock_name(
                Query::new(format!(
                    "{columns}CAST(NULL AS CHAR) AS locks FROM information_schema.PROCESSLIST p \
                     WHERE p.ID = IS_USED_LOCK("
                )),
                key,
            )
            .sql(")"),
            // Open InnoDB transactions of other sessions of this database
            // that lock rows (the list is server-wide and needs the PROCESS
            // privilege; without it, nobody is named).
            None => Query::new(format!(
                "{columns}CAST(t.trx_rows_locked AS CHAR) AS locks \
                 FROM information_schema.INNODB_TRX t \
                 JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id \
                 WHERE t.trx_mysql_thread_id <> CONNECTION_ID() AND t.trx_rows_locked > 0 \
                 AND p.DB = DATABASE() \
                 ORDER BY t.trx_started LIMIT 3"
            )),
        };
        let sessions: Vec<Session> = RunQueryDsl::load(query, conn)
            .map_err(|e| tracing::debug!(%e, "could not look up the lock holder"))
            .ok()?;
        let described: Vec<String> = sessions.iter().map(describe).collect();
        super::holders_line("MySQL connection", lock.is_some(), &described)
    }

    /// `42 (root@localhost:5555, Sleep for 3 s, 1 row locked)`.
    fn describe(session: &Session) -> String {
        let mut details: Vec<String> = session.who.iter().cloned().collect();
        details.extend(session.state.as_ref().map(|state| match &session.since {
            Some(secs) => format!("{state} for {secs} s"),
            None => state.clone(),
        }));
        details.extend(session.locks.as_ref().map(|rows| {
            if rows == "1" {
                "1 row locked".to_owned()
            } else {
                format!("{rows} rows locked")
            }
        }));
        format!(
            "{} ({})",
            session.id.as_deref().unwrap_or("?"),
            details.join(", ")
        )
    }
}

#[cfg(feature = "mysql")]
pub(super) use mysql::{
    lock_timeout as mysql_lock_timeout, statement_timeout as mysql_statement_timeout,
    with_session as mysql_with_session,
};

#[cfg(feature = "sqlite")]
mod sqlite {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::BigInt;
    use diesel::sqlite::SqliteConnection;

    use super::{Timeouts, sqlite_busy_ms};
    use crate::db::Query;
    use crate::error::{Context, Error};

    #[derive(diesel::QueryableByName)]
    struct BusyTimeout {
        #[diesel(sql_type = BigInt)]
        timeout: i64,
    }

    /// Runs `body` with the connection's busy timeout set to the lock timeout
    /// of `timeouts` (nothing changed for `None`), the previous one put back
    /// however it ends. SQLite has no statement timeout: one is ignored,
    /// with a warning.
    pub(in crate::db) fn with_busy_timeout<T>(
        conn: &mut SqliteConnection,
        timeouts: Option<&Timeouts>,
        body: impl FnOnce(&mut SqliteConnection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let Some(timeouts) = timeouts else {
            return body(conn);
        };
        if timeouts.statement.is_some_and(|t| !t.is_zero()) {
            tracing::warn!(
                "SQLite has no statement timeout: the statement timeout is ignored \
                 (the lock timeout still bounds waiting for other writers)"
            );
        }
        let previous: Vec<BusyTimeout> =
            RunQueryDsl::load(Query::new("SELECT timeout FROM pragma_busy_timeout"), conn)
                .context(|| "reading the SQLite busy timeout".into())?;
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}",
            sqlite_busy_ms(timeouts.lock)
        ))
        .context(|| "setting the SQLite busy timeout".into())?;
        let result = body(conn);
        let restored = match previous.first() {
            Some(previous) => conn
                .batch_execute(&format!("PRAGMA busy_timeout = {}", previous.timeout))
                .context(|| "restoring the SQLite busy timeout".into()),
            None => Ok(()),
        };
        let value = result?;
        restored?;
        Ok(value)
    }
}

#[cfg(feature = "sqlite")]
pub(super) use sqlite::with_busy_timeout as sqlite_with_busy_timeout;

/// What the engine said about who holds the lock: `held by ENGINE a and b`
/// (the named lock) or `open transactions holding row locks: ENGINE a; b`;
/// `None` when it named nobody.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn holders_line(engine: &str, named_lock: bool, described: &[String]) -> Option<String> {
    if described.is_empty() {
        return None;
    }
    Some(if named_lock {
        format!("held by {engine} {}", described.join(" and "))
    } else {
        format!(
            "open transactions holding row locks: {engine} {}",
            described.join("; ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_waits_forever_on_every_engine() {
        assert_eq!(postgres_ms(Duration::ZERO), 0, "PostgreSQL: 0 disables");
        assert_eq!(
            sqlite_busy_ms(Duration::ZERO),
            MAX_MS,
            "SQLite: 0 would not wait"
        );
        assert_eq!(mysql_lock_secs(Duration::ZERO), MYSQL_FOREVER_SECS);
    }

    #[test]
    fn durations_map_to_each_engine_s_units() {
        assert_eq!(postgres_ms(Duration::from_millis(1500)), 1500);
        assert_eq!(
            postgres_ms(Duration::from_micros(10)),
            1,
            "never 0 (= none)"
        );
        assert_eq!(postgres_ms(Duration::from_secs(u64::MAX)), MAX_MS);
        assert_eq!(sqlite_busy_ms(Duration::from_secs(5)), 5000);
        assert_eq!(mysql_lock_secs(Duration::from_millis(500)), 1);
        assert_eq!(mysql_lock_secs(Duration::from_millis(1001)), 2);
        assert_eq!(mysql_lock_secs(Duration::from_secs(5)), 5);
        assert_eq!(
            effective_lock(Backend::Mysql, Duration::from_millis(1500)),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn the_engines_timeout_messages_are_recognised() {
        assert_eq!(
            hit(Backend::Postgres, "canceling statement due to lock timeout"),
            Some(Hit::Lock)
        );
        assert_eq!(
            hit(
                Backend::Postgres,
                "canceling statement due to statement timeout"
            ),
            Some(Hit::Statement)
        );
        assert_eq!(
            hit(
                Backend::Mysql,
                "Lock wait timeout exceeded; try restarting transaction"
            ),
            Some(Hit::Lock)
        );
        assert_eq!(
            hit(
                Backend::Mysql,
                "Query execution was interrupted (max_statement_time exceeded)"
            ),
            Some(Hit::Statement)
        );
        assert_eq!(
            hit(
                Backend::Mysql,
                "Query execution was interrupted, maximum statement execution time exceeded"
            ),
            Some(Hit::Statement)
        );
        assert_eq!(hit(Backend::Sqlite, "database is locked"), Some(Hit::Lock));
        assert_eq!(hit(Backend::Postgres, "duplicate key value"), None);
    }

    #[test]
    fn timeouts_are_told_from_other_errors_by_the_driver_s_message() {
        let failed = |message: &str| {
            Error::database(
                "locking the model rows this apply may remove",
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::Unknown,
                    Box::new(message.to_owned()),
                ),
            )
        };
        assert_eq!(
            timed_out(
                Backend::Postgres,
                &failed("canceling statement due to lock timeout")
            ),
            Some((Hit::Lock, "locking the model rows this apply may remove"))
        );
        assert_eq!(
            timed_out(Backend::Postgres, &failed("deadlock detected")),
            None
        );
        // A migration's statement, as the harness reports it.
        let migration = Error::Migration {
            reason: "Failed to run 2026-01-01-000000_x with: Lock wait timeout exceeded; try \
                     restarting transaction"
                .into(),
        };
        assert_eq!(
            timed_out(Backend::Mysql, &migration),
            Some((Hit::Lock, MIGRATIONS))
        );
        assert_eq!(timed_out(Backend::Sqlite, &migration), None);
        assert_eq!(
            timed_out(Backend::Sqlite, &Error::Diverged("x".into())),
            None
        );
    }

    #[test]
    fn lock_labels() {
        assert_eq!(lock_label(ADVISORY_LOCK_KEY), "deploy lock");
        assert_eq!(lock_label(DELIVERY_LOCK_KEY), "delivery lock");
        assert_eq!(lock_label(1), "advisory lock");
    }
}
