//! Which database engine: the one fact about a connection that every layer,
//! the error messages and the plan's data share (a leaf: imports nothing of the crate).

use std::fmt;

/// Which database engine a location names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// PostgreSQL (production).
    Postgres,
    /// SQLite (the embedded default).
    Sqlite,
    /// MySQL 8 or MariaDB 10.11 (InnoDB).
    Mysql,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
            Self::Mysql => "MySQL",
        })
    }
}
