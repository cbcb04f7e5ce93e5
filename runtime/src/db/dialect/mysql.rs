//! MySQL 8 and MariaDB 10.11 (InnoDB), sessions in `ANSI_QUOTES` mode.

use super::{Assignment, Column, Dialect, JsonKey, assignments, column_rows};
use crate::db::query::{Bind, Query};

/// `query` followed by the column's JSON type (`OBJECT`, …), `NULL` where it
/// is not valid JSON (MySQL 8 raises an error on invalid JSON in the other
/// JSON functions; `CASE` evaluates lazily).
fn json_type(json: &JsonKey<'_>, query: Query) -> Query {
    json.col(
        json.col(query.sql("(CASE WHEN JSON_VALID("))
            .sql(") THEN JSON_TYPE("),
    )
    .sql(") END)")
}

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

    fn json_value(&self, json: &JsonKey<'_>) -> Query {
        let value = |query: Query| {
            json.col(query.sql("JSON_EXTRACT("))
                .sql(", ")
                .bind(json.path())
                .sql(")")
        };
        let mut query = Query::new("(");
        // MariaDB stores JSON as text: only rows that mention the key are parsed.
        let text_column = json.data_type != "json";
        if text_column {
            query = json
                .col(query.sql("CASE WHEN LOCATE(").bind(json.key()).sql(", "))
                .sql(") > 0 THEN ");
        }
        query = json_type(json, query.sql("(CASE WHEN "));
        query = value(query.sql(" = 'OBJECT' THEN (CASE JSON_TYPE("))
            .sql(") WHEN 'INTEGER' THEN JSON_UNQUOTE(");
        query = value(query).sql(") WHEN 'UNSIGNED INTEGER' THEN JSON_UNQUOTE(");
        query = value(query).sql(") WHEN 'STRING' THEN JSON_UNQUOTE(");
        query = value(query).sql(") WHEN 'DOUBLE' THEN (CASE WHEN ");
        query = value(query).sql(" + 0 = FLOOR(");
        query = value(query).sql(" + 0) THEN CAST(CAST(");
        query = value(query).sql(" + 0 AS SIGNED) AS CHAR) END) END) END)");
        if text_column {
            query = query.sql(" END");
        }
        query.sql(")")
    }

    fn json_not_object(&self, json: &JsonKey<'_>) -> Query {
        json_type(json, Query::new("NOT (")).sql(" <=> 'OBJECT')")
    }

    fn json_set(&self, json: &JsonKey<'_>, value: &str) -> Query {
        json.col(Query::new("JSON_SET("))
            .sql(", ")
            .bind(json.path())
            .sql(&format!(", {value})"))
    }

    fn relation(&self, columns: &[&str], rows: Vec<Vec<Bind>>) -> Query {
        let mut query = Query::default();
        query.push_union_rows(columns, rows);
        query
    }

    /// `UPDATE t JOIN (SELECT … UNION ALL …) AS m ON on SET t.c = …` (no
    /// `UPDATE … FROM`; targets qualified, since `m` may share their names).
    fn update_from(
        &self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Bind>>,
        set: Vec<Assignment<'_>>,
        on: Query,
    ) -> Query {
        let mut query = Query::new("UPDATE ");
        query.push_ident(table).push_sql(" JOIN (");
        query.push_union_rows(columns, rows);
        query.push_sql(") AS m ON ").append(on);
        assignments(&mut query, set, |query, column| {
            query.push_ident(table).push_sql(".").push_ident(column);
        });
        query
    }

    fn transactional_ddl(&self) -> bool {
        false
    }

    fn clock(&self) -> &'static str {
        // The statement's own clock (SYSDATE) is not reproducible in a
        // replicated binlog; the statement's start is what MySQL offers.
        "CURRENT_TIMESTAMP(6)"
    }

    fn utc_text(&self, column: &str) -> String {
        // The runtime's MySQL sessions run in UTC (time_zone '+00:00').
        format!("DATE_FORMAT({column}, '%Y-%m-%dT%H:%i:%sZ')")
    }

    fn insert_skipping_duplicates(&self) -> &'static str {
        "INSERT IGNORE"
    }

    fn skip_duplicates(&self, _conflict: &str) -> String {
        String::new()
    }

    fn json_from_text(&self, expr: &str) -> String {
        expr.to_owned()
    }

    fn rows_per_statement(&self, binds_per_row: usize) -> usize {
        // Within MySQL's 65,535 placeholders per statement.
        (64_000 / binds_per_row.max(1)).min(10_000)
    }

    fn columns_relation(&self, columns: &[(&str, Column)]) -> Query {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let mut query = Query::new("(");
        query.push_union_rows(&names, column_rows(columns));
        query.push_sql(") AS t");
        query
    }

    fn lateral(&self) -> bool {
        // MySQL 8.0.14 has LATERAL, MariaDB 10.11 does not.
        false
    }

    fn lock_rows(&self, table: &str, rows: Vec<Vec<Bind>>, condition: &str) -> Option<Query> {
        // A row-constructor list: MySQL 8 and MariaDB spell VALUES apart.
        let mut query = Query::new("SELECT p.id FROM ");
        query
            .push_ident(table)
            .push_sql(" p WHERE (p.provider, p.name) IN (");
        query.push_rows(rows);
        query.push_sql(&format!(") AND {condition} FOR UPDATE"));
        Some(query)
    }

    fn counts_while_updating(&self) -> bool {
        false
    }

    fn update_counting(
        &self,
        _table: &str,
        _columns: &[&str],
        _rows: Vec<Vec<Bind>>,
        _assignments: Vec<Assignment<'_>>,
        _on: Query,
        _group: &str,
    ) -> Option<Query> {
        // No `RETURNING` from an `UPDATE` on MySQL.
        None
    }
}
