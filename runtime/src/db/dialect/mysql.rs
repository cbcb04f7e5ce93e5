//! MySQL 8 and MariaDB 10.11 (InnoDB), sessions in `ANSI_QUOTES` mode.

use super::{
    Assignment, Column, CountingUpdate, Dialect, JsonKey, KeyBatch, MappedUpdate, Matched,
    assignments, column_rows,
};
use crate::db::query::{Bind, Query};

/// The type [`Dialect::columns`] reports for MariaDB's `JSON` (text that a
/// `json_valid` check keeps valid).
const JSON_TEXT: &str = "json_text";

/// MySQL 8 / MariaDB 10.11: no `RETURNING` on MySQL, no partial indexes, no
/// `ON CONFLICT` (`ON DUPLICATE KEY UPDATE` / `INSERT IGNORE` instead).
pub(super) struct Mysql;

/// A key's value in the common case: an integer of two digits or more,
/// no leading zero (as a number or a string).
const CANONICAL: &str = "^-{0,1}[1-9][0-9]+$";

/// The session variable [`Dialect::json_value_among`] reads a row's value into.
const VALUE_VARIABLE: &str = "@llm_lifecycle_v";

/// The session variables a counting `UPDATE` keeps a row's old value in, an
/// integer or a text, with the value each is set to first. MariaDB types a
/// variable a statement reads by the value it holds when the statement
/// starts: one variable for both would compare a text column's values as
/// numbers after an integer column's `UPDATE` (and fail in strict mode).
const KEY_VARIABLES: [(&str, &str); 2] = [
    ("@llm_lifecycle_k_int", "0"),
    ("@llm_lifecycle_k_text", "''"),
];

/// `(CASE WHEN <the row holds JSON that mentions the key> THEN value END)`:
/// only rows that mention the key (a text column) and hold valid JSON are
/// read (MySQL 8 raises an error on invalid JSON in the other JSON
/// functions, MariaDB a warning that strict mode turns into an error in an
/// `UPDATE`); a MariaDB `JSON` column's check, or MySQL's own type, keeps
/// every value valid. `prefilter`: a MariaDB `JSON` column's rows that do not
/// mention the key are skipped too, before they are parsed (without it, a
/// form that parses every row once anyway saves the search: 10 % of a pass
/// over the benchmark's nodes, which all hold the key). `otherwise`: the
/// value of the rows left out (`NULL` when `None`).
fn guarded(json: &JsonKey<'_>, value: Query, prefilter: bool, otherwise: Option<&str>) -> Query {
    let text = json.data_type != "json";
    let searched = text && (prefilter || json.data_type != JSON_TEXT);
    let validated = !matches!(json.data_type, "json" | JSON_TEXT);
    if !searched && !validated {
        return value;
    }
    let mut query = Query::new("(CASE WHEN ");
    if searched {
        query = json
            .col(query.sql("LOCATE(").bind(json.key()).sql(", "))
            .sql(") > 0");
    }
    if validated {
        query = json
            .col(query.sql(if searched {
                " AND JSON_VALID("
            } else {
                "JSON_VALID("
            }))
            .sql(")");
    }
    query.push_sql(" THEN ");
    query.append(value);
    if let Some(otherwise) = otherwise {
        query.push_sql(&format!(" ELSE {otherwise}"));
    }
    query.sql(" END)")
}

/// The value of a key that is not in the common form, by its JSON type: an
/// integer's or a string's `value` (the key's `JSON_VALUE`), an integral
/// fraction or an integer written with an exponent (`1e2`, which MariaDB
/// 10.11 types `INTEGER`) as its integer, `NULL` for anything else (one
/// digit may be a boolean: MariaDB's `JSON_VALUE` gives `1`/`0` for them).
fn typed(json: &JsonKey<'_>, value: &Query) -> Query {
    let extract = |query: Query| {
        json.col(query.sql("JSON_EXTRACT("))
            .sql(", ")
            .bind(json.path())
            .sql(")")
    };
    let integral = || {
        let query = extract(Query::new("(CASE WHEN ")).sql(" + 0 = FLOOR(");
        let query = extract(query).sql(" + 0) THEN CAST(CAST(");
        extract(query).sql(" + 0 AS SIGNED) AS CHAR) END)")
    };
    let integer = || {
        let mut query = Query::new("(CASE WHEN ");
        query.append(value.clone());
        query.push_sql(" REGEXP '[eE]' THEN ");
        query.append(integral());
        query.push_sql(" ELSE ");
        query.append(value.clone());
        query.sql(" END)")
    };
    let mut query = extract(Query::new("(CASE JSON_TYPE(")).sql(") WHEN 'INTEGER' THEN ");
    query.append(integer());
    query.push_sql(" WHEN 'UNSIGNED INTEGER' THEN ");
    query.append(integer());
    query.push_sql(" WHEN 'STRING' THEN ");
    query.append(value.clone());
    query.push_sql(" WHEN 'DOUBLE' THEN ");
    query.append(integral());
    query.sql(" END)")
}

/// The cases of [`Dialect::json_value_among`] (`condition`: of
/// [`Dialect::json_among`]'s condition): the key read once into
/// [`VALUE_VARIABLE`]; one of `olds` and not a boolean, that value (true);
/// else a fraction or a long integer, its typed value (that is one of
/// `olds`); else `NULL` (false). A boolean is looked for only where `olds`
/// hold `0` or `1` ([`boolean_text`]): elsewhere a value among them is one.
///
/// A JSON number with a fraction or an exponent has a digit on each side of
/// its `.` or `e` (`1.0`, `1e0`), so it is 3 characters at least: a shorter
/// value is done after its length, without the `REGEXP`. Where ids have one
/// or two digits, that is most rows: on MariaDB, over 200,000 of the
/// benchmark's nodes in memory, the `WHERE` takes 0.113 s where it took
/// 0.142 s (the hand-written `JSON_VALUE(…) IN (…)`: 0.094 s); the whole
/// repointing `UPDATE` of its 1 M nodes, 1.90 s where it took 1.96 s
/// (hand-written: 1.74 s; medians of 5, alternating, each rolled back).
fn among_cases(json: &JsonKey<'_>, olds: &[Bind], condition: bool) -> Query {
    let mut query = json
        .col(Query::new(format!(
            "(CASE WHEN ({VALUE_VARIABLE} := JSON_VALUE("
        )))
        .sql(", ")
        .bind(json.path())
        .sql(")) IN (");
    query.push_binds(olds.iter().cloned());
    query.push_sql(") THEN ");
    if olds.iter().any(boolean_text) {
        let (check, check_end) = if condition {
            ("(", ")".to_owned())
        } else {
            ("(CASE WHEN ", format!(" THEN {VALUE_VARIABLE} END)"))
        };
        query = json
            .col(query.sql(&format!(
                "{check}{VALUE_VARIABLE} REGEXP '{CANONICAL}' OR JSON_TYPE(JSON_EXTRACT("
            )))
            .sql(", ")
            .bind(json.path())
            .sql(&format!(")) <> 'BOOLEAN'{check_end}"));
    } else {
        query.push_sql(if condition { "TRUE" } else { VALUE_VARIABLE });
    }
    query.push_sql(&format!(
        " WHEN CHAR_LENGTH({VALUE_VARIABLE}) > 2 AND \
         ({VALUE_VARIABLE} REGEXP '[.eE]' OR CHAR_LENGTH({VALUE_VARIABLE}) > 18) THEN "
    ));
    query.append(typed(json, &Query::new(VALUE_VARIABLE)));
    if condition {
        query.push_sql(" IN (").push_binds(olds.iter().cloned());
    }
    query.sql(if condition {
        ") ELSE FALSE END)"
    } else {
        " END)"
    })
}

/// Whether `old` reads as MariaDB's `JSON_VALUE` of a boolean (`1` for
/// `true`, `0` for `false`): only then does a row whose value is among the
/// old ones need its JSON type checked (a value of two digits or more, the
/// common form, never does).
fn boolean_text(old: &Bind) -> bool {
    match old {
        Bind::Text(text) => matches!(text.as_str(), "0" | "1"),
        Bind::BigInt(id) => matches!(id, 0 | 1),
        _ => true,
    }
}

/// The session variable a batch's counting `UPDATE` keeps the key of the
/// row it rewrote last in.
const LAST_KEY_VARIABLE: &str = "@llm_lifecycle_last";

/// [`Dialect::mapped_update_counting`] (see there), of `batch` when given.
fn counting_update(
    update: MappedUpdate<'_>,
    within: Option<Query>,
    batch: Option<KeyBatch<'_>>,
) -> Option<CountingUpdate> {
    let MappedUpdate {
        table,
        column,
        matched,
        mapping,
        set,
    } = update;
    if mapping.is_empty() {
        return None;
    }
    let integers = mapping
        .first()
        .is_some_and(|[old, _]| matches!(old, Bind::BigInt(_)));
    let [int_key, text_key] = KEY_VARIABLES;
    let (key, initial) = if integers { int_key } else { text_key };
    let row_key = |query: &mut Query, batch: &KeyBatch<'_>| {
        query.push_ident(table).push_sql(".").push_ident(batch.key);
    };
    // A batch's row keeps its key first (a `CASE` evaluates its conditions
    // in order), then bumps its counter.
    let mut bump = Query::default();
    if let Some(batch) = &batch {
        bump.push_sql(&format!("(CASE WHEN ({LAST_KEY_VARIABLE} := "));
        row_key(&mut bump, batch);
        bump.push_sql(") IS NULL THEN NULL ELSE ");
    }
    bump.push_sql(&format!("(CASE ({key} := "));
    bump.append(matched.value);
    bump.push_sql(")");
    let mut case = Query::new(format!("CASE {key}"));
    let mut reset = Query::new(format!("SET {key} = {initial}, "));
    let mut read = Query::default();
    let last = if batch.is_some() {
        format!(", CAST({LAST_KEY_VARIABLE} AS SIGNED) AS last")
    } else {
        String::new()
    };
    for (index, [old, new]) in mapping.into_iter().enumerate() {
        let counter = format!("@llm_lifecycle_n{index}");
        let comma = if index > 0 { ", " } else { "" };
        bump.push_sql(" WHEN ")
            .push_bind(old.clone())
            .push_sql(&format!(" THEN ({counter} := {counter} + 1)"));
        case.push_sql(" WHEN ")
            .push_bind(old.clone())
            .push_sql(" THEN ")
            .push_bind(new);
        reset.push_sql(&format!("{comma}{counter} = 0"));
        read.push_sql(if index > 0 { " UNION ALL " } else { "" })
            .push_sql("SELECT CAST(")
            .push_bind(old)
            .push_sql(&format!(
                " AS CHAR) AS old_key, CAST({counter} AS SIGNED) AS n{last}"
            ));
    }
    bump.push_sql(if batch.is_some() {
        " END) END)"
    } else {
        " END)"
    });
    case.push_sql(" END");
    if batch.is_some() {
        reset.push_sql(&format!(", {LAST_KEY_VARIABLE} = 0"));
    }
    let target = |query: &mut Query| {
        query.push_ident(table).push_sql(".").push_ident(column);
    };
    let mut update = Query::new("UPDATE ");
    update.push_ident(table).push_sql(" SET ");
    target(&mut update);
    update
        .push_sql(" = IF(")
        .append(bump)
        .push_sql(" IS NULL, ");
    target(&mut update);
    update
        .push_sql(", ")
        .append(set(case))
        .push_sql(") WHERE ")
        .append(matched.among);
    if let Some(within) = within {
        update.push_sql(" AND ").append(within);
    }
    if let Some(batch) = &batch {
        update.push_sql(" AND ");
        row_key(&mut update, batch);
        update
            .push_sql(" > ")
            .push_bind(Bind::BigInt(batch.after))
            .push_sql(" ORDER BY ");
        row_key(&mut update, batch);
        update
            .push_sql(" LIMIT ")
            .push_bind(Bind::BigInt(i64::try_from(batch.limit).unwrap_or(i64::MAX)));
    }
    Some(CountingUpdate::Counters {
        reset,
        update,
        read,
    })
}

impl Dialect for Mysql {
    fn now(&self) -> &'static str {
        "CURRENT_TIMESTAMP(6)"
    }

    fn text_type(&self) -> &'static str {
        "CHAR"
    }

    /// `CHAR(chars)`: MariaDB keeps a temporary table holding a text of
    /// unbounded length (a `JSON_VALUE`, a session variable) on disk, and
    /// one of a bounded one in memory (the notices' distinct pairs of the
    /// benchmark's 1 M nodes: 2.0 s → 1.2 s).
    fn bounded_text_type(&self, chars: usize) -> String {
        format!("CHAR({})", chars.max(1))
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

    /// MariaDB's `JSON` is `LONGTEXT` with a `json_valid(column)` check: such
    /// a column is reported as [`JSON_TEXT`] (every value valid JSON, stored
    /// as text); MySQL's own `JSON` as `json`. (The server writes the check's
    /// identifier in the session's quotes: double quotes under `ANSI_QUOTES`.)
    ///
    /// The checks are one uncorrelated semi-join over the current schema's
    /// `(table, check clause)` pairs, read once. As a correlated `EXISTS` per
    /// column (and with the table names bound, which MariaDB's
    /// `information_schema` does not use to open fewer tables) they cost
    /// 120–180 ms per call, three calls per apply; now ≈ 30 ms. (MariaDB's
    /// `check_constraints` names the table itself, MySQL 8's does not: the
    /// table comes from `table_constraints` on both.)
    /// The `information_schema` columns, a MariaDB `JSON` column (text kept
    /// valid by a `json_valid(column)` check) reported as [`JSON_TEXT`]. The
    /// checks are read once, for the listed tables only, in a derived table
    /// joined to the columns: an `IN (SELECT …)` of them is evaluated again
    /// for every column (80 ms against 10 ms for the benchmark's tables).
    fn columns(&self, tables: Vec<Bind>) -> Query {
        let mut query = Query::new(format!(
            "SELECT CAST(c.table_name AS CHAR) AS table_name, CAST(c.column_name AS CHAR) AS column_name, \
             CAST(CASE WHEN j.table_name IS NOT NULL THEN '{JSON_TEXT}' ELSE c.data_type END AS CHAR) AS data_type, \
             (c.is_nullable = 'YES') AS nullable, \
             (c.column_default IS NOT NULL OR c.extra LIKE '%auto_increment%' \
               OR COALESCE(c.generation_expression, '') <> '') AS has_default \
             FROM information_schema.columns c LEFT JOIN (\
               SELECT t.table_name, k.check_clause FROM information_schema.table_constraints t \
               JOIN information_schema.check_constraints k \
                 ON k.constraint_schema = t.constraint_schema AND k.constraint_name = t.constraint_name \
               WHERE k.constraint_schema = DATABASE() AND t.table_schema = DATABASE() \
                 AND t.constraint_type = 'CHECK' AND t.table_name IN (",
        ));
        query.push_binds(tables.iter().cloned()).push_sql(
            ")) j ON j.table_name = c.table_name AND j.check_clause IN (\
               CONCAT('json_valid(`', c.column_name, '`)'), CONCAT('json_valid(\"', c.column_name, '\")')) \
             WHERE c.table_schema = DATABASE() AND c.table_name IN (",
        );
        query.push_binds(tables).push_sql(")");
        query
    }

    fn primary_keys(&self) -> &'static str {
        // `PRI`: the primary key, or the first NOT NULL unique key of a table
        // without one (as good for walking the table in key order).
        "SELECT CAST(table_name AS CHAR) AS table_name, CAST(column_name AS CHAR) AS column_name, \
         CAST(data_type AS CHAR) AS data_type FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND column_key = 'PRI' AND table_name IN ("
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

    /// Only rows that mention the key (a text column) and hold valid JSON
    /// are read (MySQL 8 raises an error on invalid JSON in the other JSON
    /// functions, MariaDB a warning that strict mode turns into an error in
    /// an `UPDATE`). `JSON_VALUE` gives a string's contents and a number's
    /// text (`NULL` for objects, arrays, a missing key, a document that is not
    /// an object), so a value of two digits or more is taken as it is; any
    /// other value is typed first (a one-digit value may be a boolean, a
    /// number may be written `3.0` or `3e0`).
    fn json_value(&self, json: &JsonKey<'_>) -> Query {
        let value = |query: Query| {
            json.col(query.sql("JSON_VALUE("))
                .sql(", ")
                .bind(json.path())
                .sql(")")
        };
        // The common case in one `JSON_VALUE`: two digits or more, no
        // leading zero (a number or a string of it). A value that does not
        // match becomes `NULL` through `JSON_VALUE('[]', '$[0]')` (MariaDB's
        // `REGEXP_SUBSTR` gives `''`, MySQL's `NULL`), not `NULLIF(…, '')`:
        // MariaDB evaluates `NULLIF`'s first argument twice, a second
        // `JSON_VALUE` and regular expression per row (a third of the scan).
        // `[digits]` is always valid JSON, and its element reads back as the
        // same digits.
        let common = value(Query::new("JSON_VALUE(CONCAT('[', REGEXP_SUBSTR("))
            .sql(&format!(", '{CANONICAL}'), ']'), '$[0]')"));
        let mut query = Query::new("COALESCE(");
        query.append(common);
        query.push_sql(", ");
        query.append(typed(json, &value(Query::default())));
        guarded(json, query.sql(")"), true, None)
    }

    /// The key's value read once per row into a session variable, the
    /// common row first. Its value is one of `olds` (then it is the stored
    /// value unless it is a boolean, which MariaDB's `JSON_VALUE` gives as
    /// `1` or `0`), or it is an integer of the common form, which is its
    /// stored value and so not one of `olds`. Only a fraction (`.`, `e`, `E`)
    /// or an integer too long for 64 bits is typed. So the row that matches
    /// nothing, most rows, costs one `JSON_VALUE` and a search of a few
    /// characters: 0.93 s per pass over the benchmark's 1 M nodes on MariaDB,
    /// against 1.5 s for [`Dialect::json_value`].
    ///
    /// Each use assigns the variable and reads it back within the same
    /// expression, so evaluations in any order give each row its own value.
    /// In a derived table that could be merged, the assignment would keep
    /// MariaDB from merging it (every row materialised first), so this form
    /// is only for an `UPDATE`'s own `WHERE` and `SET` and a `SELECT
    /// DISTINCT`. MySQL 8 warns that assignments in expressions are
    /// deprecated, and still runs them.
    fn json_value_among(&self, json: &JsonKey<'_>, olds: &[Bind]) -> Query {
        guarded(json, among_cases(json, olds, false), false, None)
    }

    /// [`Dialect::json_value_among`] and, for the `UPDATE`'s `WHERE`, the
    /// same cases as a boolean: a row that matches nothing is done after its
    /// `JSON_VALUE`, the `IN` and the test of its form (as a value compared
    /// with `IN (olds)` again it went through two more `CASE`s and a second
    /// `IN`: with the key's search, a third of the pass's time beyond the
    /// hand-written `JSON_VALUE(…) IN (…)`, now a sixth).
    fn json_among(&self, json: &JsonKey<'_>, olds: &[Bind]) -> Matched {
        Matched {
            value: self.json_value_among(json, olds),
            among: guarded(json, among_cases(json, olds, true), false, Some("FALSE")),
        }
    }

    fn json_not_object(&self, json: &JsonKey<'_>) -> Query {
        if json.data_type == "json" {
            // MySQL's own JSON type: always valid, typed without parsing.
            return json
                .col(Query::new("NOT (JSON_TYPE("))
                .sql(") <=> 'OBJECT')");
        }
        // Text: valid JSON starting with `{` (MariaDB's JSON is always valid).
        if json.data_type == JSON_TEXT {
            return json
                .col(Query::new("NOT ("))
                .sql(" REGEXP '^[[:space:]]*[{]')");
        }
        json.col(json.col(Query::new("NOT (JSON_VALID(")).sql(") AND "))
            .sql(" REGEXP '^[[:space:]]*[{]')")
    }

    fn json_set(&self, json: &JsonKey<'_>, value: Query) -> Query {
        super::path_json_set(self, json, value)
    }

    /// `UPDATE t SET t.c = set(CASE <matched> WHEN old THEN new … END) WHERE
    /// <matched among olds>`: one pass over the table, the match evaluated
    /// once per row (a join to a relation of the mapping is not: MariaDB
    /// nests the loops).
    fn mapped_update(&self, update: MappedUpdate<'_>, within: Option<Query>) -> Query {
        let (table, matched) = (update.table, update.matched);
        let mut case = Query::new("CASE ");
        case.append(matched.value);
        for [old, new] in update.mapping {
            case.push_sql(" WHEN ")
                .push_bind(old)
                .push_sql(" THEN ")
                .push_bind(new);
        }
        case.push_sql(" END");
        let mut query = Query::new("UPDATE ");
        query
            .push_ident(table)
            .push_sql(" SET ")
            .push_ident(table)
            .push_sql(".")
            .push_ident(update.column)
            .push_sql(" = ")
            .append((update.set)(case))
            .push_sql(" WHERE ")
            .append(matched.among);
        if let Some(within) = within {
            query.push_sql(" AND ").append(within);
        }
        query
    }

    fn counts_while_updating(&self) -> bool {
        true
    }

    fn distinct_before_join(&self) -> bool {
        true
    }

    fn join_driven_by_left(&self) -> &'static str {
        "STRAIGHT_JOIN"
    }

    /// [`Dialect::mapped_update`] bumping one session counter per old value:
    ///
    /// ```sql
    /// SET @llm_lifecycle_n0 = 0, …;
    /// UPDATE t SET t.c = IF((CASE (@llm_lifecycle_k := <matched>)
    ///     WHEN old0 THEN (@llm_lifecycle_n0 := @llm_lifecycle_n0 + 1) … END) IS NULL,
    ///   t.c, set(CASE @llm_lifecycle_k WHEN old0 THEN new0 … END))
    /// WHERE <matched among old0, …>;
    /// SELECT CAST(old0 AS CHAR) AS old_key, CAST(@llm_lifecycle_n0 AS SIGNED) AS n UNION ALL …
    /// ```
    ///
    /// The counters are bumped in the `SET`, which the engine evaluates once
    /// for every row it rewrites (also when it first collects the rows of an
    /// index it changes), never in the `WHERE`; the row's old value is kept
    /// in a variable, so `set` (which may repeat its argument, once per
    /// companion key) compares a variable, not the parsed value again.
    fn mapped_update_counting(
        &self,
        update: MappedUpdate<'_>,
        within: Option<Query>,
    ) -> Option<CountingUpdate> {
        counting_update(update, within, None)
    }

    /// [`Dialect::mapped_update_counting`] of the first `limit` rows after
    /// `after` in key order (`… AND t.key > after ORDER BY t.key LIMIT n`),
    /// also keeping the key of each row it rewrites in a session variable,
    /// read back as `last`: in key order, the last one is the batch's largest.
    fn mapped_batch_update(
        &self,
        update: MappedUpdate<'_>,
        batch: KeyBatch<'_>,
    ) -> Option<CountingUpdate> {
        counting_update(update, None, Some(batch))
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

    fn concat(&self, parts: &[&str]) -> String {
        format!("CONCAT({})", parts.join(", "))
    }

    fn exact_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS BINARY)")
    }

    fn json_quote(&self, expr: &str) -> String {
        format!("JSON_QUOTE({expr})")
    }

    fn comma_joined(&self, expr: &str) -> String {
        format!("GROUP_CONCAT({expr} SEPARATOR ',')")
    }

    fn aggregate_length_limit(&self) -> Option<&'static str> {
        // What `GROUP_CONCAT` (comma_joined) returns is cut at this length.
        Some("group_concat_max_len")
    }

    fn columns_relation(&self, columns: &[(&str, Column)]) -> Query {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let mut query = Query::new("(");
        query.push_union_rows(&names, column_rows(columns));
        query.push_sql(") AS t");
        query
    }

    fn lock_rows(
        &self,
        table: &str,
        [provider, name]: [&str; 2],
        rows: Vec<Vec<Bind>>,
        condition: &str,
    ) -> Option<Query> {
        // A row-constructor list: MySQL 8 and MariaDB spell VALUES apart.
        let mut query = Query::new("SELECT 1 FROM ");
        query.push_ident(table).push_sql(" p WHERE (p.");
        query.push_ident(provider).push_sql(", p.");
        query.push_ident(name).push_sql(") IN (");
        query.push_rows(rows);
        query.push_sql(&format!(") AND {condition} FOR UPDATE"));
        Some(query)
    }
}
