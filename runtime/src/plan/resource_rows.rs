//! The SQL that finds one reference's affected resources: the distinct
//! (old value, team, resource, name) tuples of the rows that hold one of
//! the candidate values. Shared by `plan`'s affected teams
//! ([`super::affected`]) and the apply's notices ([`super::resources`]).

use llm_lifecycle_catalog::{Reference, ReferenceKind, Through};

use crate::db::{Conn, Query};
use crate::references::{OldValue, RefColumn};

/// Alias of the joined `through` table (never a host table name in practice).
const OWNER_ALIAS: &str = "llm_lifecycle_owner";

/// The distinct (old value, team, resource, name) tuples of one reference
/// whose stored value is one of `values` (a condition may follow):
///
/// ```sql
/// SELECT DISTINCT CAST(s.old_key AS TEXT), s.team_id, s.resource_id, s.name FROM (
///   SELECT <stored value> AS old_key, owner.team AS team_id, owner.id AS resource_id, owner.name AS name
///   FROM (SELECT * FROM t WHERE (<filter>)) AS t [JOIN through AS owner ON owner.id = t.through_column]
/// ) s WHERE s.old_key IN (…) AND s.team_id IS NOT NULL
/// ```
pub(super) fn distinct_rows(
    conn: &Conn<'_>,
    reference: &Reference,
    column: &RefColumn,
    values: &[&OldValue],
) -> Query {
    let dialect = crate::db::dialect::of(conn.backend());
    if let Some(through) = reference
        .through
        .as_ref()
        .filter(|_| dialect.distinct_before_join())
    {
        return distinct_pairs_then_owner(conn, reference, through, column, values);
    }
    let text = dialect.text_type();
    let mut query = Query::new(format!(
        "SELECT DISTINCT CAST(s.old_key AS {text}) AS old_key, s.team_id, s.resource_id, s.name FROM (\
         SELECT ",
    ));
    query.append(column.stored_value(conn.backend()));
    query.push_sql(" AS old_key, ");
    query.append(owner_columns(conn, reference, owner_of(reference)));
    query.push_sql(" FROM ");
    query.append(rows_and_owners(reference));
    query
        .push_sql(") s WHERE s.old_key IN (")
        .push_binds(column.old_value_binds(values.iter().copied()))
        .push_sql(") AND s.team_id IS NOT NULL");
    query
}

/// [`distinct_rows`] where the engine joins better from the referencing
/// side (MySQL): the distinct (old value, owner id) pairs of the
/// referencing rows first, read once in one pass, then their owners by
/// primary key. MariaDB 10.11 otherwise drives the join from the owners and
/// reads the referencing rows through their foreign key's index, one owner
/// at a time.
///
/// ```sql
/// SELECT CAST(s.old_key AS CHAR), s.team_id, s.resource_id, s.name FROM (
///   SELECT p.old_key, owner.team AS team_id, owner.id AS resource_id, owner.name AS name
///   FROM (SELECT DISTINCT <stored value> AS old_key, t.through_column AS owner_id
///         FROM t WHERE <stored value among the old values>) p
///   JOIN through AS owner ON owner.id = p.owner_id
/// ) s WHERE s.team_id IS NOT NULL
/// ```
///
/// It ends as [`distinct_rows`] does, so conditions on `s.old_key` and
/// `s.team_id` may follow.
fn distinct_pairs_then_owner(
    conn: &Conn<'_>,
    reference: &Reference,
    through: &Through,
    column: &RefColumn,
    values: &[&OldValue],
) -> Query {
    let text = crate::db::dialect::of(conn.backend()).text_type();
    // The owner's primary key is `id` (the catalogue's `through`), so each
    // distinct pair joins one owner row: no second `DISTINCT` (1.3 s of
    // MariaDB's notices at the benchmark's scale).
    let mut query = Query::new(format!(
        "SELECT CAST(s.old_key AS {text}) AS old_key, s.team_id, s.resource_id, s.name \
         FROM (SELECT p.old_key, "
    ));
    query.append(owner_columns(conn, reference, OWNER_ALIAS));
    query
        .push_sql(" FROM ")
        .append(distinct_pairs(conn, reference, through, column, values))
        .push_sql(") s WHERE s.team_id IS NOT NULL");
    query
}

/// `(SELECT DISTINCT <stored value> AS old_key, t.through_column AS
/// owner_id FROM t WHERE <stored value among the old values>) p JOIN
/// through AS owner ON owner.id = p.owner_id`: the referencing rows read
/// once, in one pass, then their owners by primary key. The old value is
/// cast to a text as long as the longest of `values` (the rows hold one of
/// them; an id's text is its digits), which keeps MariaDB's temporary
/// table of the pairs in memory.
fn distinct_pairs(
    conn: &Conn<'_>,
    reference: &Reference,
    through: &Through,
    column: &RefColumn,
    values: &[&OldValue],
) -> Query {
    let backend = conn.backend();
    let dialect = crate::db::dialect::of(backend);
    // An id's text is exactly its digits; a text reference keeps its
    // column's own type (a collation may match a longer text).
    let key_type = match column.kind {
        ReferenceKind::Text => dialect.text_type().to_owned(),
        ReferenceKind::Id | ReferenceKind::Json => dialect.bounded_text_type(
            values
                .iter()
                .map(|value| value.key().chars().count())
                .max()
                .unwrap_or(1),
        ),
    };
    let olds = column.old_value_binds(values.iter().copied());
    // The `SELECT DISTINCT` is materialised whatever it reads, so the
    // in-place form of the value (MySQL: one parse per row) costs nothing more.
    let matched = column.matched_written(backend, &olds);
    let mut query = Query::new("(SELECT DISTINCT CAST(");
    query.append(matched.value);
    query
        .push_sql(&format!(" AS {key_type}) AS old_key, "))
        .push_ident(reference.table.as_ref())
        .push_sql(".")
        .push_ident(&through.column)
        .push_sql(" AS owner_id FROM ");
    query.append(referencing_rows(reference));
    query.push_sql(" WHERE ");
    query.append(matched.among);
    query
        .push_sql(") p")
        .append(owner_join(through))
        .push_sql("p.owner_id");
    query
}

/// One reference's affected resources, in parts a caller joins to more
/// relations within one `SELECT` ([`super::resources`]: the candidates and
/// the teams told before), with no derived table around them that the
/// engine would materialise row by row (on MariaDB, three of them for the
/// benchmark's 150,000 affected pipelines: 2.7 s against 1.6 s flat).
///
/// ```sql
/// SELECT [DISTINCT] <columns>, … FROM <from> JOIN … ON … = <old_key>
/// WHERE <condition> AND … <team> …
/// ```
pub(super) struct ResourceRows {
    /// The referencing rows, joined to their owner: `t [JOIN through AS
    /// owner ON owner.id = t.through_column]`, or (MySQL) the distinct
    /// pairs of [`distinct_pairs_then_owner`] joined to their owners.
    pub(super) from: Query,
    /// A row's old value, as text.
    pub(super) old_key: Query,
    /// That the row holds one of the old values and has a team.
    pub(super) condition: Query,
    /// `CAST(owner.team AS BIGINT) AS team_id, CAST(owner.id AS BIGINT) AS
    /// resource_id, CAST(owner.name AS TEXT) AS name`.
    pub(super) columns: Query,
    /// The owner's team, as a 64-bit integer.
    pub(super) team: Query,
    /// Whether one resource may come from more than one row (the rows of
    /// one owner, or one row's twice where `id` is not the table's key), so
    /// the caller needs `DISTINCT`.
    pub(super) repeats: bool,
}

/// [`ResourceRows`] of one reference whose stored value is one of `values`.
pub(super) fn resource_rows(
    conn: &Conn<'_>,
    reference: &Reference,
    column: &RefColumn,
    values: &[&OldValue],
) -> ResourceRows {
    let backend = conn.backend();
    let dialect = crate::db::dialect::of(backend);
    let (text, integer) = (dialect.text_type(), dialect.integer_type());
    let owner = owner_of(reference);
    let team_column = reference.team_column.as_deref().unwrap_or_default();
    let mut team = Query::new("CAST(");
    team.push_ident(owner)
        .push_sql(".")
        .push_ident(team_column)
        .push_sql(&format!(" AS {integer})"));
    let mut condition = Query::default();
    condition
        .push_ident(owner)
        .push_sql(".")
        .push_ident(team_column)
        .push_sql(" IS NOT NULL");
    let columns = owner_columns(conn, reference, owner);
    if let Some(through) = reference
        .through
        .as_ref()
        .filter(|_| dialect.distinct_before_join())
    {
        return ResourceRows {
            from: distinct_pairs(conn, reference, through, column, values),
            old_key: Query::new("p.old_key"),
            condition,
            columns,
            team,
            repeats: false,
        };
    }
    let olds = column.old_value_binds(values.iter().copied());
    // Flat, so the value and its condition are each one expression of the
    // row (MySQL's in-place form assigns and reads its variable within it).
    let matched = column.matched_among(backend, &olds);
    let from = rows_and_owners(reference);
    let mut old_key = Query::new("CAST(");
    old_key
        .append(matched.value)
        .push_sql(&format!(" AS {text})"));
    // The caller's join to the candidates matches `value`; the value's own
    // condition is left out where that join alone picks the rows. A batch's
    // range or the rows written meanwhile ([`RefColumn::written_condition`])
    // still hold.
    let joined_alone = column.kind == ReferenceKind::Json && dialect.json_join_filters();
    let value_condition = (!joined_alone).then_some(matched.among);
    let mut among = Query::default();
    for part in [column.written_condition(), value_condition]
        .into_iter()
        .flatten()
    {
        among.push_sql("(").append(part).push_sql(") AND ");
    }
    among.append(condition);
    ResourceRows {
        from,
        old_key,
        condition: among,
        columns,
        team,
        // A row of a table keyed by `id` is one resource, met once: each
        // row holds one value, which one row of the candidates matches.
        repeats: reference.through.is_some() || !column.id_is_key(),
    }
}

/// The resource's owner: the joined `through` table's alias, or the
/// referencing table itself.
fn owner_of(reference: &Reference) -> &str {
    if reference.through.is_some() {
        OWNER_ALIAS
    } else {
        reference.table.as_ref()
    }
}

/// The referencing rows ([`referencing_rows`]), joined to their owners
/// where a `through` table owns them.
fn rows_and_owners(reference: &Reference) -> Query {
    let mut query = referencing_rows(reference);
    if let Some(through) = &reference.through {
        query
            .append(owner_join(through))
            .push_ident(reference.table.as_ref())
            .push_sql(".")
            .push_ident(&through.column);
    }
    query
}

/// ` JOIN through AS owner ON owner.id = `, the owner's key to follow.
fn owner_join(through: &Through) -> Query {
    let mut query = Query::new(" JOIN ");
    query
        .push_ident(&through.table)
        .push_sql(" AS ")
        .push_ident(OWNER_ALIAS)
        .push_sql(" ON ")
        .push_ident(OWNER_ALIAS)
        .push_sql(".")
        .push_ident("id")
        .push_sql(" = ");
    query
}

/// `CAST(owner.team AS BIGINT) AS team_id, CAST(owner.id AS BIGINT) AS
/// resource_id, CAST(owner.name AS TEXT) AS name` (a `NULL` name when the
/// reference names none).
fn owner_columns(conn: &Conn<'_>, reference: &Reference, owner: &str) -> Query {
    let dialect = crate::db::dialect::of(conn.backend());
    let (text, integer) = (dialect.text_type(), dialect.integer_type());
    let team = reference.team_column.as_deref().unwrap_or_default();
    let mut query = Query::new("CAST(");
    query
        .push_ident(owner)
        .push_sql(".")
        .push_ident(team)
        .push_sql(&format!(" AS {integer}) AS team_id, CAST("))
        .push_ident(owner)
        .push_sql(".")
        .push_ident("id")
        .push_sql(&format!(" AS {integer}) AS resource_id, "));
    match &reference.name_column {
        Some(name) => {
            query
                .push_sql("CAST(")
                .push_ident(owner)
                .push_sql(".")
                .push_ident(name)
                .push_sql(&format!(" AS {text})"));
        }
        None => {
            query.push_sql(&format!("CAST(NULL AS {text})"));
        }
    }
    query.push_sql(" AS name");
    query
}

/// The referencing table, or only its rows the reference's `filter` keeps
/// (`(SELECT * FROM t WHERE (filter)) AS t`).
fn referencing_rows(reference: &Reference) -> Query {
    let table = reference.table.as_ref();
    let mut query = Query::default();
    match &reference.filter {
        Some(filter) => {
            query
                .push_sql("(SELECT * FROM ")
                .push_ident(table)
                .push_sql(" WHERE (")
                .push_foreign(filter)
                // A line break ends a trailing `--` comment of the filter.
                .push_sql("\n)) AS ")
                .push_ident(table);
        }
        None => {
            query.push_ident(table);
        }
    }
    query
}
