//! Set-based SQL over the host tables that reference model rows: one grouped
//! count per column for the plan, one `UPDATE … FROM (mapping)` per column for
//! the apply. Both use the same match predicate, so the apply touches exactly
//! the rows the plan counted. No referencing row is ever loaded.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use llm_lifecycle_catalog::ReferenceKind;

use crate::db::{Backend, Bind, Query, placeholders, quote_ident};

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
    fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.table), quote_ident(&self.column))
    }

    fn json_path(&self) -> String {
        format!("$.\"{}\"", self.key.as_deref().unwrap_or_default())
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

    /// PostgreSQL: the column as `jsonb`, `NULL` where it is not valid JSON.
    fn pg_jsonb(&self) -> String {
        let column = self.qualified();
        match self.data_type.as_str() {
            "jsonb" => column,
            "json" => format!("CAST({column} AS jsonb)"),
            _ if self.pg_try_jsonb => format!("llm_lifecycle_try_jsonb({column})"),
            // A schema from before the function (only `plan`, which cannot
            // migrate, sees one): values that do not look like an object are
            // skipped; a malformed one inside braces still fails the plan,
            // until `apply-models migrate` installs the function.
            _ => format!(
                "(CASE WHEN {column} ~ '^\\s*[{{].*[}}]\\s*$' THEN CAST({column} AS jsonb) END)"
            ),
        }
    }

    /// SQLite: the column's JSON type, `NULL` where it is not valid JSON.
    fn sqlite_json_type(&self) -> String {
        let column = self.qualified();
        format!("CASE WHEN json_valid({column}) THEN json_type({column}) END")
    }

    /// The SQL expression for the value a row stores, as old values are
    /// matched against it, and the values bound to its placeholders: the
    /// integer or text column itself; for JSON, the key's value as the text of
    /// an integer when it is a number equal to an integer (`3`, `3.0`, `3e0`
    /// all give `"3"`) or a string's contents, and `NULL` for anything else
    /// (booleans, null, objects, arrays, and rows that are not a JSON object
    /// at all: never an error). Shared by the plan's counts, the notifications'
    /// affected resources and the `UPDATE`, so all three match exactly the same rows.
    pub(crate) fn stored_value(&self, backend: Backend) -> (String, Vec<Bind>) {
        let column = self.qualified();
        let key = || Bind::Text(self.key.clone().unwrap_or_default());
        match (self.kind, backend) {
            (ReferenceKind::Id | ReferenceKind::Text, _) => (column, Vec::new()),
            (ReferenceKind::Json, Backend::Postgres) => {
                // `->>` already gives an integer's digits (jsonb normalises
                // `1.01e2` to 101), a string's contents and `true`/`false`
                // (never an id); only a number written with a fraction
                // (`101.0`) needs the numeric cast, so most rows extract once.
                let j = self.pg_jsonb();
                let text = format!("({j} ->> CAST(? AS TEXT))");
                let mut sql = format!(
                    "(CASE WHEN strpos({text}, '.') = 0 THEN {text} \
                     WHEN jsonb_typeof({j} -> CAST(? AS TEXT)) = 'number' \
                     THEN CAST(trim_scale(CAST({j} -> CAST(? AS TEXT) AS numeric)) AS TEXT) END)"
                );
                let mut binds = vec![key(), key(), key(), key()];
                if self.data_type != "jsonb" {
                    // Parsed JSON (`json`, text): only rows that mention the key.
                    sql =
                        format!("(CASE WHEN strpos(CAST({column} AS TEXT), ?) > 0 THEN {sql} END)");
                    binds.insert(0, key());
                }
                (sql, binds)
            }
            (ReferenceKind::Json, Backend::Sqlite) => {
                let path = || Bind::Text(self.json_path());
                let value = format!("json_extract({column}, ?)");
                (
                    format!(
                        "(CASE WHEN ({}) = 'object' THEN (CASE json_type({column}, ?) \
                         WHEN 'integer' THEN CAST({value} AS TEXT) \
                         WHEN 'real' THEN (CASE WHEN {value} = CAST({value} AS INTEGER) \
                           THEN CAST(CAST({value} AS INTEGER) AS TEXT) END) \
                         WHEN 'text' THEN {value} END) END)",
                        self.sqlite_json_type()
                    ),
                    vec![path(), path(), path(), path(), path(), path()],
                )
            }
        }
    }

    /// JSON references: `SELECT n`, how many non-NULL values are not a JSON
    /// object (they are skipped, never rewritten).
    pub(crate) fn not_object_count_query(&self, backend: Backend) -> Query {
        let table = quote_ident(&self.table);
        let column = self.qualified();
        let not_object = match backend {
            Backend::Postgres => format!(
                "jsonb_typeof({}) IS DISTINCT FROM 'object'",
                self.pg_jsonb()
            ),
            Backend::Sqlite => format!("({}) IS NOT 'object'", self.sqlite_json_type()),
        };
        Query::new(format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE {column} IS NOT NULL AND {not_object}"
        ))
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
        let table = quote_ident(&self.table);
        let list = placeholders(values.len());
        let (stored, binds) = self.stored_value(backend);
        let mut query = Query::new(format!(
            "SELECT CAST(s.k AS TEXT) AS old_key, COUNT(*) AS n \
             FROM (SELECT {stored} AS k FROM {table}) s \
             WHERE s.k IN ({list}) GROUP BY s.k"
        ));
        for bind in binds {
            query.push_bind(bind);
        }
        for value in values {
            query.push_bind(self.old_value_bind(value));
        }
        query
    }

    /// One `UPDATE` rewriting every row that holds an old value to its new value,
    /// the mapping given inline as a `VALUES` list.
    pub(crate) fn update_query(&self, backend: Backend, mapping: &[(OldValue, NewValue)]) -> Query {
        let mut query = self.mapping_cte(mapping);
        query.push_sql(" ");
        self.push_update(&mut query, backend);
        query
    }

    /// PostgreSQL only: the same `UPDATE` as a data-modifying CTE that returns how
    /// many rows it rewrote per old value (`old_key`, `n`): the apply counts and
    /// rewrites in one pass, and no row leaves the server.
    pub(crate) fn update_counting_query(&self, mapping: &[(OldValue, NewValue)]) -> Query {
        let mut query = self.mapping_cte(mapping);
        query.push_sql(", u AS (");
        self.push_update(&mut query, Backend::Postgres);
        query.push_sql(
            " RETURNING CAST(m.old_value AS TEXT) AS old_key) \
             SELECT u.old_key, COUNT(*) AS n FROM u GROUP BY u.old_key",
        );
        query
    }

    /// `WITH m(old_value, new_value) AS (VALUES (?, ?), …)` with its values bound.
    fn mapping_cte(&self, mapping: &[(OldValue, NewValue)]) -> Query {
        let rows = vec!["(?, ?)"; mapping.len()].join(", ");
        let mut query = Query::new(format!("WITH m(old_value, new_value) AS (VALUES {rows})"));
        for (old, new) in mapping {
            query.push_bind(match (self.kind, old) {
                (ReferenceKind::Id, OldValue::Id(id)) => Bind::BigInt(*id),
                _ => Bind::Text(old.key()),
            });
            query.push_bind(match new {
                NewValue::Id(id) => Bind::NullableBigInt(*id),
                NewValue::Text(text) => Bind::NullableText(text.clone()),
            });
        }
        query
    }

    /// `UPDATE … FROM m WHERE <stored value> = m.old_value`.
    fn push_update(&self, query: &mut Query, backend: Backend) {
        let table = quote_ident(&self.table);
        let column = quote_ident(&self.column);
        let qualified = self.qualified();
        // The same match as the counts and the notifications' affected resources.
        let (stored, stored_binds) = self.stored_value(backend);
        match (self.kind, backend) {
            (ReferenceKind::Id | ReferenceKind::Text, _) => {
                query.push_sql(&format!(
                    "UPDATE {table} SET {column} = m.new_value FROM m WHERE {stored} = m.old_value"
                ));
            }
            (ReferenceKind::Json, Backend::Postgres) => {
                // Only the key changes: jsonb_set keeps every other key.
                let cast = self.pg_json_type();
                query
                    .push_sql(&format!(
                        "UPDATE {table} SET {column} = CAST(jsonb_set({}, \
                         ARRAY[CAST(? AS TEXT)], COALESCE(to_jsonb(m.new_value), 'null'::jsonb)) AS {cast}) \
                         FROM m WHERE {stored} = m.old_value",
                        self.pg_jsonb()
                    ))
                    .push_bind(Bind::Text(self.key.clone().unwrap_or_default()));
            }
            (ReferenceKind::Json, Backend::Sqlite) => {
                query
                    .push_sql(&format!(
                        "UPDATE {table} SET {column} = json_set({qualified}, ?, m.new_value) FROM m \
                         WHERE {stored} = m.old_value"
                    ))
                    .push_bind(Bind::Text(self.json_path()));
            }
        }
        for bind in stored_binds {
            query.push_bind(bind);
        }
    }
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
        assert_eq!(pg.binds()[0], Bind::Text("1".into()));
        let lite = column(ReferenceKind::Json).update_query(Backend::Sqlite, &mapping);
        assert_eq!(
            lite.binds()[2..],
            vec![Bind::Text("$.\"llm_provider_model_id\"".into()); 7]
        );
    }
}
