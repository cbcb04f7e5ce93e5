//! PostgreSQL.

use super::{
    Column, CountingUpdate, Dialect, JsonKey, KeyBatch, MAPPING_COLUMNS, MappedUpdate, ObjectAgg,
    RowCollection, in_list, mapping_parts, update_statement, values_cte,
};
use crate::db::query::{Bind, Query};

/// The SQL type a rewritten JSON value is cast back to.
fn json_type(json: &JsonKey<'_>) -> &'static str {
    match json.data_type {
        "json" => "json",
        "jsonb" => "jsonb",
        _ => "text",
    }
}

/// `query` followed by the column as `jsonb`, `NULL` where it is not valid JSON.
fn jsonb(json: &JsonKey<'_>, query: Query) -> Query {
    match json.data_type {
        "jsonb" => json.col(query),
        "json" => json.col(query.sql("CAST(")).sql(" AS jsonb)"),
        _ if json.try_jsonb => json.col(query.sql("llm_lifecycle_try_jsonb(")).sql(")"),
        // A schema from before the function (only `plan`, which cannot
        // migrate, sees one): values that do not look like an object are
        // skipped; a malformed one inside braces still fails the plan,
        // until `apply-models migrate` installs the function.
        _ => json
            .col(
                json.col(query.sql("(CASE WHEN "))
                    .sql(" ~ '^\\s*[{].*[}]\\s*$' THEN CAST("),
            )
            .sql(" AS jsonb) END)"),
    }
}

/// PostgreSQL 13 or later.
pub(super) struct Postgres;

impl Dialect for Postgres {
    fn now(&self) -> &'static str {
        "now()"
    }

    fn within_days(&self, column: &str, days: u32) -> String {
        format!("{column} > now() - interval '{days} days'")
    }

    fn table_exists(&self) -> &'static str {
        "SELECT COUNT(*) AS n FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = "
    }

    fn columns(&self, tables: Vec<Bind>) -> Query {
        in_list(
            "SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name, \
         CAST(data_type AS TEXT) AS data_type, (is_nullable = 'YES') AS nullable, \
         (column_default IS NOT NULL OR is_identity = 'YES' OR is_generated <> 'NEVER') AS has_default \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name IN (",
            tables,
        )
    }

    fn primary_keys(&self) -> &'static str {
        "SELECT CAST(r.relname AS TEXT) AS table_name, CAST(a.attname AS TEXT) AS column_name, \
         CAST(format_type(a.atttypid, NULL) AS TEXT) AS data_type \
         FROM pg_index i \
         JOIN pg_class r ON r.oid = i.indrelid \
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
         WHERE i.indisprimary AND r.relnamespace = CAST(current_schema() AS regnamespace) \
         AND r.relname IN ("
    }

    fn foreign_keys_to(&self) -> &'static str {
        "SELECT CAST(r.relname AS TEXT) AS table_name, CAST(a.attname AS TEXT) AS column_name \
         FROM pg_constraint c \
         JOIN pg_class r ON r.oid = c.conrelid \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
         WHERE c.contype = 'f' AND c.confrelid = to_regclass("
    }

    fn json_value(&self, json: &JsonKey<'_>) -> Query {
        // `->>` already gives an integer's digits (jsonb normalises `1.01e2`
        // to 101), a string's contents and `true`/`false` (never an id); only
        // a number written with a fraction (`101.0`) needs the numeric cast,
        // so most rows extract once.
        let key = |query: Query, op: &str| {
            jsonb(json, query.sql("("))
                .sql(&format!(" {op} CAST("))
                .bind(json.key())
                .sql(" AS TEXT))")
        };
        let mut query = Query::new("(");
        let text_column = json.data_type != "jsonb";
        if text_column {
            // Parsed JSON (`json`, text): only rows that mention the key.
            query = json
                .col(query.sql("CASE WHEN strpos(CAST("))
                .sql(" AS TEXT), ")
                .bind(json.key())
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

    fn json_not_object(&self, json: &JsonKey<'_>) -> Query {
        jsonb(json, Query::new("jsonb_typeof(")).sql(") IS DISTINCT FROM 'object'")
    }

    /// `jsonb_set` of the key; with companion keys, `CASE WHEN value IS NULL
    /// THEN … - companion … ELSE jsonb_set(…, limit key, the new model's limit)
    /// - removed … END`, cast back to the column's type once.
    fn json_set(&self, json: &JsonKey<'_>, value: Query) -> Query {
        let set_key = |doc: Query, key: Bind, value: Query| {
            let mut query = Query::new("jsonb_set(");
            query
                .append(doc)
                .push_sql(", ARRAY[CAST(")
                .push_bind(key)
                .push_sql(" AS TEXT)], COALESCE(to_jsonb(")
                .append(value)
                .push_sql("), 'null'::jsonb))");
            query
        };
        let with_id = || set_key(jsonb(json, Query::default()), json.key(), value.clone());
        let remove = |doc: Query, keys: &mut dyn Iterator<Item = &String>| {
            let mut query = Query::new("(");
            query.append(doc);
            for key in keys {
                query
                    .push_sql(" - CAST(")
                    .push_bind(Bind::Text(key.clone()))
                    .push_sql(" AS TEXT)");
            }
            query.sql(")")
        };
        let companions = &json.companions;
        let doc = if companions.is_empty() {
            with_id()
        } else {
            let cleared = remove(
                with_id(),
                &mut companions.token_limit.iter().chain(companions.remove),
            );
            let mut moved = with_id();
            if let Some(limits) = companions.limits {
                for key in companions.token_limit {
                    moved = set_key(
                        moved,
                        Bind::Text(key.clone()),
                        limits.of(value.clone(), self.integer_type()),
                    );
                }
            }
            let moved = remove(moved, &mut companions.remove.iter());
            super::when_cleared(value, cleared, moved)
        };
        let mut query = Query::new("CAST(");
        query.append(doc);
        query.sql(&format!(" AS {})", json_type(json)))
    }

    fn clock(&self) -> &'static str {
        "clock_timestamp()"
    }

    fn utc_text(&self, column: &str) -> String {
        format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    }

    fn json_quote(&self, expr: &str) -> String {
        format!("CAST(to_json(CAST({expr} AS TEXT)) AS TEXT)")
    }

    fn comma_joined(&self, expr: &str) -> String {
        format!("string_agg({expr}, ',')")
    }

    fn json_of_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS JSONB)")
    }

    fn json_object_agg(&self, key: &str, value: &str, object: &str) -> Option<ObjectAgg> {
        Some(ObjectAgg {
            aggregate: format!("jsonb_object_agg({key}, {value})"),
            keys: format!("(SELECT COUNT(*) FROM jsonb_object_keys({object}))"),
        })
    }

    /// `array_agg(ROW(CAST(a AS t), …))`, and `unnest(collected) AS
    /// alias(a t, …)`: an array of anonymous records, read back with a
    /// column definition list (the casts make each field the listed type).
    fn row_collection(
        &self,
        columns: &[(&str, &str)],
        collected: &str,
        alias: &str,
    ) -> Option<RowCollection> {
        let fields: Vec<String> = columns
            .iter()
            .map(|(name, ty)| format!("CAST({name} AS {ty})"))
            .collect();
        let definitions: Vec<String> = columns
            .iter()
            .map(|(name, ty)| format!("{name} {ty}"))
            .collect();
        Some(RowCollection {
            aggregate: format!("array_agg(ROW({}))", fields.join(", ")),
            relation: format!("unnest({collected}) AS {alias}({})", definitions.join(", ")),
        })
    }

    fn columns_relation(&self, columns: &[(&str, Column)]) -> Query {
        let mut query = Query::new("unnest(");
        for (index, (_, column)) in columns.iter().enumerate() {
            query.push_sql(if index == 0 { "CAST(" } else { ", CAST(" });
            match column {
                Column::Integers(values) => query
                    .push_bind(Bind::BigIntArray(values.clone()))
                    .push_sql(" AS BIGINT[])"),
                Column::Texts(values) => query
                    .push_bind(Bind::TextArray(values.clone()))
                    .push_sql(" AS TEXT[])"),
            };
        }
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        query.push_sql(&format!(") AS t({})", names.join(", ")));
        query
    }

    fn lateral(&self) -> bool {
        true
    }

    fn lock_rows(
        &self,
        table: &str,
        [provider, name]: [&str; 2],
        rows: Vec<Vec<Bind>>,
        condition: &str,
    ) -> Option<Query> {
        let mut query = Query::new("SELECT 1 FROM ");
        query.push_ident(table).push_sql(" p JOIN (VALUES ");
        query.push_rows(rows);
        query.push_sql(") AS c(provider, name) ON p.");
        query.push_ident(provider).push_sql(" = c.provider AND p.");
        query
            .push_ident(name)
            .push_sql(&format!(" = c.name WHERE {condition} FOR UPDATE OF p"));
        Some(query)
    }

    fn counts_while_updating(&self) -> bool {
        true
    }

    /// `WITH written AS (<insert> RETURNING <group>) SELECT <select> FROM
    /// written GROUP BY <group>`.
    fn counting_insert(&self, insert: &Query, group: &str, select: &str) -> Option<Query> {
        let mut query = Query::new("WITH written AS (");
        query.append(insert.clone()).push_sql(&format!(
            " RETURNING {group}) SELECT {select} FROM written GROUP BY {group}"
        ));
        Some(query)
    }

    fn json_join_filters(&self) -> bool {
        true
    }

    fn mapped_update_counting(
        &self,
        update: MappedUpdate<'_>,
        within: Option<Query>,
    ) -> Option<CountingUpdate> {
        let (rows, value, on) = mapping_parts(&update, within);
        let mut query = values_cte(&MAPPING_COLUMNS, rows);
        query
            .push_sql(", u AS (")
            .append(update_statement(
                update.table,
                vec![(update.column, value)],
                on,
            ))
            .push_sql(
                " RETURNING CAST(m.old_value AS TEXT) AS old_key) \
                 SELECT u.old_key, COUNT(*) AS n FROM u GROUP BY u.old_key",
            );
        Some(CountingUpdate::Returning(query))
    }

    /// ```sql
    /// WITH m(old_value, new_value) AS (VALUES …),
    ///   b AS (SELECT t.key AS p FROM t WHERE t.key > after AND <among olds>
    ///         ORDER BY t.key LIMIT n),
    ///   u AS (UPDATE t SET c = set(m.new_value) FROM m
    ///         WHERE <matched> = m.old_value AND t.key = ANY (ARRAY(SELECT b.p FROM b))
    ///         RETURNING m.old_value)
    /// SELECT old_key, COUNT(*), (SELECT MAX(b.p) FROM b) AS last FROM u GROUP BY old_key
    /// ```
    ///
    /// The batch is read once, walking the key's index from `after`; the
    /// `UPDATE` reaches its rows through the same index (`= ANY` of an array
    /// computed once) and checks each row's value again as it locks it (a
    /// row a host write changed meanwhile is left as it is). A batch none
    /// of whose rows could be moved ends the walk: the final transaction
    /// moves whatever is left.
    fn mapped_batch_update(
        &self,
        update: MappedUpdate<'_>,
        batch: KeyBatch<'_>,
    ) -> Option<CountingUpdate> {
        if update.mapping.is_empty() {
            return None;
        }
        let table = update.table;
        let key = |query: &mut Query| {
            query.push_ident(table).push_sql(".").push_ident(batch.key);
        };
        let mut pick = Query::new("SELECT ");
        key(&mut pick);
        pick.push_sql(" AS p FROM ")
            .push_ident(table)
            .push_sql(" WHERE ");
        key(&mut pick);
        pick.push_sql(" > ")
            .push_bind(Bind::BigInt(batch.after))
            .push_sql(" AND ")
            .append(update.matched.among.clone());
        pick.push_sql(" ORDER BY ");
        key(&mut pick);
        pick.push_sql(" LIMIT ")
            .push_bind(Bind::BigInt(i64::try_from(batch.limit).unwrap_or(i64::MAX)));
        let mut within = Query::default();
        key(&mut within);
        within.push_sql(" = ANY (ARRAY(SELECT b.p FROM b))");
        let (rows, value, on) = mapping_parts(&update, Some(within));
        let mut query = values_cte(&MAPPING_COLUMNS, rows);
        query
            .push_sql(", b AS (")
            .append(pick)
            .push_sql("), u AS (")
            .append(update_statement(table, vec![(update.column, value)], on))
            .push_sql(
                " RETURNING CAST(m.old_value AS TEXT) AS old_key) \
                 SELECT u.old_key, COUNT(*) AS n, \
                 (SELECT CAST(MAX(b.p) AS BIGINT) FROM b) AS last FROM u GROUP BY u.old_key",
            );
        Some(CountingUpdate::Returning(query))
    }
}
