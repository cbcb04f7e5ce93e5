//! SQLite.

use super::Dialect;

/// SQLite 3.35 or later (`RETURNING`, `ON CONFLICT … DO UPDATE`).
pub(super) struct Sqlite;

impl Dialect for Sqlite {
    fn now(&self) -> &'static str {
        // UTC, as text.
        "CURRENT_TIMESTAMP"
    }

    fn text_type(&self) -> &'static str {
        "TEXT"
    }

    fn integer_type(&self) -> &'static str {
        "BIGINT"
    }

    fn within_days(&self, column: &str, days: u32) -> String {
        format!("{column} > datetime('now', '-{days} days')")
    }

    fn table_exists(&self) -> &'static str {
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = "
    }

    fn columns(&self) -> &'static str {
        "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
         (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name IN ("
    }

    fn foreign_keys_to(&self) -> &'static str {
        "SELECT m.name AS table_name, f.\"from\" AS column_name \
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND lower(f.\"table\") = ("
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
