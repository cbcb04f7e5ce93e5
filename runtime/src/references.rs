//! Set-based SQL over the host tables that reference model rows: one grouped
//! count per column for the plan, one `UPDATE … FROM (mapping)` per column for
//! the apply. Both use the same match predicate, so the apply touches exactly
//! the rows the plan counted. No referencing row is ever loaded.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};

use crate::db::{Backend, Bind, Query, placeholders, quote_ident};
use crate::plan::Kind;

/// Most mapping entries per statement (two bound values each): far below the
/// bind limits of both engines.
pub(crate) const MAX_MAPPING_PER_STATEMENT: usize = 10_000;

/// A referencing column, as the SQL builders need it.
#[derive(Debug, Clone)]
pub(crate) struct RefColumn {
    pub(crate) table: String,
    pub(crate) column: String,
    pub(crate) kind: Kind,
    /// For JSON references: the top-level key.
    pub(crate) key: Option<String>,
    /// The column's declared type, lower case (decides the JSON cast on PostgreSQL).
    pub(crate) data_type: String,
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

    /// The SQL expression for the value a row stores, as old values are
    /// matched against it (the integer or text column itself; for JSON the
    /// key's value as text, `NULL` for anything that is not a JSON object),
    /// and the value bound to its placeholder. Shared by the plan's counts and
    /// the notifications' affected resources, so both match exactly the rows
    /// the `UPDATE` rewrites.
    pub(crate) fn stored_value(&self, backend: Backend) -> (String, Option<Bind>) {
        let column = self.qualified();
        match (self.kind, backend) {
            (Kind::Id | Kind::Text, _) => (column, None),
            (Kind::Json, Backend::Postgres) => (
                format!("(CAST({column} AS jsonb) ->> ?)"),
                Some(Bind::Text(self.key.clone().unwrap_or_default())),
            ),
            (Kind::Json, Backend::Sqlite) => (
                format!(
                    "CASE WHEN json_valid({column}) THEN CAST(json_extract({column}, ?) AS TEXT) END"
                ),
                Some(Bind::Text(self.json_path())),
            ),
        }
    }

    /// An old value bound for comparison with [`stored_value`](Self::stored_value).
    pub(crate) fn old_value_bind(&self, value: &OldValue) -> Bind {
        match (self.kind, value) {
            (Kind::Id, OldValue::Id(id)) => Bind::BigInt(*id),
            _ => Bind::Text(value.key()),
        }
    }

    /// `SELECT old_key, n`: how many rows hold each of `values`, grouped.
    pub(crate) fn count_query(&self, backend: Backend, values: &[OldValue]) -> Query {
        let table = quote_ident(&self.table);
        let list = placeholders(values.len());
        let (stored, bind) = self.stored_value(backend);
        let mut query = Query::new(format!(
            "SELECT CAST(s.k AS TEXT) AS old_key, COUNT(*) AS n \
             FROM (SELECT {stored} AS k FROM {table}) s \
             WHERE s.k IN ({list}) GROUP BY s.k"
        ));
        if let Some(bind) = bind {
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
                (Kind::Id, OldValue::Id(id)) => Bind::BigInt(*id),
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
        let (stored, stored_bind) = self.stored_value(backend);
        match (self.kind, backend) {
            (Kind::Id | Kind::Text, _) => {
                query.push_sql(&format!(
                    "UPDATE {table} SET {column} = m.new_value FROM m WHERE {stored} = m.old_value"
                ));
            }
            (Kind::Json, Backend::Postgres) => {
                let cast = self.pg_json_type();
                query
                    .push_sql(&format!(
                        "UPDATE {table} SET {column} = CAST(jsonb_set(CAST({qualified} AS jsonb), \
                         ARRAY[CAST(? AS TEXT)], COALESCE(to_jsonb(m.new_value), 'null'::jsonb)) AS {cast}) \
                         FROM m WHERE {stored} = m.old_value"
                    ))
                    .push_bind(Bind::Text(self.key.clone().unwrap_or_default()));
            }
            (Kind::Json, Backend::Sqlite) => {
                query
                    .push_sql(&format!(
                        "UPDATE {table} SET {column} = json_set({qualified}, ?, m.new_value) FROM m \
                         WHERE ({stored}) = m.old_value"
                    ))
                    .push_bind(Bind::Text(self.json_path()));
            }
        }
        if let Some(bind) = stored_bind {
            query.push_bind(bind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(kind: Kind) -> RefColumn {
        RefColumn {
            table: "pipeline_nodes".into(),
            column: "params".into(),
            kind,
            key: (kind == Kind::Json).then(|| "llm_provider_model_id".into()),
            data_type: "jsonb".into(),
        }
    }

    #[test]
    fn one_update_statement_maps_every_old_value() {
        let mapping = [
            (OldValue::Id(1), NewValue::Id(Some(7))),
            (OldValue::Id(2), NewValue::Id(None)),
        ];
        let query = column(Kind::Id).update_query(Backend::Postgres, &mapping);
        assert_eq!(
            query.render(Backend::Postgres),
            "WITH m(old_value, new_value) AS (VALUES ($1, $2), ($3, $4)) UPDATE \"pipeline_nodes\" \
             SET \"params\" = m.new_value FROM m WHERE \"pipeline_nodes\".\"params\" = m.old_value"
        );
        assert_eq!(query.binds().len(), 4);
        let counting = column(Kind::Id).update_counting_query(&mapping);
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
        let pg = column(Kind::Json).update_query(Backend::Postgres, &mapping);
        let sql = pg.render(Backend::Postgres);
        assert!(
            sql.contains("COALESCE(to_jsonb(m.new_value), 'null'::jsonb)"),
            "{sql}"
        );
        assert!(sql.contains("AS jsonb)"), "{sql}");
        assert_eq!(pg.binds()[0], Bind::Text("1".into()));
        let lite = column(Kind::Json).update_query(Backend::Sqlite, &mapping);
        assert_eq!(
            lite.binds()[2],
            Bind::Text("$.\"llm_provider_model_id\"".into())
        );
    }
}
