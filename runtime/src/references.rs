//! Set-based SQL over the host tables that reference model rows: one grouped
//! count per column for the plan, one `UPDATE … FROM (mapping)` per column for
//! the apply. Both use the same match predicate, so the apply touches exactly
//! the rows the plan counted. No referencing row is ever loaded.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use llm_lifecycle_catalog::ReferenceKind;

use crate::db::dialect::{
    self, Companions, CountingUpdate, Dialect, JsonKey, KeyBatch, MappedUpdate, Matched,
    TokenLimits,
};
use crate::db::{Backend, Bind, Query};
use crate::schema::WRITTEN_TABLE;

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
    /// The integer column the table is keyed by (its one-column primary key,
    /// or on MySQL the unique key [`crate::introspect::integer_keys`] takes),
    /// when the plan looked it up: `apply --batch-size` walks the table by it,
    /// and where it is `id` each row is one resource (see [`Self::id_is_key`]).
    pub(crate) walk_key: Option<String>,
    /// PostgreSQL, JSON in a text column: whether the runtime's
    /// `llm_lifecycle_try_jsonb` exists (its migration ran) to parse values.
    pub(crate) pg_try_jsonb: bool,
    /// Set in the final transaction of a batched apply whose log of written
    /// rows covers the column: only the rows logged are looked at again (the
    /// batches moved every other one; see [`Self::written_condition`]).
    pub(crate) written: Option<Written>,
    /// JSON references: the companion keys set to the new model's token limit…
    pub(crate) companion_limits: Vec<String>,
    /// …and those dropped when the id is repointed (all are dropped when it is cleared).
    pub(crate) companion_removes: Vec<String>,
    /// Where the token limits are: the model table, its id and token limit columns.
    pub(crate) token_limits: Option<(String, String, String)>,
}

/// The rows of a table logged as written while the batches ran
/// ([`RefColumn::written`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Written {
    /// Those logged after this id (PostgreSQL reads them from the log by
    /// the key's index).
    Since(i64),
    /// These keys, read from the log (MySQL: MariaDB 10.11 reads a whole
    /// table to match a single-table `UPDATE` against a subquery).
    Keys(Vec<i64>),
    /// The rows of one range of the key: a batched apply gathers the
    /// resources its notices are about range by range, before the batches.
    Range(KeyRange),
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

/// A batch's rows: those whose integer key `key` is in `(after, through]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRange {
    pub(crate) key: String,
    pub(crate) after: i64,
    pub(crate) through: i64,
}

/// One row of [`RefColumn::batch_query`].
#[derive(QueryableByName, Debug)]
pub(crate) struct BatchCount {
    #[diesel(sql_type = Text)]
    pub(crate) old_key: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) last: i64,
}

/// One row of a grouped count.
#[derive(QueryableByName, Debug)]
pub(crate) struct KeyCount {
    #[diesel(sql_type = Text)]
    pub(crate) old_key: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

/// A row of a counting `UPDATE`: how many rows it rewrote for one old value.
pub(crate) trait Counted {
    /// The old value's key ([`OldValue::key`]).
    fn old_key(&self) -> &str;
    /// The rows rewritten for it.
    fn rows(&self) -> i64;
}

impl Counted for KeyCount {
    fn old_key(&self) -> &str {
        &self.old_key
    }
    fn rows(&self) -> i64 {
        self.n
    }
}

impl Counted for BatchCount {
    fn old_key(&self) -> &str {
        &self.old_key
    }
    fn rows(&self) -> i64 {
        self.n
    }
}

impl RefColumn {
    /// Whether the table's `id` is its key: then each row is one resource,
    /// and a reference without `through` finds its resources without a
    /// `DISTINCT`.
    pub(crate) fn id_is_key(&self) -> bool {
        self.walk_key.as_deref() == Some("id")
    }

    /// Most mapping entries per `UPDATE` of this column: with companion keys
    /// the new value appears in the statement several times (once per
    /// rewritten key, on MySQL with the whole inline mapping each time).
    pub(crate) fn mapping_per_statement(&self) -> usize {
        let repeats = if self.companion_limits.is_empty() && self.companion_removes.is_empty() {
            1
        } else {
            4 + self.companion_limits.len()
        };
        // A JSON match may list the old values again (MySQL, twice: in the
        // `WHERE` and where the row's counter is bumped).
        let listed = if self.kind == ReferenceKind::Json {
            2
        } else {
            1
        };
        MAX_MAPPING_PER_STATEMENT / repeats / listed
    }

    /// `query` followed by the column, `"table"."column"`, quoted by the backend.
    fn col(&self, query: Query) -> Query {
        query.ident(&self.table).sql(".").ident(&self.column)
    }

    /// The column as the dialects see a JSON reference.
    fn json(&self) -> JsonKey<'_> {
        JsonKey {
            table: &self.table,
            column: &self.column,
            key: self.key.as_deref().unwrap_or_default(),
            data_type: &self.data_type,
            try_jsonb: self.pg_try_jsonb,
            companions: Companions {
                token_limit: &self.companion_limits,
                remove: &self.companion_removes,
                limits: self.token_limits.as_ref().map(|limits| TokenLimits {
                    table: &limits.0,
                    id: &limits.1,
                    column: &limits.2,
                }),
            },
        }
    }

    /// Whether the column holds JSON as text on PostgreSQL, so a value may not
    /// be JSON at all and is parsed through `llm_lifecycle_try_jsonb`.
    pub(crate) fn pg_json_in_text(&self) -> bool {
        self.kind == ReferenceKind::Json && !matches!(self.data_type.as_str(), "json" | "jsonb")
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
        match self.kind {
            ReferenceKind::Id | ReferenceKind::Text => self.col(Query::default()),
            ReferenceKind::Json => dialect::of(backend).json_value(&self.json()),
        }
    }

    /// [`stored_value`](Self::stored_value) where only the rows holding one
    /// of `olds` matter (an `UPDATE` of them, a materialised `SELECT
    /// DISTINCT` of them; never a derived table that could be merged), and
    /// the condition that a row holds one of them: a value that is one of
    /// `olds` exactly on those rows, and then their stored value, which an
    /// engine may compute faster there, and a condition that may cost less
    /// than `value IN (olds)` ([`Dialect::json_value_among`],
    /// [`Dialect::json_among`]).
    pub(crate) fn matched_among(&self, backend: Backend, olds: &[Bind]) -> Matched {
        if self.kind == ReferenceKind::Json {
            dialect::of(backend).json_among(&self.json(), olds)
        } else {
            Matched::among(self.stored_value(backend), olds)
        }
    }

    /// [`matched_among`](Self::matched_among), its condition also holding
    /// only on the rows logged as written while the batches ran, when
    /// [`written`](Self::written) is set.
    pub(crate) fn matched_written(&self, backend: Backend, olds: &[Bind]) -> Matched {
        let mut matched = self.matched_among(backend, olds);
        if let Some(mut written) = self.written_condition() {
            written
                .push_sql(" AND (")
                .append(matched.among)
                .push_sql(")");
            matched.among = written;
        }
        matched
    }

    /// With [`written`](Self::written) (and the table's integer key): that
    /// the row's key is one the log holds, `"t"."key" = ANY (ARRAY(SELECT
    /// w.k FROM llm_lifecycle_written w WHERE w.tbl = 't' AND w.id >
    /// since))`, so the few logged keys are looked up in the key's index;
    /// or `"t"."key" IN (keys)` (none: `1 = 0`); or a range's
    /// `"t"."key" > after AND "t"."key" <= through`.
    pub(crate) fn written_condition(&self) -> Option<Query> {
        let logged = |key: &str| Query::default().ident(&self.table).sql(".").ident(key);
        match self.written.as_ref()? {
            Written::Range(range) => Some(self.range_condition(range)),
            Written::Keys(keys) => {
                let mut query = logged(self.walk_key.as_deref()?);
                if keys.is_empty() {
                    return Some(Query::new("1 = 0"));
                }
                query
                    .push_sql(" IN (")
                    .push_binds(keys.iter().map(|key| Bind::BigInt(*key)))
                    .push_sql(")");
                Some(query)
            }
            Written::Since(since) => Some(
                logged(self.walk_key.as_deref()?)
                    .sql(" = ANY (ARRAY(SELECT w.k FROM ")
                    .ident(WRITTEN_TABLE)
                    .sql(" w WHERE w.tbl = ")
                    .bind(Bind::Text(self.table.clone()))
                    .sql(" AND w.id > ")
                    .bind(Bind::BigInt(*since))
                    .sql("))"),
            ),
        }
    }

    /// JSON references: `SELECT n`, how many non-NULL values are not a JSON
    /// object (they are skipped, never rewritten).
    pub(crate) fn not_object_count_query(&self, backend: Backend) -> Query {
        let mut query = self
            .col(
                Query::new("SELECT COUNT(*) AS n FROM ")
                    .ident(&self.table)
                    .sql(" WHERE "),
            )
            .sql(" IS NOT NULL AND ");
        query.append(dialect::of(backend).json_not_object(&self.json()));
        query
    }

    /// An old value bound for comparison with [`stored_value`](Self::stored_value).
    pub(crate) fn old_value_bind(&self, value: &OldValue) -> Bind {
        match (self.kind, value) {
            (ReferenceKind::Id, OldValue::Id(id)) => Bind::BigInt(*id),
            _ => Bind::Text(value.key()),
        }
    }

    /// [`old_value_bind`](Self::old_value_bind) of each of `values`.
    pub(crate) fn old_value_binds<'a>(
        &self,
        values: impl IntoIterator<Item = &'a OldValue>,
    ) -> Vec<Bind> {
        values
            .into_iter()
            .map(|value| self.old_value_bind(value))
            .collect()
    }

    /// `SELECT old_key, n`: how many rows hold each of `values`, grouped.
    /// The rows are found by [`matched_among`](Self::matched_among)'s
    /// condition (MySQL: one parse per row, the common row done after one
    /// test), and only theirs are grouped by their stored value.
    pub(crate) fn count_query(&self, backend: Backend, values: &[OldValue]) -> Query {
        let mut query = Query::new(format!(
            "SELECT CAST(s.k AS {}) AS old_key, COUNT(*) AS n FROM (SELECT ",
            dialect::of(backend).text_type()
        ));
        let olds = self.old_value_binds(values);
        query
            .append(self.stored_value(backend))
            .push_sql(" AS k FROM ")
            .push_ident(&self.table)
            .push_sql(" WHERE ")
            .append(self.matched_written(backend, &olds).among)
            .push_sql(") s GROUP BY s.k");
        query
    }

    /// `SELECT n`: 1 when some row holds one of `values`, else 0. The scan
    /// stops at the first such row (the same condition as
    /// [`count_query`](Self::count_query), without counting them all).
    pub(crate) fn any_query(&self, backend: Backend, values: &[OldValue]) -> Query {
        let dialect = dialect::of(backend);
        let olds = self.old_value_binds(values);
        let mut query = Query::new(format!(
            "SELECT CAST(COUNT(*) AS {}) AS n FROM (SELECT 1 AS one FROM ",
            dialect.integer_type()
        ))
        .ident(&self.table)
        .sql(" WHERE ");
        query.append(self.matched_written(backend, &olds).among);
        query.push_sql(" LIMIT 1) s");
        query
    }

    /// One `UPDATE` rewriting every row that holds an old value to its new
    /// value, the mapping given inline (bound); only the rows of `range`
    /// when given (a batch), else with [`written`](Self::written) only the
    /// rows logged as written.
    pub(crate) fn update_query(
        &self,
        backend: Backend,
        mapping: &[(OldValue, NewValue)],
        range: Option<&KeyRange>,
    ) -> Query {
        let within = self.within(range);
        self.mapped(backend, mapping, |dialect, update| {
            dialect.mapped_update(update, within)
        })
    }

    /// Where the engine can (PostgreSQL, MySQL): the same `UPDATE`, counting
    /// how many rows it rewrote per old value (`old_key`, `n`), so the apply
    /// counts and rewrites in one pass and no row leaves the server.
    pub(crate) fn update_counting_query(
        &self,
        backend: Backend,
        mapping: &[(OldValue, NewValue)],
        range: Option<&KeyRange>,
    ) -> Option<CountingUpdate> {
        let within = self.within(range);
        self.mapped(backend, mapping, |dialect, update| {
            dialect.mapped_update_counting(update, within)
        })
    }

    /// `SELECT old_key, n, last`: the next batch of at most `limit` rows
    /// after the key `after` (in the order of the integer key column `key`)
    /// that hold one of `values`, as their count and largest key per old
    /// value (the batch ends at the largest of those). Walks the key's index from
    /// `after` and stops at `limit` matches: batch after batch, the table is
    /// read once, never from its start again (no `OFFSET`).
    pub(crate) fn batch_query(
        &self,
        backend: Backend,
        values: &[OldValue],
        key: &str,
        after: i64,
        limit: u64,
    ) -> Query {
        let dialect = dialect::of(backend);
        let key_column = |query: Query| query.ident(&self.table).sql(".").ident(key);
        let mut query = Query::new(format!(
            "SELECT CAST(s.k AS {text}) AS old_key, COUNT(*) AS n, \
             CAST(MAX(s.p) AS {integer}) AS last FROM (SELECT ",
            text = dialect.text_type(),
            integer = dialect.integer_type(),
        ));
        let olds = self.old_value_binds(values);
        // Only the batch's rows are kept (a `LIMIT`ed table), so the
        // in-place form of the match serves (MySQL: one parse per row).
        let matched = self.matched_among(backend, &olds);
        query = key_column(query).sql(" AS p, ");
        query.append(matched.value);
        query = key_column(query.sql(" AS k FROM ").ident(&self.table).sql(" WHERE "))
            .sql(" > ")
            .bind(Bind::BigInt(after))
            .sql(" AND ");
        query.append(matched.among);
        query = key_column(query.sql(" ORDER BY "))
            .sql(" LIMIT ")
            .bind(Bind::BigInt(i64::try_from(limit).unwrap_or(i64::MAX)))
            .sql(") s GROUP BY s.k");
        query
    }

    /// Where the engine can (PostgreSQL, MySQL): the batch of
    /// [`batch_query`](Self::batch_query) taken and moved in one statement,
    /// its rows `old_key`, `n`, `last` as there ([`Dialect::mapped_batch_update`]).
    pub(crate) fn batch_update_query(
        &self,
        backend: Backend,
        mapping: &[(OldValue, NewValue)],
        key: &str,
        after: i64,
        limit: u64,
    ) -> Option<CountingUpdate> {
        let batch = KeyBatch { key, after, limit };
        self.mapped(backend, mapping, |dialect, update| {
            dialect.mapped_batch_update(update, batch)
        })
    }

    /// The rows an `UPDATE` of every matching row is limited to: `range`'s,
    /// else those logged as written ([`written_condition`](Self::written_condition)), else all.
    fn within(&self, range: Option<&KeyRange>) -> Option<Query> {
        match range {
            Some(range) => Some(self.range_condition(range)),
            None => self.written_condition(),
        }
    }

    /// `"table"."key" > after AND "table"."key" <= through`.
    fn range_condition(&self, range: &KeyRange) -> Query {
        let key_column = |query: Query| query.ident(&self.table).sql(".").ident(&range.key);
        key_column(
            key_column(Query::default())
                .sql(" > ")
                .bind(Bind::BigInt(range.after))
                .sql(" AND "),
        )
        .sql(" <= ")
        .bind(Bind::BigInt(range.through))
    }

    /// Calls `build` (a mapped `UPDATE` of the dialect) with the mapped
    /// `UPDATE` of this column: its match, the bound mapping and what the
    /// column becomes.
    fn mapped<T>(
        &self,
        backend: Backend,
        mapping: &[(OldValue, NewValue)],
        build: impl FnOnce(&'static dyn Dialect, MappedUpdate<'_>) -> T,
    ) -> T {
        let dialect = dialect::of(backend);
        let json = self.json();
        let set = |value: Query| self.set_value(dialect, &json, value);
        let rows = self.mapping_rows(mapping);
        let olds: Vec<Bind> = rows.iter().map(|[old, _]| old.clone()).collect();
        build(
            dialect,
            MappedUpdate {
                table: &self.table,
                column: &self.column,
                matched: self.matched_among(backend, &olds),
                mapping: rows,
                set: &set,
            },
        )
    }

    /// What the column becomes given the row's new value: the value, or for
    /// JSON the document with only the key changed.
    fn set_value(&self, dialect: &dyn Dialect, json: &JsonKey<'_>, value: Query) -> Query {
        match self.kind {
            ReferenceKind::Id | ReferenceKind::Text => value,
            ReferenceKind::Json => dialect.json_set(json, value),
        }
    }

    /// The mapping as bound `(old, new)` pairs; the match is the same as the
    /// counts' and the notifications' affected resources.
    fn mapping_rows(&self, mapping: &[(OldValue, NewValue)]) -> Vec<[Bind; 2]> {
        mapping
            .iter()
            .map(|(old, new)| {
                [
                    self.old_value_bind(old),
                    match new {
                        NewValue::Id(id) => Bind::NullableBigInt(*id),
                        NewValue::Text(text) => Bind::NullableText(text.clone()),
                    },
                ]
            })
            .collect()
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
            walk_key: None,
            pg_try_jsonb: true,
            written: None,
            companion_limits: Vec::new(),
            companion_removes: Vec::new(),
            token_limits: None,
        }
    }

    #[test]
    fn one_update_statement_maps_every_old_value() {
        let mapping = [
            (OldValue::Id(1), NewValue::Id(Some(7))),
            (OldValue::Id(2), NewValue::Id(None)),
        ];
        let query = column(ReferenceKind::Id).update_query(Backend::Postgres, &mapping, None);
        assert_eq!(
            query.render(Backend::Postgres),
            "WITH m(old_value, new_value) AS (VALUES ($1, $2), ($3, $4)) UPDATE \"pipeline_nodes\" \
             SET \"params\" = m.new_value FROM m WHERE \"pipeline_nodes\".\"params\" = m.old_value"
        );
        assert_eq!(query.binds().len(), 4);
        let Some(CountingUpdate::Returning(counting)) =
            column(ReferenceKind::Id).update_counting_query(Backend::Postgres, &mapping, None)
        else {
            panic!("PostgreSQL counts in the UPDATE's RETURNING");
        };
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
        let pg = column(ReferenceKind::Json).update_query(Backend::Postgres, &mapping, None);
        let sql = pg.render(Backend::Postgres);
        assert!(
            sql.contains("COALESCE(to_jsonb(m.new_value), 'null'::jsonb)"),
            "{sql}"
        );
        assert!(sql.contains("AS jsonb)"), "{sql}");
        assert_eq!(*pg.binds()[0], Bind::Text("1".into()));
        let lite = column(ReferenceKind::Json).update_query(Backend::Sqlite, &mapping, None);
        let path = Bind::Text("$.\"llm_provider_model_id\"".into());
        assert_eq!(lite.binds()[2..], vec![&path; 7]);
        let my = column(ReferenceKind::Json).update_query(Backend::Mysql, &mapping, None);
        let sql = my.render(Backend::Mysql);
        assert!(
            sql.starts_with(
                "UPDATE `pipeline_nodes` SET `pipeline_nodes`.`params` = JSON_SET(`pipeline_nodes`.`params`, ?, CASE "
            ),
            "{sql}"
        );
        assert!(sql.contains(" WHEN ? THEN ? END) WHERE "), "{sql}");
        // The `WHERE` is the match as a condition, the typed value last.
        assert!(
            sql.ends_with(" IN (?) ELSE FALSE END) ELSE FALSE END)"),
            "{sql}"
        );
        assert!(
            column(ReferenceKind::Id)
                .update_counting_query(Backend::Sqlite, &mapping, None)
                .is_none()
        );
    }

    #[test]
    fn a_mysql_update_counts_in_session_counters_bumped_once_per_row() {
        let mapping = [
            (OldValue::Id(1), NewValue::Id(Some(7))),
            (OldValue::Id(2), NewValue::Id(None)),
        ];
        let Some(CountingUpdate::Counters {
            reset,
            update,
            read,
        }) = column(ReferenceKind::Json).update_counting_query(Backend::Mysql, &mapping, None)
        else {
            panic!("MySQL counts with session counters");
        };
        assert_eq!(
            reset.render(Backend::Mysql),
            "SET @llm_lifecycle_k_text = '', @llm_lifecycle_n0 = 0, @llm_lifecycle_n1 = 0"
        );
        assert_eq!(
            read.render(Backend::Mysql),
            "SELECT CAST(? AS CHAR) AS old_key, CAST(@llm_lifecycle_n0 AS SIGNED) AS n UNION ALL \
             SELECT CAST(? AS CHAR) AS old_key, CAST(@llm_lifecycle_n1 AS SIGNED) AS n"
        );
        assert_eq!(
            read.binds(),
            vec![&Bind::Text("1".into()), &Bind::Text("2".into())]
        );
        let sql = update.render(Backend::Mysql);
        // Each counter is bumped once, in the `SET`, on the row's old value…
        for counter in ["@llm_lifecycle_n0", "@llm_lifecycle_n1"] {
            assert_eq!(
                sql.matches(&format!("({counter} := {counter} + 1)"))
                    .count(),
                1,
                "{sql}"
            );
        }
        let (set, filter) = sql.split_once(" WHERE ").unwrap_or_default();
        assert!(
            set.starts_with(
                "UPDATE `pipeline_nodes` SET `pipeline_nodes`.`params` = IF((CASE (@llm_lifecycle_k_text := (CASE WHEN "
            ),
            "{sql}"
        );
        // …which the new value's `CASE` then reads, not the document again.
        assert!(
            set.contains(", JSON_SET(`pipeline_nodes`.`params`, ?, CASE @llm_lifecycle_k_text WHEN ? THEN ? WHEN ? THEN ? END))"),
            "{sql}"
        );
        assert!(!filter.contains(":= @llm_lifecycle_n"), "{sql}");
        // The `WHERE` is a condition: a row matching nothing is done after
        // the key's `JSON_VALUE`, its `IN` and the test of its form.
        assert!(
            filter.contains(
                "(CASE WHEN (@llm_lifecycle_v := JSON_VALUE(`pipeline_nodes`.`params`, ?)) IN (?, ?) \
                 THEN (@llm_lifecycle_v REGEXP '^-{0,1}[1-9][0-9]+$' OR JSON_TYPE("
            ),
            "{sql}"
        );
        assert!(
            filter.ends_with(" IN (?, ?) ELSE FALSE END) ELSE FALSE END)"),
            "{sql}"
        );
        // A MariaDB `JSON` column (valid by its check) is parsed once per row
        // without searching for the key first; a text column is searched and
        // validated first (MySQL 8 fails on invalid JSON).
        let mut json_text = column(ReferenceKind::Json);
        json_text.data_type = "json_text".into();
        let Some(CountingUpdate::Counters { update, .. }) =
            json_text.update_counting_query(Backend::Mysql, &mapping, None)
        else {
            panic!("MySQL counts with session counters");
        };
        let sql = update.render(Backend::Mysql);
        assert!(
            !sql.contains("LOCATE(") && !sql.contains("JSON_VALID("),
            "{sql}"
        );
        assert!(
            sql.ends_with(" WHERE (CASE WHEN (@llm_lifecycle_v := JSON_VALUE(`pipeline_nodes`.`params`, ?)) IN (?, ?) \
                THEN (@llm_lifecycle_v REGEXP '^-{0,1}[1-9][0-9]+$' OR JSON_TYPE(JSON_EXTRACT(`pipeline_nodes`.`params`, ?)) <> 'BOOLEAN') \
                WHEN CHAR_LENGTH(@llm_lifecycle_v) > 2 AND (@llm_lifecycle_v REGEXP '[.eE]' OR CHAR_LENGTH(@llm_lifecycle_v) > 18) \
                THEN (CASE JSON_TYPE(JSON_EXTRACT(`pipeline_nodes`.`params`, ?)) \
                WHEN 'INTEGER' THEN (CASE WHEN @llm_lifecycle_v REGEXP '[eE]' THEN (CASE WHEN JSON_EXTRACT(`pipeline_nodes`.`params`, ?) + 0 = FLOOR(JSON_EXTRACT(`pipeline_nodes`.`params`, ?) + 0) THEN CAST(CAST(JSON_EXTRACT(`pipeline_nodes`.`params`, ?) + 0 AS SIGNED) AS CHAR) END) ELSE @llm_lifecycle_v END) \
                WHEN 'UNSIGNED INTEGER' THEN (CASE WHEN @llm_lifecycle_v REGEXP '[eE]' THEN (CASE WHEN JSON_EXTRACT(`pipeline_nodes`.`params`, ?) + 0 = FLOOR(JSON_EXTRACT(`pipeline_nodes`.`params`, ?) + 0) THEN CAST(CAST(JSON_EXTRACT(`pipeline_nodes`.`params`, ?) + 0 AS SIGNED) AS CHAR) END) ELSE @llm_lifecycle_v END) \
                WHEN 'STRING' THEN @llm_lifecycle_v \
                WHEN 'DOUBLE' THEN (CASE WHEN JSON_EXTRACT(`pipeline_nodes`.`params`, ?) + 0 = FLOOR(JSON_EXTRACT(`pipeline_nodes`.`params`, ?) + 0) THEN CAST(CAST(JSON_EXTRACT(`pipeline_nodes`.`params`, ?) + 0 AS SIGNED) AS CHAR) END) END) IN (?, ?) ELSE FALSE END)"),
            "{sql}"
        );
        // An integer column keeps its old value in a variable of its own,
        // set to an integer first (MariaDB types a variable by the value it
        // holds when a statement starts).
        let Some(CountingUpdate::Counters { reset, update, .. }) =
            column(ReferenceKind::Id).update_counting_query(Backend::Mysql, &mapping, None)
        else {
            panic!("MySQL counts with session counters");
        };
        assert!(
            reset
                .render(Backend::Mysql)
                .starts_with("SET @llm_lifecycle_k_int = 0, @llm_lifecycle_n0 = 0"),
            "{}",
            reset.render(Backend::Mysql)
        );
        let sql = update.render(Backend::Mysql);
        assert!(sql.contains("CASE @llm_lifecycle_k_int WHEN"), "{sql}");
        assert!(!sql.contains("@llm_lifecycle_k_text"), "{sql}");
    }

    /// MariaDB's `JSON_VALUE` reads `true` and `false` as `1` and `0`: a
    /// row's JSON type is checked where the old ids hold one of those, and
    /// only there.
    #[test]
    fn a_mysql_update_checks_for_booleans_only_where_an_old_id_reads_as_one() {
        let sql_of = |olds: [i64; 2]| {
            let mapping = olds.map(|old| (OldValue::Id(old), NewValue::Id(Some(7))));
            let Some(CountingUpdate::Counters { update, .. }) =
                column(ReferenceKind::Json).update_counting_query(Backend::Mysql, &mapping, None)
            else {
                panic!("MySQL counts with session counters");
            };
            update.render(Backend::Mysql)
        };
        let boolean_check = "JSON_TYPE(JSON_EXTRACT(`pipeline_nodes`.`params`, ?)) <> 'BOOLEAN'";
        for olds in [[1, 17], [0, 17]] {
            let sql = sql_of(olds);
            // In the `SET`'s value and in the `WHERE`.
            assert_eq!(sql.matches(boolean_check).count(), 2, "{olds:?}: {sql}");
        }
        let sql = sql_of([17, 42]);
        assert!(!sql.contains(boolean_check), "{sql}");
        assert!(!sql.contains("REGEXP '^-{0,1}[1-9][0-9]+$'"), "{sql}");
        let (set, filter) = sql.split_once(" WHERE ").unwrap_or_default();
        assert!(
            set.contains(
                "IN (?, ?) THEN @llm_lifecycle_v WHEN CHAR_LENGTH(@llm_lifecycle_v) > 2 AND"
            ),
            "{sql}"
        );
        assert!(
            filter.contains(
                "(CASE WHEN (@llm_lifecycle_v := JSON_VALUE(`pipeline_nodes`.`params`, ?)) IN (?, ?) \
                 THEN TRUE WHEN CHAR_LENGTH(@llm_lifecycle_v) > 2 AND"
            ),
            "{sql}"
        );
    }

    #[test]
    fn a_batch_is_taken_and_moved_in_one_statement_on_postgres_and_mysql() {
        let id = column(ReferenceKind::Id);
        let mapping = [
            (OldValue::Id(1), NewValue::Id(Some(7))),
            (OldValue::Id(2), NewValue::Id(None)),
        ];
        let Some(CountingUpdate::Returning(query)) =
            id.batch_update_query(Backend::Postgres, &mapping, "id", 40, 10_000)
        else {
            panic!("PostgreSQL takes and moves a batch in one statement");
        };
        let sql = query.render(Backend::Postgres);
        let key = "\"pipeline_nodes\".\"id\"";
        // The batch: after the last key, in key order, at most N; no OFFSET…
        assert!(
            sql.contains(&format!(
                ", b AS (SELECT {key} AS p FROM \"pipeline_nodes\" WHERE {key} > $5 AND \
                 \"pipeline_nodes\".\"params\" IN ($6, $7) ORDER BY {key} LIMIT $8), u AS (UPDATE "
            )),
            "{sql}"
        );
        assert!(!sql.to_ascii_uppercase().contains("OFFSET"), "{sql}");
        // …whose rows the `UPDATE` reaches by key, checking each one's value
        // again, counted per old value with the batch's last key.
        assert!(
            sql.contains(&format!(
                "WHERE \"pipeline_nodes\".\"params\" = m.old_value AND {key} = ANY (ARRAY(SELECT b.p FROM b)) \
                 RETURNING CAST(m.old_value AS TEXT) AS old_key)"
            )),
            "{sql}"
        );
        assert!(
            sql.ends_with(
                "SELECT u.old_key, COUNT(*) AS n, (SELECT CAST(MAX(b.p) AS BIGINT) FROM b) AS last \
                 FROM u GROUP BY u.old_key"
            ),
            "{sql}"
        );
        let binds = query.binds();
        assert_eq!(
            binds[4..],
            [
                &Bind::BigInt(40),
                &Bind::BigInt(1),
                &Bind::BigInt(2),
                &Bind::BigInt(10_000)
            ]
        );
        // MySQL: the counting `UPDATE` of the next N rows in key order, each
        // row's key kept before its counter is bumped, read back as `last`.
        let Some(CountingUpdate::Counters {
            reset,
            update,
            read,
        }) = id.batch_update_query(Backend::Mysql, &mapping, "id", 40, 10_000)
        else {
            panic!("MySQL takes and moves a batch in one statement");
        };
        let key = "`pipeline_nodes`.`id`";
        assert!(
            reset
                .render(Backend::Mysql)
                .ends_with(", @llm_lifecycle_n1 = 0, @llm_lifecycle_last = 0"),
            "{}",
            reset.render(Backend::Mysql)
        );
        let sql = update.render(Backend::Mysql);
        assert!(
            sql.contains(&format!(
                "= IF((CASE WHEN (@llm_lifecycle_last := {key}) IS NULL THEN NULL \
                 ELSE (CASE (@llm_lifecycle_k_int := `pipeline_nodes`.`params`) WHEN ? THEN"
            )),
            "{sql}"
        );
        assert!(
            sql.ends_with(&format!(
                " WHERE `pipeline_nodes`.`params` IN (?, ?) AND {key} > ? ORDER BY {key} LIMIT ?"
            )),
            "{sql}"
        );
        let binds = update.binds();
        assert_eq!(
            binds[binds.len() - 2..],
            [&Bind::BigInt(40), &Bind::BigInt(10_000)]
        );
        assert!(
            read.render(Backend::Mysql).ends_with(
                "CAST(@llm_lifecycle_n1 AS SIGNED) AS n, CAST(@llm_lifecycle_last AS SIGNED) AS last"
            ),
            "{}",
            read.render(Backend::Mysql)
        );
        assert!(
            id.batch_update_query(Backend::Sqlite, &mapping, "id", 40, 10_000)
                .is_none()
        );
    }

    #[test]
    fn a_batch_reads_on_from_the_last_key_and_updates_only_its_range() {
        let id = column(ReferenceKind::Id);
        let values = [OldValue::Id(1), OldValue::Id(2)];
        for backend in [Backend::Postgres, Backend::Sqlite, Backend::Mysql] {
            let head = id.batch_query(backend, &values, "id", 40, 10_000);
            let sql = head.render(backend);
            // diesel quotes with backquotes on SQLite and MySQL.
            let (q, key) = if backend == Backend::Postgres {
                ("\"", "\"pipeline_nodes\".\"id\"")
            } else {
                ("`", "`pipeline_nodes`.`id`")
            };
            // Keyset: after the last key, in key order, at most N; no OFFSET.
            assert!(sql.contains(&format!("WHERE {key} > ")), "{sql}");
            assert!(sql.contains(&format!("ORDER BY {key} LIMIT ")), "{sql}");
            assert!(!sql.to_ascii_uppercase().contains("OFFSET"), "{sql}");
            assert!(sql.ends_with(") s GROUP BY s.k"), "{sql}");
            assert!(
                sql.contains(&format!("{q}pipeline_nodes{q}.{q}params{q} IN (")),
                "{sql}"
            );
            let binds = head.binds();
            assert_eq!(*binds[0], Bind::BigInt(40));
            assert_eq!(*binds[binds.len() - 1], Bind::BigInt(10_000));

            let range = KeyRange {
                key: "id".into(),
                after: 40,
                through: 90,
            };
            let mapping = [(OldValue::Id(1), NewValue::Id(Some(7)))];
            let update = id.update_query(backend, &mapping, Some(&range));
            let sql = update.render(backend);
            assert!(
                sql.ends_with(&format!(
                    "AND {key} > {} AND {key} <= {}",
                    placeholder(backend, update.binds().len() - 1),
                    placeholder(backend, update.binds().len())
                )),
                "{sql}"
            );
            let binds = update.binds();
            assert_eq!(
                binds[binds.len() - 2..],
                [&Bind::BigInt(40), &Bind::BigInt(90)]
            );
        }
    }

    /// The `n`-th placeholder (from 1) as `backend` writes it.
    fn placeholder(backend: Backend, n: usize) -> String {
        match backend {
            Backend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        }
    }
}
