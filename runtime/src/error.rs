//! What can go wrong while converging a database, each with what to do about it.

use std::time::Duration;

use crate::backend::Backend;
use crate::diff::Plan;
use crate::redact::redact;

/// An error from the runtime. Every message is one line, names where it happened
/// and never contains a password: the constructors redact what the driver said,
/// and `Display` redacts every field that can carry a database URL once more
/// (see [`redact`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database location cannot be used.
    #[error("bad database URL `{}`: {reason}", redact(.url))]
    BadUrl {
        /// The location, password redacted.
        url: String,
        /// What is wrong with it and what to pass instead.
        reason: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to the {backend} database at {}: {}", redact(.url), redact(.reason))]
    Connect {
        /// The location, password redacted.
        url: String,
        /// The engine it names.
        backend: Backend,
        /// The driver's explanation, on one line.
        reason: String,
    },
    /// A statement failed; nothing the current transaction did was kept.
    /// The driver's error is the [`source`](std::error::Error::source) (see
    /// [`Error::database_error_kind`] to tell a unique violation from a
    /// serialization failure). When the server closed the connection (a
    /// terminated backend, a killed connection, a restart) the message says
    /// so and that nothing was committed.
    #[error("{}", database_message(.context, .source))]
    Database {
        /// What the runtime was doing.
        context: String,
        /// What the database said (shown and debugged with passwords redacted).
        #[source]
        source: DriverError,
    },
    /// The location names an engine this build was compiled without.
    #[error(
        "{} is a {backend} database, but this build has no {backend} support; rebuild with the \
         cargo feature `{feature}` (llm-lifecycle-runtime, or the llm-lifecycle crate)",
        redact(.url)
    )]
    BackendNotBuilt {
        /// The location, password redacted.
        url: String,
        /// The engine it names.
        backend: Backend,
        /// The cargo feature that compiles it in.
        feature: &'static str,
    },
    /// A read-only command was pointed at a SQLite file that does not exist.
    #[error(
        "the SQLite database {} does not exist yet; check the path (`apply-models` or \
         `apply-models migrate` would create it; read-only commands never do)",
        redact(.url)
    )]
    NoDatabase {
        /// The location, password redacted.
        url: String,
    },
    /// The runtime's own schema could not be brought up to date.
    #[error("cannot migrate the llm-lifecycle schema: {} (is the database writable?)", redact(.reason))]
    Migration {
        /// The migration harness's explanation, on one line.
        reason: String,
    },
    /// The runtime's model table is to be created, and a table of its name
    /// that the runtime did not create already exists; nothing was written.
    #[error(
        "a table named {table} already exists and was not created by llm-lifecycle: if it is \
         your platform's model table, describe it in [model_table] in models.toml (table and \
         column names); otherwise rename or drop it"
    )]
    ForeignModelTable {
        /// The table (`llm_provider_models`).
        table: String,
    },
    /// The plan has problems that must be fixed before anything is written.
    #[error("plan refused: {}", .0.refusals.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Refused(Box<Plan>),
    /// A test-only failure point was reached (cargo feature `test-hooks`).
    #[cfg(feature = "test-hooks")]
    #[error("injected failure at {0:?}; the transaction was rolled back")]
    Injected(crate::hooks::FailPoint),
    /// A lock could not be had within the lock timeout (`--lock-timeout`,
    /// [`Timeouts::lock`](crate::Timeouts::lock)): the deploy lock, or a row
    /// or table lock a statement waited for. The transaction was rolled back.
    #[error(
        "lock timeout: gave up after {} waiting for {waiting_for}{}; the transaction was rolled \
         back. Retry the deploy once the holder is done, or raise --lock-timeout (0 waits forever)",
        human_duration(*.timeout),
        holder_suffix(.holder.as_deref())
    )]
    LockTimeout {
        /// What the runtime was waiting for: `the deploy lock (…)`, or `a row
        /// or table lock while …` naming the step.
        waiting_for: String,
        /// The lock timeout in force, as the engine counts it (MySQL rounds up
        /// to whole seconds).
        timeout: Duration,
        /// Who held it, as the database told a short read after the failure
        /// (PostgreSQL: pid, `application_name`, state, query start; MySQL: the
        /// connection id and its process-list row); `None` when it could not
        /// tell (SQLite never can).
        holder: Option<String>,
    },
    /// A statement ran longer than the statement timeout (`--statement-timeout`,
    /// [`Timeouts::statement`](crate::Timeouts::statement)), or than the
    /// server's own when none was given. The transaction was rolled back.
    #[error(
        "statement timeout: a statement ran longer than {} while {statement}{}; the transaction \
         was rolled back. Retry the deploy, or raise --statement-timeout (0: no limit)",
        .timeout.map_or_else(|| "the server's statement timeout".to_owned(), human_duration),
        holder_suffix(.holder.as_deref())
    )]
    StatementTimeout {
        /// What the runtime was doing: `waiting for the deploy lock`,
        /// `locking the model rows this apply may remove`, …
        statement: String,
        /// The statement timeout given (`None`: the server's own setting).
        timeout: Option<Duration>,
        /// The sessions holding locks the statement may have waited for, as
        /// for [`Error::LockTimeout`].
        holder: Option<String>,
    },
    /// The database changed in a way the plan did not predict; everything was rolled back.
    #[error("{0}; everything was rolled back, run the command again")]
    Diverged(String),
}

impl Error {
    /// Wraps a diesel error with what the runtime was doing.
    pub(crate) fn database(context: impl Into<String>, error: diesel::result::Error) -> Self {
        Self::Database {
            context: context.into(),
            source: DriverError(error),
        }
    }

    /// For a statement the database rejected, what kind of failure it was
    /// (unique violation, serialization failure, …).
    #[must_use]
    pub fn database_error_kind(&self) -> Option<&diesel::result::DatabaseErrorKind> {
        match self {
            Self::Database {
                source: DriverError(diesel::result::Error::DatabaseError(kind, _)),
                ..
            } => Some(kind),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        Self::database("running a transaction", error)
    }
}

/// A diesel error as the runtime shows it: on one line, passwords redacted
/// (in `Display` and `Debug` alike); [`DriverError::get`] gives the error itself.
pub struct DriverError(diesel::result::Error);

impl DriverError {
    /// The diesel error.
    #[must_use]
    pub fn get(&self) -> &diesel::result::Error {
        &self.0
    }
}

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&one_line(&redact(&self.0.to_string())))
    }
}

impl std::fmt::Debug for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DriverError({:?})", self.to_string())
    }
}

impl std::error::Error for DriverError {}

/// Extension for annotating diesel results with what was being done.
pub(crate) trait Context<T> {
    /// Turns a diesel error into [`Error::Database`] naming `context`.
    fn context(self, context: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, diesel::result::Error> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|e| Error::database(context(), e))
    }
}

/// The message of [`Error::Database`]: one actionable line when the
/// connection was lost under the statement.
fn database_message(context: &str, source: &DriverError) -> String {
    if connection_lost(&source.0) {
        format!(
            "the database connection was closed by the server while {context} ({source}); \
             nothing was committed; rerun the deploy"
        )
    } else {
        format!("database error while {context}: {source}")
    }
}

/// Whether `error` says the connection is gone: closed by the server
/// (PostgreSQL `pg_terminate_backend`, MySQL `KILL CONNECTION`, a restart)
/// or cut on the way. The drivers report it as text (tokio-postgres
/// `connection closed`, mysql_async `Connection to the server is closed`).
fn connection_lost(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error as Diesel};
    let message = match error {
        Diesel::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => return true,
        Diesel::DatabaseError(_, info) => info.message().to_ascii_lowercase(),
        _ => return false,
    };
    [
        "connection closed",
        "connection to the server is closed",
        "terminating connection due to administrator command",
        "server has gone away",
        "lost connection to",
        "connection was killed",
        "connection reset by peer",
        "broken pipe",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// A duration as the command line takes it: `500ms`, `5s`, `2m`, `1h`, `0`.
pub(crate) fn human_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    if duration.is_zero() {
        "0".to_owned()
    } else if ms == 0 {
        "1ms".to_owned()
    } else if ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// `; HOLDER` (redacted, on one line), or nothing.
fn holder_suffix(holder: Option<&str>) -> String {
    holder.map_or_else(String::new, |holder| {
        format!("; {}", one_line(&redact(holder)))
    })
}

/// Collapses a multi-line driver message (libpq adds hints on new lines) into one line.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A driver message that quotes a URL, through every variant that carries one.
    #[test]
    fn driver_messages_quoting_a_url_are_redacted() {
        let quoted = "could not connect to \"postgres://app:hunter2@db/x?password=hunter3\"";
        let diesel = diesel::result::Error::QueryBuilderError(quoted.into());
        let errors = [
            Error::database("reading", diesel),
            Error::from(diesel::result::Error::QueryBuilderError(quoted.into())),
            Error::Connect {
                url: "postgres://app:hunter2@db/x".into(),
                backend: Backend::Postgres,
                reason: quoted.into(),
            },
            Error::Migration {
                reason: quoted.into(),
            },
            Error::BadUrl {
                url: "postgres://app:pa?hunter2@db/x".into(),
                reason: "no".into(),
            },
            Error::NoDatabase {
                url: "x.db password=hunter2".into(),
            },
        ];
        for error in errors {
            let shown = error.to_string();
            assert!(!shown.contains("hunter"), "{shown}");
            assert!(shown.contains("***"), "{shown}");
        }
        // The constructors store the redacted text: Debug is safe too.
        let diesel = diesel::result::Error::QueryBuilderError(quoted.into());
        let debug = format!("{:?}", Error::database("reading", diesel));
        assert!(!debug.contains("hunter"), "{debug}");
    }

    #[test]
    fn a_connection_closed_by_the_server_is_one_actionable_line() {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        for said in [
            "connection closed",
            "Input/output error: Driver error: `Connection to the server is closed.'",
        ] {
            let error = Error::from(Diesel::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new(said.to_owned()),
            ));
            let shown = error.to_string();
            assert!(
                shown.starts_with(
                    "the database connection was closed by the server while running a transaction ("
                ),
                "{shown}"
            );
            assert!(
                shown.ends_with("; nothing was committed; rerun the deploy"),
                "{shown}"
            );
        }
        let other = Error::database(
            "reading",
            Diesel::DatabaseError(DatabaseErrorKind::Unknown, Box::new("syntax".to_owned())),
        );
        assert_eq!(other.to_string(), "database error while reading: syntax");
    }

    #[test]
    fn durations_are_shown_as_the_command_line_takes_them() {
        let shown = |ms| human_duration(Duration::from_millis(ms));
        assert_eq!(shown(0), "0");
        assert_eq!(shown(500), "500ms");
        assert_eq!(shown(1500), "1500ms");
        assert_eq!(shown(5000), "5s");
        assert_eq!(shown(120_000), "2m");
        assert_eq!(shown(7_200_000), "2h");
        assert_eq!(human_duration(Duration::from_micros(3)), "1ms");
    }

    /// A caller can tell a unique violation apart: the driver's error is kept.
    #[test]
    #[cfg(feature = "sqlite")]
    fn the_driver_error_is_the_source_and_its_kind_is_known() {
        use diesel::connection::SimpleConnection;
        use diesel::{Connection, RunQueryDsl};
        let Ok(mut conn) = diesel::sqlite::SqliteConnection::establish(":memory:") else {
            panic!("an in-memory SQLite database");
        };
        let setup = conn
            .batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);");
        assert!(setup.is_ok(), "{setup:?}");
        let duplicate = diesel::sql_query("INSERT INTO t VALUES (1)").execute(&mut conn);
        let Err(diesel_error) = duplicate else {
            panic!("the duplicate insert must fail");
        };
        let error = Error::database("inserting", diesel_error);
        assert!(matches!(
            error.database_error_kind(),
            Some(diesel::result::DatabaseErrorKind::UniqueViolation)
        ));
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert!(source.is_some_and(|s| s.contains("UNIQUE")), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("database error while inserting: "),
            "{error}"
        );
    }
}
