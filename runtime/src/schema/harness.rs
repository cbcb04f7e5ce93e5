//! The runtime's migration harness: diesel's [`MigrationHarness`] over any of
//! the runtime's connections, recording versions in
//! [`SCHEMA_MIGRATIONS_TABLE`] instead of the host's `__diesel_schema_migrations`.
//!
//! diesel_migrations' own harness is a blanket impl on every connection that
//! hard-codes `__diesel_schema_migrations`; this one does what that impl does
//! (run the migration, record or remove its version, each migration in a
//! transaction when its metadata asks for one) with two differences: the
//! table, and no transaction on an engine whose DDL commits on its own
//! (MySQL), where it would only pretend to be atomic.

use diesel::connection::{Connection, LoadConnection};
use diesel::migration::{self, Migration, MigrationSource, MigrationVersion};
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::query_dsl::{LoadQuery, RunQueryDsl};
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryResult, QueryableByName};
use diesel_migrations::MigrationHarness;

use super::SCHEMA_MIGRATIONS_TABLE;
use crate::db::{Bind, Query};

/// One version row.
#[derive(QueryableByName)]
pub(crate) struct VersionRow {
    #[diesel(sql_type = Text)]
    version: String,
}

/// `COUNT(*) AS n`.
#[derive(QueryableByName)]
pub(crate) struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A diesel connection of one of the runtime's engines, as the schema code
/// uses it: the runtime's statements ([`Query`]) run on it. Implemented for
/// every connection they can run on (PostgreSQL, SQLite, MySQL), so the
/// harness and the upgrade are one code path for all three.
pub(crate) trait SchemaConnection: Connection + LoadConnection + 'static {
    /// Runs a statement; the number of rows it affected.
    fn run(&mut self, query: Query) -> QueryResult<usize>;
    /// Loads the `version` column of a query's rows.
    fn versions(&mut self, query: Query) -> QueryResult<Vec<String>>;
    /// Loads the `n` column of a query's first row (0 without rows).
    fn count(&mut self, query: Query) -> QueryResult<i64>;
}

impl<C> SchemaConnection for C
where
    C: Connection + LoadConnection + 'static,
    Query:
        ExecuteDsl<C> + for<'q> LoadQuery<'q, C, VersionRow> + for<'q> LoadQuery<'q, C, CountRow>,
{
    fn run(&mut self, query: Query) -> QueryResult<usize> {
        RunQueryDsl::execute(query, self)
    }

    fn versions(&mut self, query: Query) -> QueryResult<Vec<String>> {
        let rows: Vec<VersionRow> = RunQueryDsl::load(query, self)?;
        Ok(rows.into_iter().map(|row| row.version).collect())
    }

    fn count(&mut self, query: Query) -> QueryResult<i64> {
        let rows: Vec<CountRow> = RunQueryDsl::load(query, self)?;
        Ok(rows.first().map_or(0, |row| row.n))
    }
}

/// Creates [`SCHEMA_MIGRATIONS_TABLE`] when it does not exist: the shape of
/// diesel's `__diesel_schema_migrations` (DDL: on MySQL it commits).
pub(crate) fn create_table<C: SchemaConnection>(conn: &mut C) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {SCHEMA_MIGRATIONS_TABLE} (\
         version VARCHAR(50) PRIMARY KEY NOT NULL, \
         run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    ))
}

/// Records `version` as applied now.
pub(crate) fn record<C: SchemaConnection>(conn: &mut C, version: &str) -> QueryResult<()> {
    conn.run(
        Query::new(format!(
            "INSERT INTO {SCHEMA_MIGRATIONS_TABLE} (version) VALUES ("
        ))
        .bind(Bind::Text(version.to_owned()))
        .sql(")"),
    )?;
    Ok(())
}

/// The versions of `source`, oldest first.
pub(crate) fn versions_of<DB, S>(source: &S) -> migration::Result<Vec<String>>
where
    DB: diesel::backend::Backend,
    S: MigrationSource<DB>,
{
    let mut versions: Vec<String> = source
        .migrations()?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    versions.sort_unstable();
    Ok(versions)
}

/// A [`MigrationHarness`] over one connection, tracking versions in
/// [`SCHEMA_MIGRATIONS_TABLE`].
pub(crate) struct Harness<'c, C> {
    conn: &'c mut C,
    /// Whether the engine's DDL is transactional (each migration then runs
    /// in a transaction of its own when its metadata asks for one).
    transactional_ddl: bool,
}

impl<'c, C: SchemaConnection> Harness<'c, C> {
    /// The harness over `conn`; `transactional_ddl` as the engine's dialect says.
    pub(crate) fn new(conn: &'c mut C, transactional_ddl: bool) -> Self {
        Self {
            conn,
            transactional_ddl,
        }
    }

    /// Runs `step` on the connection, in a transaction when `migration` asks
    /// for one and the engine's DDL can be rolled back.
    fn step(
        &mut self,
        migration: &dyn Migration<C::Backend>,
        step: impl FnOnce(&mut C) -> migration::Result<()>,
    ) -> migration::Result<()> {
        if self.transactional_ddl && migration.metadata().run_in_transaction() {
            self.conn.transaction(step)
        } else {
            step(self.conn)
        }
    }
}

impl<C: SchemaConnection> MigrationHarness<C::Backend> for Harness<'_, C> {
    fn run_migration(
        &mut self,
        migration: &dyn Migration<C::Backend>,
    ) -> migration::Result<MigrationVersion<'static>> {
        let version = migration.name().version().as_owned();
        // A phase boundary for logs and the crash tests (nothing else reads it).
        tracing::debug!(target: "llm_lifecycle::phase", phase = "migration", %version, "running schema migration");
        self.step(migration, |conn| {
            migration.run(conn)?;
            record(conn, &version.to_string())?;
            Ok(())
        })?;
        Ok(version)
    }

    fn revert_migration(
        &mut self,
        migration: &dyn Migration<C::Backend>,
    ) -> migration::Result<MigrationVersion<'static>> {
        let version = migration.name().version().as_owned();
        self.step(migration, |conn| {
            migration.revert(conn)?;
            conn.run(
                Query::new(format!(
                    "DELETE FROM {SCHEMA_MIGRATIONS_TABLE} WHERE version = "
                ))
                .bind(Bind::Text(version.to_string())),
            )?;
            Ok(())
        })?;
        Ok(version)
    }

    /// Newest first, as diesel's harness lists them (creating the table
    /// first, as diesel's does).
    fn applied_migrations(&mut self) -> migration::Result<Vec<MigrationVersion<'static>>> {
        create_table(self.conn)?;
        let versions = self.conn.versions(Query::new(format!(
            "SELECT version FROM {SCHEMA_MIGRATIONS_TABLE} ORDER BY version DESC"
        )))?;
        Ok(versions.into_iter().map(MigrationVersion::from).collect())
    }
}
