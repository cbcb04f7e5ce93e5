//! PostgreSQL.

use super::Dialect;

/// PostgreSQL 13 or later.
pub(super) struct Postgres;

impl Dialect for Postgres {
    fn now(&self) -> &'static str {
        "now()"
    }

    fn text_type(&self) -> &'static str {
        "TEXT"
    }

    fn integer_type(&self) -> &'static str {
        "BIGINT"
    }

    fn within_days(&self, column: &str, days: u32) -> String {
        format!("{column} > now() - interval '{days} days'")
    }

    fn table_exists(&self) -> &'static str {
        "SELECT COUNT(*) AS n FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = "
    }

    fn columns(&self) -> &'static str {
        "SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name, \
         CAST(data_type AS TEXT) AS data_type, (is_nullable = 'YES') AS nullable \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name IN ("
    }

    fn foreign_keys_to(&self) -> &'static str {
        "SELECT CAST(r.relname AS TEXT) AS table_name, CAST(a.attname AS TEXT) AS column_name \
         FROM pg_constraint c \
         JOIN pg_class r ON r.oid = c.conrelid \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
         WHERE c.contype = 'f' AND c.confrelid = to_regclass("
    }

    fn insert_returning(&self) -> bool {
        true
    }

    fn on_conflict_update(&self, conflict: &str, assignments: &str) -> String {
        format!(" ON CONFLICT ({conflict}) DO UPDATE SET {assignments}")
    }

    fn new_value(&self, column: &str) -> String {
        format!("excluded.{column}")
    }
}
