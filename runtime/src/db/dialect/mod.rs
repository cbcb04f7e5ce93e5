//! What differs between the engines, behind one interface: one module per
//! engine ([`postgres`], [`sqlite`], [`mysql`]), so the layers above read the
//! same for all three and a fourth engine is one new module.
//!
//! Identifiers are quoted with double quotes on every engine: MySQL sessions
//! run with `ANSI_QUOTES` (see `Database::connect`), so `"name"` is an
//! identifier there too and string literals are single-quoted everywhere.

mod mysql;
mod postgres;
mod sqlite;

use crate::backend::Backend;

/// The SQL that differs between engines.
pub(crate) trait Dialect: Sync {
    /// The current time, as a `DEFAULT`-compatible expression.
    fn now(&self) -> &'static str;
    /// The type a value is `CAST` to for text (`TEXT`, or `CHAR` on MySQL).
    fn text_type(&self) -> &'static str;
    /// The type a value is `CAST` to for a 64-bit integer (`BIGINT`, or `SIGNED` on MySQL).
    fn integer_type(&self) -> &'static str;
    /// A condition: the timestamp `column` is less than `days` days old.
    fn within_days(&self, column: &str, days: u32) -> String;
    /// `SELECT COUNT(*) AS n`: whether a table named by the one bound value
    /// that follows exists (in the current schema / database).
    fn table_exists(&self) -> &'static str;
    /// `SELECT table_name, column_name, data_type, nullable` of the tables
    /// whose names follow as a bound list and `)`.
    fn columns(&self) -> &'static str;
    /// `SELECT table_name, column_name` of every foreign key pointing at the
    /// table whose name follows as one bound value and `)`.
    fn foreign_keys_to(&self) -> &'static str;
    /// Whether `INSERT … RETURNING` is available.
    fn insert_returning(&self) -> bool;
    /// The ending of an upsert on `conflict` that sets `assignments`
    /// (`col = <new value of col>` is written by [`Dialect::new_value`]).
    fn on_conflict_update(&self, conflict: &str, assignments: &str) -> String;
    /// The value an upsert proposed for `column` (`excluded.col`, `VALUES(col)`).
    fn new_value(&self, column: &str) -> String;
}

/// The dialect of `backend`.
pub(crate) fn of(backend: Backend) -> &'static dyn Dialect {
    match backend {
        Backend::Postgres => &postgres::Postgres,
        Backend::Sqlite => &sqlite::Sqlite,
        Backend::Mysql => &mysql::Mysql,
    }
}
