//! MySQL 8 and MariaDB 10.11 (InnoDB), sessions in `ANSI_QUOTES` mode.

use super::Dialect;

/// MySQL 8 / MariaDB 10.11: no `RETURNING` on MySQL, no partial indexes, no
/// `ON CONFLICT` (`ON DUPLICATE KEY UPDATE` / `INSERT IGNORE` instead).
pub(super) struct Mysql;

impl Dialect for Mysql {
    fn now(&self) -> &'static str {
        "CURRENT_TIMESTAMP(6)"
    }

    fn text_type(&self) -> &'static str {
        "CHAR"
    }

    fn integer_type(&self) -> &'static str {
        "SIGNED"
    }

    fn within_days(&self, column: &str, days: u32) -> String {
        format!("{column} > CURRENT_TIMESTAMP(6) - INTERVAL {days} DAY")
    }

    fn table_exists(&self) -> &'static str {
        "SELECT COUNT(*) AS n FROM information_schema.tables \
         WHERE table_schema = DATABASE() AND table_name = "
    }

    fn columns(&self) -> &'static str {
        // MariaDB reports a JSON column as `longtext` (JSON is an alias there):
        // JSON references are read through JSON_VALID whatever the type says.
        "SELECT CAST(table_name AS CHAR) AS table_name, CAST(column_name AS CHAR) AS column_name, \
         CAST(data_type AS CHAR) AS data_type, (is_nullable = 'YES') AS nullable \
         FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name IN ("
    }

    fn foreign_keys_to(&self) -> &'static str {
        "SELECT CAST(table_name AS CHAR) AS table_name, CAST(column_name AS CHAR) AS column_name \
         FROM information_schema.key_column_usage \
         WHERE table_schema = DATABASE() AND referenced_table_schema = DATABASE() \
         AND referenced_table_name = ("
    }

    fn insert_returning(&self) -> bool {
        false
    }

    fn on_conflict_update(&self, _conflict: &str, assignments: &str) -> String {
        format!(" ON DUPLICATE KEY UPDATE {assignments}")
    }

    fn new_value(&self, column: &str) -> String {
        format!("VALUES({column})")
    }
}
