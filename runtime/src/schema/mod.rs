//! The runtime's own schema as embedded diesel migrations, two sets per
//! backend, and where they are tracked.
//!
//! - **The core set** (`runtime/migrations/{postgres,sqlite,mysql}`): the run
//!   ledger, the event journal, the notifications and, on PostgreSQL, the
//!   `llm_lifecycle_try_jsonb` function. Always run.
//! - **The model-table set** (`runtime/migrations/model-table/{postgres,sqlite,mysql}`):
//!   the runtime's own model table, `llm_provider_models`. Run only when the
//!   runtime owns the model table (`run_pending(conn, true)`); a catalogue
//!   that names a host table in `[model_table]` never gets one.
//!
//! **Tracking.** Both sets record their versions in a table of the runtime's
//! own, [`SCHEMA_MIGRATIONS_TABLE`] (`llm_lifecycle_schema_migrations`, the
//! shape of diesel's: `version VARCHAR(50) PRIMARY KEY`, `run_on TIMESTAMP NOT
//! NULL DEFAULT CURRENT_TIMESTAMP`), never in `__diesel_schema_migrations`:
//! that table belongs to the host, and a version of ours in it breaks the
//! host's `diesel migration revert/redo` and its `embed_migrations!` harness
//! ("Unable to find migration version … to revert"). diesel_migrations' own
//! harness hard-codes its table, so the runtime has its own
//! (`harness::Harness`), which runs each migration in a transaction when its
//! metadata asks for one and the engine's DDL is transactional (PostgreSQL,
//! SQLite: inside the apply transaction, as a savepoint), and without one on
//! MySQL, whose DDL commits statement by statement (there the migrations run
//! before the apply transaction, under the deploy lock; see
//! `Database::locked_session`).
//!
//! **Upgrade in place** (under the same lock, before any migration runs):
//! releases before 2026-12-03 recorded the runtime's versions in the host's
//! `__diesel_schema_migrations`, and their 2026-11-26-000001 created
//! `llm_provider_models`. On such a database `run_pending`
//! 1. moves the rows whose version is one of the runtime's embedded versions
//!    into `llm_lifecycle_schema_migrations`, `run_on` kept, and deletes them
//!    from `__diesel_schema_migrations` (its other rows, the host's, are never
//!    touched, nor is the table dropped);
//! 2. when 20261126000001 was among them and `llm_provider_models` exists,
//!    records the model-table migration (20261203000001) as applied without
//!    running it (the old 000001 created that very table);
//!
//! in one transaction; nothing is re-run, and a second run finds nothing to move.
//!
//! **Refusal.** When the model-table migration is pending and a table named
//! `llm_provider_models` already exists (one the runtime did not create), it
//! fails before any DDL with [`Error::ForeignModelTable`].

mod harness;
mod upgrade;

use diesel::backend::Backend as DieselBackend;
use diesel::migration::MigrationSource;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::db::Conn;
use crate::db::dialect;
use crate::db::redact;
use crate::error::{Context, Error, one_line};
use harness::{Harness, SchemaConnection};

/// The runtime's notifications table.
pub const NOTIFICATIONS_TABLE: &str = "llm_model_notifications";
/// One row per user per notification, when `recipients_query` is set.
pub const RECIPIENTS_TABLE: &str = "llm_model_notification_recipients";
/// What each `Notifier` (by name) has been handed.
pub const DELIVERIES_TABLE: &str = "llm_model_notification_deliveries";
/// The log of the rows the platform writes while `apply --batch-size` moves
/// references in batches (empty between applies).
pub const WRITTEN_TABLE: &str = "llm_lifecycle_written";
/// The resources a batched apply's notices are about, gathered key range by
/// key range before they are folded into one notice per team (empty between
/// applies).
pub const AFFECTED_TABLE: &str = "llm_lifecycle_affected";
/// Where the runtime records the versions of its migrations (the shape of
/// diesel's `__diesel_schema_migrations`, which is the host's).
pub const SCHEMA_MIGRATIONS_TABLE: &str = "llm_lifecycle_schema_migrations";

/// diesel's table of applied migrations: the host's. The runtime only ever
/// reads and deletes its own versions there (see the upgrade in the module docs).
const HOST_MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";
/// The runtime's own model table, created by the model-table set.
const MODEL_TABLE: &str = "llm_provider_models";
/// The model-table set's migration that creates [`MODEL_TABLE`].
const MODEL_TABLE_VERSION: &str = "20261203000001";
/// The core migration whose content before 2026-12-03 created [`MODEL_TABLE`].
const LEGACY_MODEL_TABLE_VERSION: &str = "20261126000001";

/// The migrations of one engine.
struct Sets {
    /// Always run.
    core: &'static EmbeddedMigrations,
    /// Run when the runtime owns the model table.
    model_table: &'static EmbeddedMigrations,
}

/// PostgreSQL (`runtime/migrations/postgres`, `runtime/migrations/model-table/postgres`).
#[cfg(feature = "postgres")]
const POSTGRES: Sets = Sets {
    core: &embed_migrations!("migrations/postgres"),
    model_table: &embed_migrations!("migrations/model-table/postgres"),
};
/// MySQL / MariaDB (`runtime/migrations/mysql`, `runtime/migrations/model-table/mysql`).
/// MySQL commits every DDL statement on its own, so they run before the apply
/// transaction, under the deploy lock (see `Database::locked_session`).
#[cfg(feature = "mysql")]
const MYSQL: Sets = Sets {
    core: &embed_migrations!("migrations/mysql"),
    model_table: &embed_migrations!("migrations/model-table/mysql"),
};
/// SQLite (`runtime/migrations/sqlite`, `runtime/migrations/model-table/sqlite`).
#[cfg(feature = "sqlite")]
const SQLITE: Sets = Sets {
    core: &embed_migrations!("migrations/sqlite"),
    model_table: &embed_migrations!("migrations/model-table/sqlite"),
};

/// Brings the runtime's schema up to date: upgrades the tracking of a
/// database an earlier release migrated, then runs the core migrations not
/// yet applied and, when `owned_model_table` (no `[model_table]` in the
/// catalogue), the model-table ones. The versions it applied, oldest first
/// within each set (moved or adopted versions are not among them: nothing ran).
///
/// Call it under the deploy lock: in the locked transaction on engines with
/// transactional DDL, in a locked session on MySQL.
///
/// # Errors
/// [`Error::ForeignModelTable`] before any DDL when the model table is to be
/// created and a table of its name exists; [`Error::Migration`] when a
/// migration fails; [`Error::Database`] when reading or moving the versions fails.
pub(crate) fn run_pending(
    conn: &mut Conn<'_>,
    owned_model_table: bool,
) -> Result<Vec<String>, Error> {
    let backend = conn.backend();
    let dialect = dialect::of(backend);
    let (table_exists, transactional_ddl) = (dialect.table_exists(), dialect.transactional_ddl());
    let migrate = |sets| Migrate {
        sets,
        table_exists,
        transactional_ddl,
        owned_model_table,
    };
    let applied = match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => migrate(&POSTGRES).run(&mut **c),
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) => migrate(&SQLITE).run(&mut **c),
        #[cfg(feature = "mysql")]
        Conn::Mysql(c) => migrate(&MYSQL).run(&mut **c),
    }?;
    for version in &applied {
        tracing::info!(version, "applied schema migration");
    }
    Ok(applied)
}

/// One run of [`run_pending`] on one engine.
struct Migrate {
    sets: &'static Sets,
    /// The dialect's `table_exists` query (the name is bound after it).
    table_exists: &'static str,
    transactional_ddl: bool,
    owned_model_table: bool,
}

impl Migrate {
    fn run<C: SchemaConnection>(&self, conn: &mut C) -> Result<Vec<String>, Error> {
        let core = self.sets.core;
        let model_table = self.sets.model_table;
        let mut runtime_versions = versions_of::<C::Backend>(core)?;
        runtime_versions.extend(versions_of::<C::Backend>(model_table)?);

        let state = upgrade::inspect(conn, self.table_exists, &runtime_versions)?;
        if self.owned_model_table && state.foreign_model_table() {
            return Err(Error::ForeignModelTable {
                table: MODEL_TABLE.to_owned(),
            });
        }
        harness::create_table(conn).context(|| format!("creating {SCHEMA_MIGRATIONS_TABLE}"))?;
        upgrade::carry_over(conn, &state)?;

        let mut harness = Harness::new(conn, self.transactional_ddl);
        let mut applied = run_set(&mut harness, core)?;
        if self.owned_model_table {
            applied.extend(run_set(&mut harness, model_table)?);
        }
        Ok(applied)
    }
}

/// The versions `set` embeds, oldest first.
fn versions_of<DB: DieselBackend>(set: &EmbeddedMigrations) -> Result<Vec<String>, Error> {
    harness::versions_of::<DB, _>(set).map_err(|e| migration_error(&*e))
}

/// Runs the migrations of `set` not yet applied; their versions, oldest first.
fn run_set<C: SchemaConnection>(
    harness: &mut Harness<'_, C>,
    set: &EmbeddedMigrations,
) -> Result<Vec<String>, Error> {
    harness
        .run_pending_migrations(Embedded(set))
        .map(|applied| applied.iter().map(ToString::to_string).collect())
        .map_err(|e| migration_error(&*e))
}

/// An embedded set by reference (diesel's `MigrationSource` takes the source
/// by value, and `EmbeddedMigrations` is not `Copy`).
struct Embedded<'a>(&'a EmbeddedMigrations);

impl<DB: DieselBackend> MigrationSource<DB> for Embedded<'_> {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<DB>>>> {
        self.0.migrations()
    }
}

/// [`Error::Migration`] for the harness's error, on one line, passwords redacted.
fn migration_error(error: &(dyn std::error::Error + Send + Sync)) -> Error {
    Error::Migration {
        reason: one_line(&redact(&error.to_string())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use llm_lifecycle_test_support::TestDb;

    use super::*;
    use crate::db::{Database, DatabaseUrl};

    fn versions(set: &EmbeddedMigrations) -> Vec<String> {
        // The versions do not depend on the backend.
        #[cfg(feature = "sqlite")]
        type Any = diesel::sqlite::Sqlite;
        #[cfg(all(not(feature = "sqlite"), feature = "postgres"))]
        type Any = diesel::pg::Pg;
        #[cfg(all(not(feature = "sqlite"), not(feature = "postgres")))]
        type Any = diesel::mysql::Mysql;
        versions_of::<Any>(set).unwrap()
    }

    fn sets() -> Vec<&'static Sets> {
        vec![
            #[cfg(feature = "postgres")]
            &POSTGRES,
            #[cfg(feature = "sqlite")]
            &SQLITE,
            #[cfg(feature = "mysql")]
            &MYSQL,
        ]
    }

    /// Every engine has the same versions; the upgrade's two versions are
    /// where it expects them.
    #[test]
    fn every_engine_embeds_the_same_versions() {
        let all = sets();
        let first = &all[0];
        for sets in &all {
            assert_eq!(versions(sets.core), versions(first.core));
            assert_eq!(versions(sets.model_table), versions(first.model_table));
        }
        assert!(versions(first.core).contains(&LEGACY_MODEL_TABLE_VERSION.to_owned()));
        assert_eq!(
            versions(first.model_table).first().map(String::as_str),
            Some(MODEL_TABLE_VERSION)
        );
        // One table records both sets: their versions never collide.
        let core = versions(first.core);
        assert!(
            versions(first.model_table)
                .iter()
                .all(|v| !core.contains(v))
        );
    }

    fn run(db: &TestDb, owned_model_table: bool) -> Result<Vec<String>, Error> {
        let mut database = Database::connect(&DatabaseUrl::parse(db.url()).unwrap()).unwrap();
        database.locked_session(&crate::db::Timeouts::default(), |conn| {
            run_pending(conn, owned_model_table)
        })
    }

    /// Which of `names` are tables of the database, in the order given.
    fn tables(db: &TestDb, names: &[&str]) -> Vec<String> {
        let listed = match db.backend() {
            llm_lifecycle_test_support::Backend::Sqlite => {
                "SELECT name AS v FROM sqlite_master WHERE type = 'table'"
            }
            llm_lifecycle_test_support::Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT) AS v FROM information_schema.tables \
                 WHERE table_schema = current_schema()"
            }
            llm_lifecycle_test_support::Backend::Mysql => {
                "SELECT CAST(table_name AS CHAR) AS v FROM information_schema.tables \
                 WHERE table_schema = DATABASE()"
            }
        };
        let present: Vec<String> = db.strings(listed).into_iter().flatten().collect();
        names
            .iter()
            .filter(|name| present.iter().any(|table| table == *name))
            .map(|name| (*name).to_owned())
            .collect()
    }

    fn tracked(db: &TestDb) -> Vec<String> {
        let mut versions: Vec<String> = db
            .strings(&format!(
                "SELECT version AS v FROM {SCHEMA_MIGRATIONS_TABLE}"
            ))
            .into_iter()
            .flatten()
            .collect();
        versions.sort();
        versions
    }

    /// Without the model table: the core set alone, then the model-table set
    /// when the catalogue stops naming a host table.
    fn a_host_model_table_gets_no_llm_provider_models(db: &TestDb) {
        let core = versions(sets()[0].core);
        assert_eq!(run(db, false).unwrap(), core);
        assert_eq!(
            tables(
                db,
                &[MODEL_TABLE, "llm_lifecycle_runs", NOTIFICATIONS_TABLE]
            ),
            ["llm_lifecycle_runs", NOTIFICATIONS_TABLE]
        );
        assert_eq!(tracked(db), core);
        assert_eq!(run(db, false).unwrap(), Vec::<String>::new());
        // The runtime owns it from now on: only the model-table set runs.
        assert_eq!(run(db, true).unwrap(), [MODEL_TABLE_VERSION]);
        assert_eq!(tables(db, &[MODEL_TABLE]), [MODEL_TABLE]);
        assert_eq!(run(db, true).unwrap(), Vec::<String>::new());
    }

    /// A host table named `llm_provider_models` is left alone when the
    /// catalogue names it, and refused when the runtime would create its own.
    fn a_host_table_of_that_name_is_left_alone_or_refused(db: &TestDb) {
        db.execute("CREATE TABLE llm_provider_models (pk BIGINT PRIMARY KEY, label TEXT)");
        db.execute("INSERT INTO llm_provider_models (pk, label) VALUES (7, 'host')");
        assert_eq!(run(db, false).unwrap(), versions(sets()[0].core));
        let Err(error) = run(db, true) else {
            panic!("the runtime created its model table over the host's");
        };
        assert!(matches!(error, Error::ForeignModelTable { .. }), "{error}");
        assert_eq!(
            db.string("SELECT label AS v FROM llm_provider_models WHERE pk = 7"),
            "host"
        );
        assert!(!tracked(db).contains(&MODEL_TABLE_VERSION.to_owned()));
    }

    llm_lifecycle_test_support::backend_tests!(
        a_host_model_table_gets_no_llm_provider_models,
        a_host_table_of_that_name_is_left_alone_or_refused,
    );
}
