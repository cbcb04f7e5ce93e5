//! SQLite.

use super::{Column, Dialect, JsonKey, column_rows, in_list};
use crate::db::query::{Bind, Query};

/// `query` followed by the column's JSON type, `NULL` where it is not valid JSON.
fn json_type(json: &JsonKey<'_>, query: Query) -> Query {
    json.col(
        json.col(query.sql("CASE WHEN json_valid("))
            .sql(") THEN json_type("),
    )
    .sql(") END")
}

/// SQLite 3.35 or later (`RETURNING`, `ON CONFLICT … DO UPDATE`).
pub(super) struct Sqlite;

impl Dialect for Sqlite {
    fn now(&self) -> &'static str {
        // UTC, as text.
        "CURRENT_TIMESTAMP"
    }

    fn within_days(&self, column: &str, days: u32) -> String {
        format!("{column} > datetime('now', '-{days} days')")
    }

    fn table_exists(&self) -> &'static str {
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = "
    }

    fn columns(&self, tables: Vec<Bind>) -> Query {
        in_list(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
         (p.\"notnull\" = 0 AND p.pk = 0) AS nullable, \
         (p.dflt_value IS NOT NULL OR (p.pk = 1 AND lower(p.type) = 'integer')) AS has_default \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name IN (",
            tables,
        )
    }

    fn primary_keys(&self) -> &'static str {
        "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND p.pk > 0 AND m.name IN ("
    }

    fn foreign_keys_to(&self) -> &'static str {
        "SELECT m.name AS table_name, f.\"from\" AS column_name \
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND lower(f.\"table\") = ("
    }

    fn json_value(&self, json: &JsonKey<'_>) -> Query {
        let value = |query: Query| {
            json.col(query.sql("json_extract("))
                .sql(", ")
                .bind(json.path())
                .sql(")")
        };
        let mut query = json_type(json, Query::new("(CASE WHEN ("));
        query = json
            .col(query.sql(") = 'object' THEN (CASE json_type("))
            .sql(", ")
            .bind(json.path())
            .sql(") WHEN 'integer' THEN CAST(");
        query = value(query).sql(" AS TEXT) WHEN 'real' THEN (CASE WHEN ");
        query = value(query).sql(" = CAST(");
        query = value(query).sql(" AS INTEGER) THEN CAST(CAST(");
        query = value(query).sql(" AS INTEGER) AS TEXT) END) WHEN 'text' THEN ");
        value(query).sql(" END) END)")
    }

    fn json_not_object(&self, json: &JsonKey<'_>) -> Query {
        json_type(json, Query::new("(")).sql(") IS NOT 'object'")
    }

    fn json_set(&self, json: &JsonKey<'_>, value: Query) -> Query {
        super::path_json_set(self, json, value)
    }

    fn clock(&self) -> &'static str {
        "CURRENT_TIMESTAMP"
    }

    fn utc_text(&self, column: &str) -> String {
        // SQLite's CURRENT_TIMESTAMP is UTC already.
        format!("strftime('%Y-%m-%dT%H:%M:%SZ', {column})")
    }

    fn json_quote(&self, expr: &str) -> String {
        format!("json_quote({expr})")
    }

    fn comma_joined(&self, expr: &str) -> String {
        format!("group_concat({expr}, ',')")
    }

    fn columns_relation(&self, columns: &[(&str, Column)]) -> Query {
        // `VALUES` columns are `column1…`: renamed in a subquery.
        let mut query = Query::new("(SELECT ");
        for (index, (name, _)) in columns.iter().enumerate() {
            if index > 0 {
                query.push_sql(", ");
            }
            query
                .push_sql(&format!("column{} AS ", index + 1))
                .push_ident(name);
        }
        query.push_sql(" FROM (VALUES ");
        query.push_rows(column_rows(columns));
        query.push_sql(")) AS t");
        query
    }

    fn lock_rows(
        &self,
        _table: &str,
        _key: [&str; 2],
        _rows: Vec<Vec<Bind>>,
        _condition: &str,
    ) -> Option<Query> {
        // `BEGIN IMMEDIATE` already keeps every other writer out.
        None
    }
}
