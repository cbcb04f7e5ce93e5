//! What differs between the engines, behind one interface: one module per
//! engine ([`postgres`], [`sqlite`], [`mysql`]), so the layers above read the
//! same for all three and a fourth engine is one new module.
//!
//! Identifiers are quoted with double quotes on every engine: MySQL sessions
//! run with `ANSI_QUOTES` (see `Database::connect`), so `"name"` is an
//! identifier there too and string literals are single-quoted everywhere.

mod mysql;
mod postgres;
mod sqlite;

use super::query::{Bind, Query};
use crate::backend::Backend;

/// A host column holding JSON objects, one top-level key of which holds a
/// model row id: what the dialects read and rewrite.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonKey<'a> {
    /// The table.
    pub(crate) table: &'a str,
    /// The column.
    pub(crate) column: &'a str,
    /// The top-level key.
    pub(crate) key: &'a str,
    /// The column's declared type, lower case (`jsonb`, `json`, `text`, `longtext`…).
    pub(crate) data_type: &'a str,
    /// PostgreSQL, JSON in a text column: whether `llm_lifecycle_try_jsonb`
    /// exists to parse values.
    pub(crate) try_jsonb: bool,
    /// The keys rewritten with the id (`companions` of the reference).
    pub(crate) companions: Companions<'a>,
}

/// The companion keys of a JSON reference: set to the new model's token
/// limit, or dropped, when the id is repointed; all dropped when it is cleared.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Companions<'a> {
    /// Keys set to the new model's token limit.
    pub(crate) token_limit: &'a [String],
    /// Keys dropped.
    pub(crate) remove: &'a [String],
    /// Where token limits are read (the model table).
    pub(crate) limits: Option<TokenLimits<'a>>,
}

impl Companions<'_> {
    /// Whether there is any companion key.
    pub(crate) fn is_empty(&self) -> bool {
        self.token_limit.is_empty() && self.remove.is_empty()
    }

    /// Every companion key.
    pub(crate) fn all(&self) -> impl Iterator<Item = &String> {
        self.token_limit.iter().chain(self.remove)
    }
}

/// The model table's token limits, read by id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenLimits<'a> {
    /// The model table.
    pub(crate) table: &'a str,
    /// Its id column.
    pub(crate) id: &'a str,
    /// Its token limit column.
    pub(crate) column: &'a str,
}

impl TokenLimits<'_> {
    /// `(SELECT CAST(l.column AS integer) FROM table l WHERE l.id = new)`.
    pub(crate) fn of(&self, new: Query, integer_type: &str) -> Query {
        let mut query = Query::new("(SELECT CAST(l.");
        query
            .push_ident(self.column)
            .push_sql(&format!(" AS {integer_type}) FROM "))
            .push_ident(self.table)
            .push_sql(" l WHERE l.")
            .push_ident(self.id)
            .push_sql(" = ")
            .append(new)
            .push_sql(")");
        query
    }
}

/// `JSON_SET(column, path, value)` where JSON functions take paths (SQLite,
/// MySQL): the id set to `value` (JSON null when clearing); with companion
/// keys, `CASE WHEN value IS NULL THEN JSON_REMOVE(…, every companion) ELSE
/// JSON_REMOVE(JSON_SET(…, limit paths, the new model's limit), removed) END`.
fn path_json_set(dialect: &dyn Dialect, json: &JsonKey<'_>, value: Query) -> Query {
    let path = |key: &str| Bind::Text(format!("$.\"{key}\""));
    let set = |extra: &dyn Fn(&mut Query)| {
        let mut query = json
            .col(Query::new("JSON_SET("))
            .sql(", ")
            .bind(json.path())
            .sql(", ");
        query.append(value.clone());
        extra(&mut query);
        query.sql(")")
    };
    let companions = &json.companions;
    if companions.is_empty() {
        return set(&|_| {});
    }
    // `keys` is never empty here (`JSON_REMOVE` needs a path).
    let remove = |doc: Query, keys: &mut dyn Iterator<Item = &String>| {
        let mut query = Query::new("JSON_REMOVE(");
        query.append(doc);
        for key in keys {
            query.push_sql(", ").push_bind(path(key));
        }
        query.sql(")")
    };
    let cleared = remove(set(&|_| {}), &mut companions.all());
    let limits = |query: &mut Query| {
        if let Some(limits) = companions.limits {
            for key in companions.token_limit {
                query
                    .push_sql(", ")
                    .push_bind(path(key))
                    .push_sql(", ")
                    .append(limits.of(value.clone(), dialect.integer_type()));
            }
        }
    };
    let moved = if companions.remove.is_empty() {
        set(&limits)
    } else {
        remove(set(&limits), &mut companions.remove.iter())
    };
    when_cleared(value, cleared, moved)
}

/// `(CASE WHEN value IS NULL THEN cleared ELSE moved END)`: a JSON document
/// with its companions dropped when the id is cleared, else rewritten.
pub(super) fn when_cleared(value: Query, cleared: Query, moved: Query) -> Query {
    let mut query = Query::new("(CASE WHEN ");
    query
        .append(value)
        .push_sql(" IS NULL THEN ")
        .append(cleared)
        .push_sql(" ELSE ")
        .append(moved)
        .push_sql(" END)");
    query
}

impl JsonKey<'_> {
    /// `query` followed by `"table"."column"`.
    pub(crate) fn col(&self, query: Query) -> Query {
        query.ident(self.table).sql(".").ident(self.column)
    }

    /// The key as a bound JSON path, `$."key"`.
    pub(crate) fn path(&self) -> Bind {
        Bind::Text(format!("$.\"{}\"", self.key))
    }

    /// The key as a bound text.
    pub(crate) fn key(&self) -> Bind {
        Bind::Text(self.key.to_owned())
    }
}

/// One column of [`Dialect::columns_relation`]: its name and values.
#[derive(Debug, Clone)]
pub(crate) enum Column {
    /// 64-bit integers.
    Integers(Vec<i64>),
    /// Texts.
    Texts(Vec<String>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Self::Integers(values) => values.len(),
            Self::Texts(values) => values.len(),
        }
    }

    fn bind(&self, row: usize) -> Bind {
        match self {
            Self::Integers(values) => Bind::BigInt(values.get(row).copied().unwrap_or_default()),
            Self::Texts(values) => Bind::Text(values.get(row).cloned().unwrap_or_default()),
        }
    }
}

/// The rows of `columns`, one bound value per cell: what the engines without
/// array binds expand.
fn column_rows(columns: &[(&str, Column)]) -> Vec<Vec<Bind>> {
    let rows = columns.first().map_or(0, |(_, column)| column.len());
    (0..rows)
        .map(|row| columns.iter().map(|(_, column)| column.bind(row)).collect())
        .collect()
}

/// `prefix`, which ends in `IN (`, then the bound `values` and `)`.
fn in_list(prefix: &str, values: Vec<Bind>) -> Query {
    let mut query = Query::new(prefix);
    query.push_binds(values).push_sql(")");
    query
}

/// A reference column's rows in a mapped `UPDATE`: the expression their
/// stored value is matched by, and the condition that it is one of the
/// mapping's old values.
#[derive(Debug, Clone)]
pub(crate) struct Matched {
    /// The stored value; for JSON [`Dialect::json_value_among`].
    pub(crate) value: Query,
    /// `value IN (olds)`, or a condition that holds on exactly the same rows
    /// and costs less ([`Dialect::json_among`]); where the mapping is joined
    /// (PostgreSQL, SQLite), the join matches `value` and this is not used.
    pub(crate) among: Query,
}

impl Matched {
    /// `value`, and `value IN (olds)` as its condition.
    pub(crate) fn among(value: Query, olds: &[Bind]) -> Self {
        let mut among = value.clone();
        among
            .push_sql(" IN (")
            .push_binds(olds.iter().cloned())
            .push_sql(")");
        Self { value, among }
    }
}

/// A mapped `UPDATE` of one reference column of `table`: `column` becomes
/// `set(new)` in every row whose `matched` value is the old value of one of
/// `mapping`'s bound `(old, new)` pairs, `new` being the SQL expression of
/// that row's new value.
pub(crate) struct MappedUpdate<'a> {
    pub(crate) table: &'a str,
    pub(crate) column: &'a str,
    pub(crate) matched: Matched,
    pub(crate) mapping: Vec<[Bind; 2]>,
    pub(crate) set: &'a dyn Fn(Query) -> Query,
}

/// The batch a [`Dialect::mapped_batch_update`] takes: at most `limit` rows
/// after the key `after`, in the order of the integer key column `key`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyBatch<'a> {
    pub(crate) key: &'a str,
    pub(crate) after: i64,
    pub(crate) limit: u64,
}

/// The columns of the mapping relation of [`Dialect::mapped_update`].
const MAPPING_COLUMNS: [&str; 2] = ["old_value", "new_value"];

/// A mapped `UPDATE` that counts the rows it rewrites, per old value.
#[derive(Debug)]
pub(crate) enum CountingUpdate {
    /// One statement whose rows are the counts (`old_key`, `n`): PostgreSQL's
    /// `UPDATE … RETURNING` inside a `WITH`.
    Returning(Query),
    /// MySQL, which has no `UPDATE … RETURNING`: `reset` sets one session
    /// counter per old value to zero, `update` bumps the counter of each row's
    /// old value as it rewrites the row, and `read` reads the counters back
    /// (`old_key`, `n`). Their sum must be the rows `update` reports.
    Counters {
        reset: Query,
        update: Query,
        read: Query,
    },
}

/// One assignment of an `UPDATE`: the target column and its new value.
pub(crate) type Assignment<'a> = (&'a str, Query);

/// A JSON object aggregate and the count of its keys
/// ([`Dialect::json_object_agg`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectAgg {
    /// The aggregate, one object per group.
    pub(crate) aggregate: String,
    /// The number of keys of the object the caller named.
    pub(crate) keys: String,
}

/// An aggregate of a group's rows into one value, and the relation of the
/// rows such a value holds ([`Dialect::row_collection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowCollection {
    /// The aggregate, one value per group.
    pub(crate) aggregate: String,
    /// The rows of the value the caller named, as a relation with the
    /// caller's alias and columns (for a `FROM`).
    pub(crate) relation: String,
}

/// The SQL that differs between engines. The provided methods are the
/// standard SQL that PostgreSQL and SQLite share; MySQL overrides them.
pub(crate) trait Dialect: Sync {
    /// The current time, as a `DEFAULT`-compatible expression.
    fn now(&self) -> &'static str;
    /// The type a value is `CAST` to for text (`TEXT`, or `CHAR` on MySQL).
    fn text_type(&self) -> &'static str {
        "TEXT"
    }
    /// The type a text of at most `chars` characters is `CAST` to where its
    /// width matters ([`text_type`](Self::text_type), or `CHAR(chars)` on
    /// MySQL, whose unbounded text keeps a temporary table on disk).
    fn bounded_text_type(&self, _chars: usize) -> String {
        self.text_type().to_owned()
    }
    /// The type a value is `CAST` to for a 64-bit integer (`BIGINT`, or `SIGNED` on MySQL).
    fn integer_type(&self) -> &'static str {
        "BIGINT"
    }
    /// A condition: the timestamp `column` is less than `days` days old.
    fn within_days(&self, column: &str, days: u32) -> String;
    /// `SELECT COUNT(*) AS n`: whether a table named by the one bound value
    /// that follows exists (in the current schema / database).
    fn table_exists(&self) -> &'static str;
    /// `SELECT table_name, column_name, data_type, nullable, has_default` of
    /// the tables named by `tables` (bound names).
    fn columns(&self, tables: Vec<Bind>) -> Query;
    /// `SELECT table_name, column_name` of every foreign key pointing at the
    /// table whose name follows as one bound value and `)`.
    fn foreign_keys_to(&self) -> &'static str;
    /// `SELECT table_name, column_name, data_type` of the primary key
    /// columns of the tables listed after it (`IN (`, bound names, `)` follow).
    fn primary_keys(&self) -> &'static str;
    /// Whether `INSERT … RETURNING` is available.
    fn insert_returning(&self) -> bool {
        true
    }
    /// The ending of an upsert on `conflict` that sets `assignments`
    /// (`col = <new value of col>` is written by [`Dialect::new_value`]).
    fn on_conflict_update(&self, conflict: &str, assignments: &str) -> String {
        format!(" ON CONFLICT ({conflict}) DO UPDATE SET {assignments}")
    }
    /// The value an upsert proposed for `column` (`excluded.col`, `VALUES(col)`).
    fn new_value(&self, column: &str) -> String {
        format!("excluded.{column}")
    }

    /// The SQL expression for the key's value as old values are matched
    /// against it: the text of an integer when it is a number equal to an
    /// integer (`3`, `3.0`, `3e0` all give `"3"`) or a string's contents, and
    /// `NULL` for anything else (booleans, null, objects, arrays, and values
    /// that are not a JSON object at all: never an error).
    fn json_value(&self, json: &JsonKey<'_>) -> Query;
    /// [`Dialect::json_value`] where only the rows whose value is one of
    /// `olds` (bound) matter, in a statement's own `WHERE` and `SET` or a
    /// materialised `SELECT DISTINCT` (never a derived table that could be
    /// merged): an expression that is one of `olds` exactly when the stored
    /// value is, and then equals it (anything else on the other rows). MySQL
    /// reads the key once per row and tests the common case against `olds`
    /// before anything else.
    fn json_value_among(&self, json: &JsonKey<'_>, _olds: &[Bind]) -> Query {
        self.json_value(json)
    }
    /// A row of a mapped `UPDATE` over a JSON key: [`Dialect::json_value_among`],
    /// and the condition that it is one of `olds`. MySQL's condition is a
    /// boolean of its own, which a row that matches nothing leaves after one
    /// `JSON_VALUE` and one test of its form.
    fn json_among(&self, json: &JsonKey<'_>, olds: &[Bind]) -> Matched {
        Matched::among(self.json_value_among(json, olds), olds)
    }
    /// Whether, where the rows holding a JSON key's old value are joined to
    /// those values on [`Dialect::json_value`] (the notices' candidates),
    /// the join alone picks them, without [`Dialect::json_among`]'s `IN` as
    /// well (PostgreSQL: the hash join computes the value once per row, the
    /// `IN` a second time, about 70 ms per million rows). Elsewhere the
    /// condition stays: MySQL's reads the key that its value then uses.
    fn json_join_filters(&self) -> bool {
        false
    }
    /// Whether the notices' affected resources reached through an owner
    /// table are found as distinct (old value, owner id) pairs first, then
    /// joined to their owners (MySQL), instead of joined first.
    fn distinct_before_join(&self) -> bool {
        false
    }
    /// The join keyword that keeps the left side as the outer, driving one:
    /// MySQL's `STRAIGHT_JOIN`, plain `JOIN` elsewhere. For a large derived
    /// table joined to a few bound rows: MariaDB 10.11 otherwise drives from
    /// the few rows and first builds an index over the materialised large one
    /// (the notices: 5.5 s instead of 3.9 s for the statement at the
    /// benchmark's full scale).
    fn join_driven_by_left(&self) -> &'static str {
        "JOIN"
    }
    /// A condition on a non-NULL value: it is not a JSON object.
    fn json_not_object(&self, json: &JsonKey<'_>) -> Query;
    /// The column's value with the key set to the SQL expression `value`
    /// (a number; SQL `NULL` writes JSON null), every other key kept.
    fn json_set(&self, json: &JsonKey<'_>, value: Query) -> Query;
    /// A relation of bound rows, for `WITH x(columns) AS (…)` or `JOIN (…) AS
    /// x`: `VALUES (…), (…)` (columns `column1…` unless the `WITH` names
    /// them), or on MySQL a `UNION ALL` of `SELECT`s whose columns are `columns`.
    fn relation(&self, _columns: &[&str], rows: Vec<Vec<Bind>>) -> Query {
        let mut query = Query::new("VALUES ");
        query.push_rows(rows);
        query
    }
    /// The `UPDATE` of `update`, one statement; only rows that also meet
    /// `within` when given (a batch's key range).
    fn mapped_update(&self, update: MappedUpdate<'_>, within: Option<Query>) -> Query {
        let (rows, value, on) = mapping_parts(&update, within);
        self.update_from(
            update.table,
            &MAPPING_COLUMNS,
            rows,
            vec![(update.column, value)],
            on,
        )
    }
    /// Whether [`Dialect::mapped_update_counting`] counts in the `UPDATE`
    /// itself (then the apply's plan need not count the rows it moves).
    fn counts_while_updating(&self) -> bool {
        false
    }
    /// `insert` (an `INSERT … SELECT`) as one statement that also gives the
    /// rows it wrote grouped by `group` (columns of the inserted table),
    /// `SELECT <select> … GROUP BY <group>`, where the engine can count in
    /// the statement itself (PostgreSQL: a data-modifying CTE over its
    /// `RETURNING`); `None` elsewhere, where the rows are read back.
    fn counting_insert(&self, _insert: &Query, _group: &str, _select: &str) -> Option<Query> {
        None
    }
    /// [`Dialect::mapped_update`], also counting the rows it rewrote per old
    /// value (`old_key`, `n`), where the engine can count in the statement
    /// itself (PostgreSQL: a data-modifying CTE; MySQL: session counters the
    /// `UPDATE` bumps); `None` elsewhere, where the plan's counts are checked
    /// against the rows the `UPDATE` matched.
    fn mapped_update_counting(
        &self,
        _update: MappedUpdate<'_>,
        _within: Option<Query>,
    ) -> Option<CountingUpdate> {
        None
    }
    /// Where the engine can (PostgreSQL, MySQL): one statement that takes
    /// the next batch and moves it, counting as
    /// [`Dialect::mapped_update_counting`] does: the first rows of `batch`
    /// whose value is one of the mapping's old values, rewritten as by
    /// [`Dialect::mapped_update`]; its rows are `old_key`, `n` (the rows
    /// moved per old value) and `last`, the batch's largest key; no row has
    /// an `n` above zero when none is left. `None` elsewhere: the batch is
    /// counted first, then moved by its key range (two reads of it).
    fn mapped_batch_update(
        &self,
        _update: MappedUpdate<'_>,
        _batch: KeyBatch<'_>,
    ) -> Option<CountingUpdate> {
        None
    }
    /// One `UPDATE table` of the rows matching `on` against the relation `m`
    /// (its `columns`, bound `rows`), setting `assignments` (expressions may
    /// read `m.*`): `WITH m(…) AS (VALUES …) UPDATE … FROM m WHERE on`.
    fn update_from(
        &self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Bind>>,
        assignments: Vec<Assignment<'_>>,
        on: Query,
    ) -> Query {
        let mut query = values_cte(columns, rows);
        query
            .push_sql(" ")
            .append(update_statement(table, assignments, on));
        query
    }
    /// Whether DDL joins the transaction it runs in (PostgreSQL, SQLite); on
    /// MySQL each DDL statement commits on its own, so the schema migrations
    /// run before the apply transaction.
    fn transactional_ddl(&self) -> bool {
        true
    }
    /// The clock of a ledger timestamp: the time of the statement where the
    /// engine tells it apart from the transaction's start.
    fn clock(&self) -> &'static str;
    /// A timestamp column as text, `2026-12-01T21:34:50Z` (UTC, to the second).
    fn utc_text(&self, column: &str) -> String;
    /// `INSERT` on engines that skip duplicates with a clause at the end
    /// ([`Dialect::skip_duplicates`]), `INSERT IGNORE` on MySQL.
    fn insert_skipping_duplicates(&self) -> &'static str {
        "INSERT"
    }
    /// The end of an `INSERT` that skips rows colliding with the unique key
    /// over `conflict` (empty where [`Dialect::insert_skipping_duplicates`] did it).
    fn skip_duplicates(&self, conflict: &str) -> String {
        format!(" ON CONFLICT ({conflict}) DO NOTHING")
    }
    /// The SQL expressions `parts` as one text (`a || b`, `CONCAT(a, b)` on MySQL).
    fn concat(&self, parts: &[&str]) -> String {
        format!("({})", parts.join(" || "))
    }
    /// The text `expr` as compared byte for byte (what `GROUP BY`, `PARTITION
    /// BY` and `MIN` see; MySQL's default collations ignore case).
    fn exact_text(&self, expr: &str) -> String {
        expr.to_owned()
    }
    /// The text `expr` as a JSON string literal (`"a \"b\""`), as text.
    fn json_quote(&self, expr: &str) -> String;
    /// An aggregate: the group's texts `expr` joined by commas.
    fn comma_joined(&self, expr: &str) -> String;
    /// The text of a JSON object as the notices' `links` column takes it
    /// (`jsonb` on PostgreSQL, the text itself elsewhere).
    fn json_of_text(&self, expr: &str) -> String {
        expr.to_owned()
    }
    /// An aggregate of the group's `key` → `value` pairs into one JSON
    /// object of the type of the notices' `links`, a key met twice kept once,
    /// and the number of keys of such an object held by `object` (so fewer
    /// keys than rows shows a key met twice). `None` where the engine keeps a
    /// repeated key (MariaDB) or has no such aggregate: the notices then
    /// always take the general form ([`crate::plan::resources`]).
    fn json_object_agg(&self, _key: &str, _value: &str, _object: &str) -> Option<ObjectAgg> {
        None
    }
    /// An aggregate of the group's rows of `columns` (name, SQL type) into
    /// one value, and the relation named `alias` of the rows such a value
    /// held by `collected` holds, with those columns; `None` where the
    /// engine has no such aggregate. The notices read the few teams whose
    /// resources share a name again from it ([`crate::plan::resources`]).
    fn row_collection(
        &self,
        _columns: &[(&str, &str)],
        _collected: &str,
        _alias: &str,
    ) -> Option<RowCollection> {
        None
    }
    /// The session variable that bounds what the aggregates above return
    /// (MySQL's `group_concat_max_len`), which the notices' statement raises
    /// for its own run and puts back; `None` where nothing bounds them.
    fn aggregate_length_limit(&self) -> Option<&'static str> {
        None
    }
    /// A relation `t` of the rows of `columns` (of equal lengths), for
    /// `INSERT … SELECT t.a, t.b FROM <relation>` (a `WHERE` may follow):
    /// one array bound per column on PostgreSQL (`unnest`), a bound value per
    /// cell elsewhere.
    fn columns_relation(&self, columns: &[(&str, Column)]) -> Query;
    /// Whether a `LATERAL` join can run a per-team subquery for every team
    /// in one statement.
    fn lateral(&self) -> bool {
        false
    }
    /// Locks (`FOR UPDATE`) the rows of `table` (as `p`) whose columns `key`
    /// (provider and name) hold one of `rows` and that meet `condition`;
    /// `None` where the transaction's lock already keeps every writer out (SQLite).
    fn lock_rows(
        &self,
        table: &str,
        key: [&str; 2],
        rows: Vec<Vec<Bind>>,
        condition: &str,
    ) -> Option<Query>;
}

/// The bound rows, the new value (`set` of `m.new_value`) and the match
/// (`matched = m.old_value`, and `within` when given) of a
/// [`Dialect::mapped_update`] over `m`.
fn mapping_parts(
    update: &MappedUpdate<'_>,
    within: Option<Query>,
) -> (Vec<Vec<Bind>>, Query, Query) {
    let mut on = update.matched.value.clone();
    on.push_sql(" = m.old_value");
    if let Some(within) = within {
        on.push_sql(" AND ").append(within);
    }
    let rows = update.mapping.iter().cloned().map(Vec::from).collect();
    (rows, (update.set)(Query::new("m.new_value")), on)
}

/// `SET a = x, b = y`, each target written by `target`.
fn assignments(
    query: &mut Query,
    assignments: Vec<Assignment<'_>>,
    target: impl Fn(&mut Query, &str),
) {
    for (index, (column, value)) in assignments.into_iter().enumerate() {
        query.push_sql(if index == 0 { " SET " } else { ", " });
        target(query, column);
        query.push_sql(" = ").append(value);
    }
}

/// `WITH m(columns) AS (VALUES rows)`.
fn values_cte(columns: &[&str], rows: Vec<Vec<Bind>>) -> Query {
    let mut query = Query::new(format!("WITH m({}) AS (VALUES ", columns.join(", ")));
    query.push_rows(rows).push_sql(")");
    query
}

/// `UPDATE table SET … FROM m WHERE on`, after [`values_cte`].
fn update_statement(table: &str, set: Vec<Assignment<'_>>, on: Query) -> Query {
    let mut query = Query::new("UPDATE ");
    query.push_ident(table);
    assignments(&mut query, set, |query, column| {
        query.push_ident(column);
    });
    query.push_sql(" FROM m WHERE ").append(on);
    query
}

/// The dialect of `backend`.
pub(crate) fn of(backend: Backend) -> &'static dyn Dialect {
    match backend {
        Backend::Postgres => &postgres::Postgres,
        Backend::Sqlite => &sqlite::Sqlite,
        Backend::Mysql => &mysql::Mysql,
    }
}
