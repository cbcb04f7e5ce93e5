//! Set-based SQL over the host tables that reference model rows: one grouped
//! count per column for the plan, one `UPDATE … FROM (mapping)` per column for
//! the apply. Both use the same match predicate, so the apply touches exactly
//! the rows the plan counted. No referencing row is ever loaded.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use llm_lifecycle_catalog::ReferenceKind;

use crate::db::{Backend, Bind, Query};

/// Most mapping entries per statement (two bound values each): far below the
/// bind limits of both engines.
pub(crate) const MAX_MAPPING_PER_STATEMENT: usize = 10_000;

/// A referencing column, as the SQL builders need it.
#[derive(Debug, Clone)]
pub(crate) struct RefColumn {
    pub(crate) table: String,
    pub(crate) column: String,
    pub(crate) kind: ReferenceKind,
    /// For JSON references: the top-level key.
    pub(crate) key: Option<String>,
    /// The column's declared type, lower case (decides the JSON cast on PostgreSQL).
    pub(crate) data_type: String,
    /// Whether a real foreign key to the model table guards the column (then it
    /// can never hold the id of a row that is gone).
    pub(crate) foreign_key: bool,
    /// PostgreSQL, JSON in a text column: whether the runtime's
    /// `llm_lifecycle_try_jsonb` exists (its migration ran) to parse values.
    pub(crate) pg_try_jsonb: bool,
}

/// How a stored value is recognised: the model's row id or its `provider/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum OldValue {
    Id(i64),
    Text(String),
}

impl OldValue {
    /// The text form grouped counts report (`"12"` or `"openai/gpt-4"`).
    pub(crate) fn key(&self) -> String {
        match self {
            Self::Id(id) => id.to_string(),
            Self::Text(text) => text.clone(),
        }
    }
}

/// What the stored value becomes: another row id / id string, or nothing (cleared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NewValue {
    Id(Option<i64>),
    Text(Option<String>),
}

/// One row of a grouped count.
#[derive(QueryableByName, Debug)]
pub(crate) struct KeyCount {
    #[diesel(sql_type = Text)]
    pub(crate) old_key: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

impl RefColumn {
    /// `query` followed by the column, `"table"."column"`, quoted by the backend.
    fn col(&self, query: Query) -> Query {
        query.ident(&self.table).sql(".").ident(&self.column)
    }

    fn json_path(&self) -> String {
        format!("$.\"{}\"", self.key.as_deref().unwrap_or_default())
    }

    fn key_bind(&self) -> Bind {
        Bind::Text(self.key.clone().unwrap_or_default())
    }

    /// The SQL type a rewritten JSON value is cast back to on PostgreSQL.
    fn pg_json_type(&self) -> &'static str {
        match self.data_type.as_str() {
            "json" => "json",
            "jsonb" => "jsonb",
            _ => "text",
        }
    }

    /// Whether the column holds JSON as text on PostgreSQL, so a value may not
    /// be JSON at all and is parsed through `llm_lifecycle_try_jsonb`.
    pub(crate) fn pg_json_in_text(&self) -> bool {
        self.kind == ReferenceKind::Json && !matches!(self.data_type.as_str(), "json" | "jsonb")
    }

    /// PostgreSQL: `query` followed by the column as `jsonb`, `NULL` where it is
    /// not valid JSON.
    fn pg_jsonb(&self, query: Query) -> Query {
        match self.data_type.as_str() {
            "jsonb" => self.col(query),
            "json" => self.col(query.sql("CAST(")).sql(" AS jsonb)"),
            _ if self.pg_try_jsonb => self.col(query.sql("llm_lifecycle_try_jsonb(")).sql(")"),
            // A schema from before the function (only `plan`, which cannot
            // migrate, sees one): values that do not look like an object are
            // skipped; a malformed one inside braces still fails the plan,
            // until `apply-models migrate` installs the function.
            _ => self
                .col(
                    self.col(query.sql("(CASE WHEN "))
                        .sql(" ~ '^\\s*[{].*[}]\\s*$' THEN CAST("),
                )
                .sql(" AS jsonb) END)"),
        }
    }

    /// SQLite: `query` followed by the column's JSON type, `NULL` where it is
    /// not valid JSON.
    fn sqlite_json_type(&self, query: Query) -> Query {
        self.col(
            self.col(query.sql("CASE WHEN json_valid("))
                .sql(") THEN json_type("),
        )
        .sql(") END")
    }

    /// MySQL: `query` followed by the column's JSON type (`OBJECT`, …), `NULL`
    /// where it is not valid JSON (MySQL 8 raises an error on invalid JSON in
    /// the other JSON functions, and `CASE` evaluates lazily).
    fn mysql_json_type(&self, query: Query) -> Query {
        self.col(
            self.col(query.sql("(CASE WHEN JSON_VALID("))
                .sql(") THEN JSON_TYPE("),
        )
        .sql(") END)")
    }

    /// MySQL: the key's value as text, in the same form as the other engines.
    fn mysql_stored_json(&self) -> Query {
        let value = |query: Query| {
            self.col(query.sql("JSON_EXTRACT("))
                .sql(", ")
                .bind(Bind::Text(self.json_path()))
                .sql(")")
        };
        let mut query = Query::new("(");
        // MariaDB stores JSON as text: only rows that mention the key are parsed.
        let text_column = self.data_type != "json";
        if text_column {
            query = self
                .col(
                    query
                        .sql("CASE WHEN LOCATE(")
                        .bind(self.key_bind())
                        .sql(", "),
                )
                .sql(") > 0 THEN ");
        }
        query = self.mysql_json_type(query.sql("(CASE WHEN "));
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

    /// The SQL expression for the value a row stores, as old values are
    /// matched against it: the integer or text column itself; for JSON, the
    /// key's value as the text of an integer when it is a number equal to an
    /// integer (`3`, `3.0`, `3e0` all give `"3"`) or a string's contents, and
    /// `NULL` for anything else (booleans, null, objects, arrays, and rows
    /// that are not a JSON object at all: never an error). Shared by the
    /// plan's counts, the notifications' affected resources and the `UPDATE`,
    /// so all three match exactly the same rows.
    pub(crate) fn stored_value(&self, backend: Backend) -> Query {
        match (self.kind, backend) {
            (ReferenceKind::Id | ReferenceKind::Text, _) => self.col(Query::default()),
            (ReferenceKind::Json, Backend::Postgres) => {
                // `->>` already gives an integer's digits (jsonb normalises
                // `1.01e2` to 101), a string's contents and `true`/`false`
                // (never an id); only a number written with a fraction
                // (`101.0`) needs the numeric cast, so most rows extract once.
                let key = |query: Query, op: &str| {
                    self.pg_jsonb(query.sql("("))
                        .sql(&format!(" {op} CAST("))
                        .bind(self.key_bind())
                        .sql(" AS TEXT))")
                };
                let mut query = Query::new("(");
                let text_column = self.data_type != "jsonb";
                if text_column {
                    // Parsed JSON (`json`, text): only rows that mention the key.
                    query = self
                        .col(query.sql("CASE WHEN strpos(CAST("))
                        .sql(" AS TEXT), ")
                        .bind(self.key_bind())
                        .sql(") > 0 THEN (");
                }
                query = key(query.sql("CASE WHEN strpos("), "->>").sql(", '.') = 0 THEN ");
                query = key(query, "->>").sql(" WHEN jsonb_typeof(");
                query = key(query, "->").sql(") = 'number' THEN CAST(trim_scale(CAST(");
                query = key(query, "->").sql(" AS numeric)) AS TEXT) END");
                if text_column {
                    query = query.sql(") END");
                }
                query.sql(")")
            }
            (ReferenceKind::Json, Backend::Mysql) => self.mysql_stored_json(),
            (ReferenceKind::Json, Backend::Sqlite) => {
                let value = |query: Query| {
                    self.col(query.sql("json_extract("))
                        .sql(", ")
                        .bind(Bind::Text(self.json_path()))
                        .sql(")")
                };
                let mut query = self.sqlite_json_type(Query::new("(CASE WHEN ("));
                query = self
                    .col(query.sql(") = 'object' THEN (CASE json_type("))
                    .sql(", ")
                    .bind(Bind::Text(self.json_path()))
                    .sql(") WHEN 'integer' THEN CAST(");
                query = value(query).sql(" AS TEXT) WHEN 'real' THEN (CASE WHEN ");
                query = value(query).sql(" = CAST(");
                query = value(query).sql(" AS INTEGER) THEN CAST(CAST(");
                query = value(query).sql(" AS INTEGER) AS TEXT) END) WHEN 'text' THEN ");
                value(query).sql(" END) END)")
            }
        }
    }

    /// JSON references: `SELECT n`, how many non-NULL values are not a JSON
    /// object (they are skipped, never rewritten).
    pub(crate) fn not_object_count_query(&self, backend: Backend) -> Query {
        let query = self
            .col(
                Query::new("SELECT COUNT(*) AS n FROM ")
                    .ident(&self.table)
                    .sql(" WHERE "),
            )
            .sql(" IS NOT NULL AND ");
        match backend {
            Backend::Postgres => self
                .pg_jsonb(query.sql("jsonb_typeof("))
                .sql(") IS DISTINCT FROM 'object'"),
            Backend::Sqlite => self
                .sqlite_json_type(query.sql("("))
                .sql(") IS NOT 'object'"),
            Backend::Mysql => self
                .mysql_json_type(query.sql("NOT ("))
                .sql(" <=> 'OBJECT')"),
        }
    }

    /// An old value bound for comparison with [`stored_value`](Self::stored_value).
    pub(crate) fn old_value_bind(&self, value: &OldValue) -> Bind {
        match (self.kind, value) {
            (ReferenceKind::Id, OldValue::Id(id)) => Bind::BigInt(*id),
            _ => Bind::Text(value.key()),
        }
    }

    /// `SELECT old_key, n`: how many rows hold each of `values`, grouped.
    pub(crate) fn count_query(&self, backend: Backend, values: &[OldValue]) -> Query {
        let mut query = Query::new(format!(
            "SELECT CAST(s.k AS {}) AS old_key, COUNT(*) AS n FROM (SELECT ",
            crate::db::dialect::of(backend).text_type()
        ));
        query
            .append(self.stored_value(backend))
            .push_sql(" AS k FROM ")
            .push_ident(&self.table)
            .push_sql(") s WHERE s.k IN (")
            .push_binds(values.iter().map(|value| self.old_value_bind(value)))
            .push_sql(") GROUP BY s.k");
        query
    }

    /// One `UPDATE` rewriting every row that holds an old value to its new value,
    /// the mapping given inline as a `VALUES` list.
    pub(crate) fn update_query(&self, backend: Backend, mapping: &[(OldValue, NewValue)]) -> Query {
        if backend == Backend::Mysql {
            return self.mysql_update(mapping);
        }
        let mut query = self.mapping_cte(mapping);
        query.push_sql(" ");
        query.append(self.update(backend));
        query
    }

    /// PostgreSQL only: the same `UPDATE` as a data-modifying CTE that returns how
    /// many rows it rewrote per old value (`old_key`, `n`): the apply counts and
    /// rewrites in one pass, and no row leaves the server.
    pub(crate) fn update_counting_query(&self, mapping: &[(OldValue, NewValue)]) -> Query {
        let mut query = self.mapping_cte(mapping);
        query.push_sql(", u AS (");
        query.append(self.update(Backend::Postgres));
        query.push_sql(
            " RETURNING CAST(m.old_value AS TEXT) AS old_key) \
             SELECT u.old_key, COUNT(*) AS n FROM u GROUP BY u.old_key",
        );
        query
    }

    /// MySQL: `UPDATE t JOIN (SELECT old, new UNION ALL …) AS m ON <stored
    /// value> = m.old_value SET t.col = …` (no `UPDATE … FROM`; a `UNION ALL`
    /// relation reads the same on MySQL 8 and MariaDB).
    fn mysql_update(&self, mapping: &[(OldValue, NewValue)]) -> Query {
        let mut query = Query::new("UPDATE ").ident(&self.table).sql(" JOIN (");
        query.push_union_rows(
            &["old_value", "new_value"],
            mapping.iter().map(|(old, new)| {
                [
                    self.old_value_bind(old),
                    match new {
                        NewValue::Id(id) => Bind::NullableBigInt(*id),
                        NewValue::Text(text) => Bind::NullableText(text.clone()),
                    },
                ]
            }),
        );
        query.push_sql(") AS m ON ");
        query
            .append(self.stored_value(Backend::Mysql))
            .push_sql(" = m.old_value SET ");
        let query = self.col(query).sql(" = ");
        match self.kind {
            ReferenceKind::Id | ReferenceKind::Text => query.sql("m.new_value"),
            // Only the key changes; SQL NULL becomes JSON null.
            ReferenceKind::Json => self
                .col(query.sql("JSON_SET("))
                .sql(", ")
                .bind(Bind::Text(self.json_path()))
                .sql(", m.new_value)"),
        }
    }

    /// `WITH m(old_value, new_value) AS (VALUES (old, new), …)`, values bound.
    fn mapping_cte(&self, mapping: &[(OldValue, NewValue)]) -> Query {
        let mut query = Query::new("WITH m(old_value, new_value) AS (VALUES ");
        query.push_rows(mapping.iter().map(|(old, new)| {
            [
                self.old_value_bind(old),
                match new {
                    NewValue::Id(id) => Bind::NullableBigInt(*id),
                    NewValue::Text(text) => Bind::NullableText(text.clone()),
                },
            ]
        }));
        query.push_sql(")");
        query
    }

    /// `UPDATE … FROM m WHERE <stored value> = m.old_value`.
    fn update(&self, backend: Backend) -> Query {
        let set = Query::new("UPDATE ")
            .ident(&self.table)
            .sql(" SET ")
            .ident(&self.column)
            .sql(" = ");
        let query = match (self.kind, backend) {
            (ReferenceKind::Id | ReferenceKind::Text, _) => set.sql("m.new_value FROM m WHERE "),
            // Only the key changes: jsonb_set keeps every other key.
            (ReferenceKind::Json, Backend::Postgres) => self
                .pg_jsonb(set.sql("CAST(jsonb_set("))
                .sql(", ARRAY[CAST(")
                .bind(self.key_bind())
                .sql(&format!(
                    " AS TEXT)], COALESCE(to_jsonb(m.new_value), 'null'::jsonb)) AS {}) FROM m WHERE ",
                    self.pg_json_type()
                )),
            (ReferenceKind::Json, Backend::Mysql) => unreachable_mysql(set),
            (ReferenceKind::Json, Backend::Sqlite) => self
                .col(set.sql("json_set("))
                .sql(", ")
                .bind(Bind::Text(self.json_path()))
                .sql(", m.new_value) FROM m WHERE "),
        };
        // The same match as the counts and the notifications' affected resources.
        let mut query = query;
        query
            .append(self.stored_value(backend))
            .push_sql(" = m.old_value");
        query
    }
}

/// The `UPDATE … FROM` form is never built for MySQL ([`RefColumn::mysql_update`]
/// is); should it be, the statement fails to parse rather than doing harm.
fn unreachable_mysql(set: Query) -> Query {
    set.sql("m.new_value FROM m WHERE ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(kind: ReferenceKind) -> RefColumn {
        RefColumn {
            table: "pipeline_nodes".into(),
            column: "params".into(),
            kind,
            key: (kind == ReferenceKind::Json).then(|| "llm_provider_model_id".into()),
            data_type: "jsonb".into(),
            foreign_key: false,
            pg_try_jsonb: true,
        }
    }

    #[test]
    fn one_update_statement_maps_every_old_value() {
        let mapping = [
            (OldValue::Id(1), NewValue::Id(Some(7))),
            (OldValue::Id(2), NewValue::Id(None)),
        ];
        let query = column(ReferenceKind::Id).update_query(Backend::Postgres, &mapping);
        assert_eq!(
            query.render(Backend::Postgres),
            "WITH m(old_value, new_value) AS (VALUES ($1, $2), ($3, $4)) UPDATE \"pipeline_nodes\" \
             SET \"params\" = m.new_value FROM m WHERE \"pipeline_nodes\".\"params\" = m.old_value"
        );
        assert_eq!(query.binds().len(), 4);
        let counting = column(ReferenceKind::Id).update_counting_query(&mapping);
        assert!(
            counting.render(Backend::Postgres).ends_with(
                "WHERE \"pipeline_nodes\".\"params\" = m.old_value RETURNING CAST(m.old_value AS TEXT) AS old_key) \
                 SELECT u.old_key, COUNT(*) AS n FROM u GROUP BY u.old_key"
            ),
            "{}",
            counting.render(Backend::Postgres)
        );
    }

    #[test]
    fn json_updates_bind_the_key_and_write_json_null_when_clearing() {
        let mapping = [(OldValue::Id(1), NewValue::Id(None))];
        let pg = column(ReferenceKind::Json).update_query(Backend::Postgres, &mapping);
        let sql = pg.render(Backend::Postgres);
        assert!(
            sql.contains("COALESCE(to_jsonb(m.new_value), 'null'::jsonb)"),
            "{sql}"
        );
        assert!(sql.contains("AS jsonb)"), "{sql}");
        assert_eq!(*pg.binds()[0], Bind::Text("1".into()));
        let lite = column(ReferenceKind::Json).update_query(Backend::Sqlite, &mapping);
        let path = Bind::Text("$.\"llm_provider_model_id\"".into());
        assert_eq!(lite.binds()[2..], vec![&path; 7]);
    }
}
