//! Throwaway databases on the PostgreSQL server: the base data set, created
//! once, and one `CREATE DATABASE … TEMPLATE base` copy per measured run, so
//! every variant starts from byte-identical data. Every database this process
//! created is dropped when the [`Server`] is (unless kept on purpose).

use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The server and the databases created on it.
#[derive(Debug)]
pub(crate) struct Server {
    admin_url: String,
    created: Vec<String>,
    kept: Vec<String>,
}

impl Server {
    /// A server reached through `admin_url` (a database the bench may connect
    /// to in order to create and drop others, usually `postgres`).
    pub(crate) fn new(admin_url: &str) -> Result<Self> {
        let mut conn = PgConnection::establish(admin_url)
            .with_context(|| format!("connecting to {admin_url} (set --admin-url)"))?;
        conn.batch_execute("SELECT 1")?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            created: Vec::new(),
            kept: Vec::new(),
        })
    }

    fn admin(&self) -> Result<PgConnection> {
        PgConnection::establish(&self.admin_url)
            .with_context(|| format!("connecting to {}", self.admin_url))
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
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .with_context(|| format!("CREATE DATABASE {name}"))?;
        self.created.push(name.clone());
        Ok(name)
    }

    /// Copies `template` (nobody may be connected to it); the copy's name.
    /// `FILE_COPY` copies the files after a checkpoint, so each run starts from
    /// a checkpointed, identical state.
    pub(crate) fn copy(&mut self, template: &str, label: &str) -> Result<String> {
        let name = Self::unique_name(label);
        self.admin()?
            .batch_execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" STRATEGY FILE_COPY"
            ))
            .with_context(|| format!("CREATE DATABASE {name} TEMPLATE {template}"))?;
        self.created.push(name.clone());
        Ok(name)
    }

    /// Drops a database this server created.
    pub(crate) fn drop_database(&mut self, name: &str) -> Result<()> {
        self.admin()?
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .with_context(|| format!("DROP DATABASE {name}"))?;
        self.created.retain(|created| created != name);
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
                conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
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
    }
}
