//! Throwaway databases on the server: the base data set, created once, and
//! one copy of it per measured run, so every variant starts from identical
//! data. On PostgreSQL a copy is `CREATE DATABASE … TEMPLATE base` (byte
//! identical). MariaDB has no template databases: a copy is a new database
//! with every table of the base created from its own `SHOW CREATE TABLE`
//! (columns, checks, generated columns, indexes, foreign keys and
//! `AUTO_INCREMENT` counters alike) and filled by `INSERT … SELECT` with
//! `unique_checks` and `foreign_key_checks` off (InnoDB's bulk load into an
//! empty table), then `ANALYZE TABLE` and `FLUSH TABLES … FOR EXPORT` (which
//! writes the copy's dirty pages to disk, as PostgreSQL's checkpoint does
//! before `FILE_COPY`), all before the clock starts. Every database this
//! process created is dropped when the [`Server`] is (unless kept on purpose).

use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};
use diesel::QueryableByName;
use diesel::sql_types::Text;

use crate::engine::{Conn, Engine};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The server and the databases created on it.
#[derive(Debug)]
pub(crate) struct Server {
    admin_url: String,
    engine: Engine,
    created: Vec<String>,
    kept: Vec<String>,
}

impl Server {
    /// The engine, as a label (`PostgreSQL`, `MariaDB`).
    pub(crate) fn engine_label(&self) -> &'static str {
        match self.engine {
            Engine::Postgres => "PostgreSQL",
            Engine::Mariadb => "MariaDB",
        }
    }

    /// A server reached through `admin_url` (a database the bench may connect
    /// to in order to create and drop others, usually `postgres`).
    pub(crate) fn new(admin_url: &str) -> Result<Self> {
        let mut conn = Conn::establish(admin_url).context("set --admin-url")?;
        conn.batch("SELECT 1")?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            engine: conn.engine(),
            created: Vec::new(),
            kept: Vec::new(),
        })
    }

    fn admin(&self) -> Result<Conn> {
        Conn::establish(&self.admin_url)
    }

    /// How the results name the server: `PostgreSQL`, or MariaDB's `VERSION()`.
    pub(crate) fn describe(&self) -> Result<String> {
        match self.engine {
            Engine::Postgres => Ok(self.engine.name().to_owned()),
            Engine::Mariadb => {
                let version: Name = self
                    .admin()?
                    .get("SELECT CAST(VERSION() AS CHAR) AS name")?;
                Ok(format!("{} {}", self.engine.name(), version.name))
            }
        }
    }

    /// MariaDB: the server settings the timings depend on most, one line.
    pub(crate) fn settings(&self) -> Result<String> {
        let settings: Name = self.admin()?.get(
            "SELECT CONCAT('innodb_buffer_pool_size ', @@innodb_buffer_pool_size DIV 1048576, \
             ' MiB, innodb_flush_method ', @@innodb_flush_method, \
             ', innodb_flush_log_at_trx_commit ', @@innodb_flush_log_at_trx_commit, \
             ', join_cache_level ', @@join_cache_level) AS name",
        )?;
        Ok(format!("server settings: {}", settings.name))
    }

    /// `DROP DATABASE` of `name` (PostgreSQL: closing any session left on it).
    fn drop_sql(&self, name: &str) -> String {
        match self.engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            Engine::Mariadb => format!("DROP DATABASE IF EXISTS \"{name}\""),
        }
    }

    /// A unique database name starting with `llm_apply_bench_{label}`.
    fn unique_name(label: &str) -> String {
        format!(
            "llm_apply_bench_{label}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Creates an empty database; its name.
    pub(crate) fn create(&mut self, label: &str) -> Result<String> {
        let name = Self::unique_name(label);
        self.admin()?
            .batch(&format!("CREATE DATABASE \"{name}\""))
            .with_context(|| format!("CREATE DATABASE {name}"))?;
        self.created.push(name.clone());
        Ok(name)
    }

    /// Copies `template` (nobody may be connected to it); the copy's name.
    /// `FILE_COPY` copies the files after a checkpoint, so each run starts from
    /// a checkpointed, identical state.
    pub(crate) fn copy(&mut self, template: &str, label: &str) -> Result<String> {
        if self.engine == Engine::Mariadb {
            let name = self.create(label)?;
            self.copy_tables(template, &name)
                .with_context(|| format!("copying {template} into {name}"))?;
            return Ok(name);
        }
        let name = Self::unique_name(label);
        self.admin()?
            .batch(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" STRATEGY FILE_COPY"
            ))
            .with_context(|| format!("CREATE DATABASE {name} TEMPLATE {template}"))?;
        self.created.push(name.clone());
        Ok(name)
    }

    /// Drops a database this server created.
    pub(crate) fn drop_database(&mut self, name: &str) -> Result<()> {
        self.admin()?
            .batch(&self.drop_sql(name))
            .with_context(|| format!("DROP DATABASE {name}"))?;
        self.created.retain(|created| created != name);
        Ok(())
    }

    /// MariaDB: every table of `source` into the empty database `target`.
    fn copy_tables(&self, source: &str, target: &str) -> Result<()> {
        let mut conn = Conn::establish(&self.url(target))?;
        let tables: Vec<Name> = conn.load(&format!(
            "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables \
             WHERE table_schema = '{source}' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ))?;
        conn.batch("SET SESSION unique_checks = 0, foreign_key_checks = 0")?;
        for Name { name: table } in &tables {
            let create: CreateTable =
                conn.get(&format!("SHOW CREATE TABLE \"{source}\".\"{table}\""))?;
            // Unqualified names (the foreign keys' too) resolve in the copy.
            conn.batch(&create.sql)
                .with_context(|| format!("creating {table}"))?;
            let columns: Vec<Name> = conn.load(&format!(
                "SELECT CAST(column_name AS CHAR) AS name FROM information_schema.columns \
                 WHERE table_schema = '{source}' AND table_name = '{table}' \
                 AND is_generated = 'NEVER' ORDER BY ordinal_position"
            ))?;
            let columns = columns
                .iter()
                .map(|column| format!("\"{}\"", column.name))
                .collect::<Vec<_>>()
                .join(", ");
            conn.batch(&format!(
                "INSERT INTO \"{table}\" ({columns}) SELECT {columns} FROM \"{source}\".\"{table}\""
            ))
            .with_context(|| format!("copying the rows of {table}"))?;
        }
        conn.batch("SET SESSION unique_checks = 1, foreign_key_checks = 1")?;
        let list = tables
            .iter()
            .map(|table| format!("\"{}\"", table.name))
            .collect::<Vec<_>>()
            .join(", ");
        conn.batch(&format!("ANALYZE TABLE {list}"))?;
        conn.batch(&format!("FLUSH TABLES {list} FOR EXPORT; UNLOCK TABLES"))?;
        Ok(())
    }

    /// Leaves `name` in place when the server is dropped (for `EXPLAIN ANALYZE`).
    pub(crate) fn keep(&mut self, name: &str) {
        self.created.retain(|created| created != name);
        self.kept.push(name.to_owned());
    }

    /// The URL of database `name` on this server.
    pub(crate) fn url(&self, name: &str) -> String {
        with_database(&self.admin_url, name)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for name in std::mem::take(&mut self.created) {
            let dropped = self.admin().and_then(|mut conn| {
                conn.batch(&self.drop_sql(&name))
                    .map_err(anyhow::Error::from)
            });
            if let Err(error) = dropped {
                eprintln!("could not drop the bench database {name}: {error:#}; drop it by hand");
            }
        }
        for name in &self.kept {
            eprintln!("kept database {name}: drop it with DROP DATABASE \"{name}\"");
        }
    }
}

/// A name read from `information_schema`.
#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// A row of MariaDB's `SHOW CREATE TABLE`.
#[derive(QueryableByName)]
struct CreateTable {
    #[diesel(sql_type = Text, column_name = "Create Table")]
    sql: String,
}

/// `admin_url` with its database name replaced by `name` (query string kept).
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..host_end])
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "y"),
            "postgres://u:p@h/y?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "z"), "postgres://h:1/z");
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306/mysql", "b"),
            "mysql://root@127.0.0.1:3306/b"
        );
    }
}
