//! The teams to tell, found by the database: one `SELECT` for a set of
//! candidate models that gives one row per model and team with the team's
//! counts (`1 chatbot(s), 2 pipeline(s)`) and links (a JSON object), built in
//! SQL exactly as [`super::texts`] builds them. The apply inserts its rows as
//! notices (`INSERT … SELECT`), so no team or resource passes through the
//! process: what `plan` computes in Rust ([`super::affected`]) for people to
//! read, the apply computes in the database.
//!
//! ```sql
//! SELECT idx, team_id,
//!        SUBSTR(<per noun, by declaration order: ', ' || SUM(n_i) || ' noun(s)', or ''>, 3),
//!        '{' || <the links, comma-joined> || '}' FROM (
//!   SELECT idx, team_id, COUNT(<kind i>) AS n_i, …,
//!          <one "key": location, or "key #id": location per resource where the key has more>
//!   FROM (
//!     SELECT r.*, MIN(kind_ord) OVER (name) AS kind_min, MAX(kind_ord) OVER (name) AS kind_max
//!     FROM (<one SELECT per reference with a team_column> UNION [ALL] …) r) l2
//!   GROUP BY idx, team_id, <key>) l3
//! GROUP BY idx, team_id
//! ```
//!
//! with `display = COALESCE(name, tbl || '#' || id)`, `key = display ||
//! ' (' || kind || ')'` where the name's kinds differ (`kind_min <>
//! kind_max`) else `display`, and the link `key || ' #' || id` where the
//! key has more than one resource, else `key`. Resources are grouped by
//! the key, not the display name (a qualified key may meet a literal name:
//! "Support" shared by two kinds and a chatbot called "Support (chatbot)"). `UNION` rather than `UNION
//! ALL` is there when two references share an owner table and a noun, the
//! one way one resource can come twice.
//!
//! On PostgreSQL the teams none of whose resources share a display name
//! (nearly every team) skip the window and the grouping by key: one grouping
//! by team with `jsonb_object_agg` gives their links, and only the other
//! teams' resources, which that grouping also keeps, take the form above
//! ([`plain_first`]).
//!
//! Each reference's `SELECT` is one level ([`super::resource_rows::resource_rows`]):
//!
//! ```sql
//! SELECT [DISTINCT] k.column2 AS idx, owner.team AS team_id, owner.id AS resource_id,
//!        owner.name AS name, 'tbl' AS tbl, i AS kind_ord, 'noun' AS kind, <url> AS url
//! FROM t [JOIN through AS owner ON …] JOIN (<k>) AS k ON k.column1 = <old value>
//! WHERE <holds an old value> AND owner.team IS NOT NULL [AND NOT EXISTS (<told before>)]
//! ```
//!
//! where `k` is the candidates' old values (`k`: old value, candidate
//! index, slug, model, reminder days). Only the candidates the journal says
//! some team was told about are checked against the notices written
//! ([`ToldBefore`]); the others (a model's first notices) are their own
//! `SELECT`, without the check.

use llm_lifecycle_catalog::{Catalog, Reference, ReferenceKind};

use super::AffectedModel;
use super::affected::{noun_of, nouns};
use super::resource_rows::resource_rows;
use crate::db::dialect::{self, Dialect, ObjectAgg, RowCollection};
use crate::db::{Bind, Conn, Query, quote_ident};
use crate::references::{OldValue, RefColumn};
use crate::schema::{AFFECTED_TABLE, NOTIFICATIONS_TABLE};

/// Bound values per statement: under SQLite's 32,766 (the tightest limit).
const BINDS_PER_STATEMENT: usize = 30_000;

/// How many candidates one statement may take, with `per_candidate` bound
/// values for each besides those of every reference.
#[must_use]
pub(crate) fn candidates_per_statement(catalog: &Catalog, per_candidate: usize) -> usize {
    let told = catalog
        .references
        .iter()
        .filter(|reference| reference.team_column.is_some())
        .count();
    // Per reference and candidate: the old value twice (MySQL: its value
    // and its condition), and the five columns of `k`.
    (BINDS_PER_STATEMENT / (7 * told + per_candidate).max(1)).max(1)
}

/// The relation of `(idx, team_id, counts, links)`: per candidate (its index
/// in `candidates`) and team not told about it yet, the team's counts and
/// links; `None` when no reference names a team for any candidate. `told`:
/// which candidates' resources are checked against the notices written
/// ([`ToldBefore`]).
pub(crate) fn team_notices(
    conn: &Conn<'_>,
    catalog: &Catalog,
    columns: &[Option<RefColumn>],
    candidates: &[AffectedModel],
    told: &ToldBefore,
) -> Option<Query> {
    let dialect = dialect::of(conn.backend());
    let nouns = nouns(catalog);
    let mut union: Option<Query> = None;
    // The (owner table, noun) of each reference in the union.
    let mut sources: Vec<(&str, &str)> = Vec::new();
    let mut shared = false;
    for (reference, column) in catalog.references.iter().zip(columns) {
        let Some(column) = column else { continue };
        let Some(select) =
            reference_resources(conn, reference, column, candidates, told, &nouns, None)
        else {
            continue;
        };
        let source = (resource_table(reference), noun_of(reference));
        shared |= sources.contains(&source);
        sources.push(source);
        union = Some(match union {
            None => select,
            Some(mut union) => {
                // Two references of one owner table and noun may both
                // reach a resource: from the second of them on, `UNION`
                // (left-associative on every engine) keeps each row of all
                // before it once.
                union
                    .push_sql(if shared { " UNION " } else { " UNION ALL " })
                    .append(select);
                union
            }
        });
    }
    union.map(|union| aggregated(dialect, union, nouns.len()))
}

/// The columns of [`AFFECTED_TABLE`] a gathering writes, in its `SELECT`'s order.
const GATHERED: &str = "run_id, idx, team_id, resource_id, name, tbl, kind_ord, kind, url";

/// The `INSERT … SELECT` that gathers into [`AFFECTED_TABLE`], for
/// `run_id`, the resources of `candidates` that `reference` reaches from
/// the rows `column` is restricted to (a batched apply sets a key range in
/// its [`RefColumn::written`]); `None` when the reference names no team or
/// no candidate can be stored there. A resource that two references (or
/// two ranges) reach is gathered twice and read once
/// ([`gathered_team_notices`]), as `UNION` keeps it once in [`team_notices`].
pub(crate) fn gather(
    conn: &Conn<'_>,
    catalog: &Catalog,
    reference: &Reference,
    column: &RefColumn,
    candidates: &[AffectedModel],
    told: &ToldBefore,
    run_id: i64,
) -> Option<Query> {
    let select = reference_resources(
        conn,
        reference,
        column,
        candidates,
        told,
        &nouns(catalog),
        Some(run_id),
    )?;
    let mut query = Query::new(format!(
        "INSERT INTO {} ({GATHERED}) ",
        quote_ident(AFFECTED_TABLE)
    ));
    query.append(select);
    Some(query)
}

/// [`team_notices`] over the resources [`gather`] wrote for `run_id`, of
/// the teams in `(after, through]`, each distinct row once (what `UNION`
/// leaves of the references' rows there: each of those is distinct).
pub(crate) fn gathered_team_notices(
    conn: &Conn<'_>,
    catalog: &Catalog,
    run_id: i64,
    teams: (i64, i64),
) -> Query {
    let union = gathered_of_teams(
        "SELECT DISTINCT idx, team_id, resource_id, name, tbl, kind_ord, kind, url FROM",
        run_id,
        teams,
    );
    aggregated(dialect::of(conn.backend()), union, nouns(catalog).len())
}

/// `<statement> llm_lifecycle_affected WHERE run_id = <run> AND team_id >
/// <after> AND team_id <= <through>`: the rows gathered for `run_id` of the
/// teams in `(after, through]` (by the table's index of run and team).
pub(crate) fn gathered_of_teams(
    statement: &str,
    run_id: i64,
    (after, through): (i64, i64),
) -> Query {
    Query::new(format!(
        "{statement} {} WHERE run_id = ",
        quote_ident(AFFECTED_TABLE)
    ))
    .bind(Bind::BigInt(run_id))
    .sql(" AND team_id > ")
    .bind(Bind::BigInt(after))
    .sql(" AND team_id <= ")
    .bind(Bind::BigInt(through))
}

/// Whether `reference` names a team and `column` can hold one of
/// `candidates` (by row id, or by name: every candidate).
pub(crate) fn reaches(
    reference: &Reference,
    column: &RefColumn,
    candidates: &[AffectedModel],
) -> bool {
    reference.team_column.is_some()
        && candidates.iter().any(|model| match column.kind {
            ReferenceKind::Text => true,
            ReferenceKind::Id | ReferenceKind::Json => model.row_id.is_some(),
        })
}

/// The table of a reference's resources: its `through` table, else its own.
fn resource_table(reference: &Reference) -> &str {
    reference
        .through
        .as_ref()
        .map_or(&*reference.table, |through| &*through.table)
}

/// One reference's resources of `candidates` not told about yet, `SELECT
/// [DISTINCT] [run_id,] idx, team_id, resource_id, name, tbl, kind_ord,
/// kind, url …` (module docs); `None` when the reference names no team or
/// no candidate can be stored there. `run`: the run whose gathering it is,
/// its first column. `told[i]`: whether some team may have been told about
/// candidate `i` before ([`ToldBefore`]); only those candidates' resources
/// are checked against the notices written, in a `SELECT` of their own
/// (the two are `UNION ALL`ed in a derived table: their candidates differ).
fn reference_resources(
    conn: &Conn<'_>,
    reference: &Reference,
    column: &RefColumn,
    candidates: &[AffectedModel],
    told: &ToldBefore,
    nouns: &[String],
    run: Option<i64>,
) -> Option<Query> {
    if !reaches(reference, column, candidates) {
        return None;
    }
    let values: Vec<(OldValue, usize)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(index, model)| match column.kind {
            ReferenceKind::Text => Some((OldValue::Text(model.model.to_string()), index)),
            ReferenceKind::Id | ReferenceKind::Json => {
                model.row_id.map(|id| (OldValue::Id(id), index))
            }
        })
        .collect();
    let (checked, fresh): (Vec<_>, Vec<_>) = values
        .into_iter()
        .partition(|(_, index)| told.may_have(*index));
    let source = Source {
        reference,
        column,
        candidates,
        nouns,
        run,
    };
    match (checked.is_empty(), fresh.is_empty()) {
        (true, true) => None,
        (true, false) => Some(source.select(conn, &fresh, false)),
        (false, true) => Some(source.select(conn, &checked, true)),
        (false, false) => {
            let mut both = Query::new("SELECT * FROM (");
            both.append(source.select(conn, &fresh, false))
                .push_sql(" UNION ALL ")
                .append(source.select(conn, &checked, true))
                .push_sql(") AS told_or_not");
            Some(both)
        }
    }
}

/// Per candidate of a statement, whether some team may have been told about
/// it before: a hint read from the journal (its `notified` rows), which
/// only decides whether a candidate's resources are checked against the
/// notices already written. The once-per-team key decides what is written
/// either way (`ON CONFLICT DO NOTHING`, `INSERT IGNORE`), so a wrong hint
/// costs time, never a notice: a model never told about (every model's
/// first notices, say a deletion's) skips a `NOT EXISTS` per affected
/// resource.
#[derive(Debug, Clone)]
pub(crate) struct ToldBefore(Vec<bool>);

impl ToldBefore {
    /// `told[i]` for candidate `i` (a candidate past the end: unknown,
    /// checked).
    #[must_use]
    pub(crate) fn of(told: Vec<bool>) -> Self {
        Self(told)
    }

    /// Whether candidate `index` is checked against the notices written.
    fn may_have(&self, index: usize) -> bool {
        self.0.get(index).copied().unwrap_or(true)
    }
}

/// What [`reference_resources`] reads: one reference's candidates.
struct Source<'a> {
    reference: &'a Reference,
    column: &'a RefColumn,
    candidates: &'a [AffectedModel],
    nouns: &'a [String],
    run: Option<i64>,
}

impl Source<'_> {
    /// The resources of the candidates of `values` (old value, index),
    /// with `check`, only those of teams not told about them yet.
    fn select(&self, conn: &Conn<'_>, values: &[(OldValue, usize)], check: bool) -> Query {
        let Self {
            reference,
            column,
            candidates,
            nouns,
            run,
        } = *self;
        let dialect = dialect::of(conn.backend());
        let noun = noun_of(reference);
        let order = nouns.iter().position(|known| known == noun).unwrap_or(0);
        let owner = resource_table(reference);
        let olds: Vec<&OldValue> = values.iter().map(|(old, _)| old).collect();
        let rows = resource_rows(conn, reference, column, &olds);
        let mut select = Query::new(if rows.repeats {
            "SELECT DISTINCT "
        } else {
            "SELECT "
        });
        if let Some(run_id) = run {
            select
                .push_bind(Bind::BigInt(run_id))
                .push_sql(" AS run_id, ");
        }
        select
            .push_sql("k.column2 AS idx, ")
            .append(rows.columns)
            .push_sql(", ")
            .push_bind(Bind::Text(owner.to_string()))
            .push_sql(" AS tbl, ")
            .push_bind(Bind::BigInt(i64::try_from(order).unwrap_or(i64::MAX)))
            .push_sql(" AS kind_ord, ")
            .push_bind(Bind::Text(noun.to_owned()))
            .push_sql(" AS kind, ");
        match &reference.url {
            Some(url) => select.push_bind(Bind::Text(url.to_string())),
            None => select.push_sql(&format!("CAST(NULL AS {})", dialect.text_type())),
        };
        let candidates_rows = values
            .iter()
            .filter_map(|(old, index)| {
                let model = candidates.get(*index)?;
                Some(vec![
                    Bind::Text(old.key()),
                    Bind::BigInt(i64::try_from(*index).unwrap_or(i64::MAX)),
                    Bind::Text(model.change.slug().to_owned()),
                    Bind::Text(model.model.to_string()),
                    Bind::BigInt(
                        model
                            .reminder
                            .map_or(0, |reminder| i64::from(reminder.days_before)),
                    ),
                ])
            })
            .collect();
        // `VALUES` columns are `column1…` (SQLite cannot rename them); MySQL's
        // relation is named to match.
        select
            .push_sql(" AS url FROM ")
            .append(rows.from)
            .push_sql(" JOIN (")
            .append(dialect.relation(
                &["column1", "column2", "column3", "column4", "column5"],
                candidates_rows,
            ))
            .push_sql(") AS k ON k.column1 = ")
            .append(rows.old_key)
            .push_sql(" WHERE ")
            .append(rows.condition);
        if check {
            select
                .push_sql(&format!(
                    " AND NOT EXISTS (SELECT 1 FROM {} n WHERE n.team_id = ",
                    quote_ident(NOTIFICATIONS_TABLE)
                ))
                .append(rows.team)
                .push_sql(
                    " AND n.slug = k.column3 AND n.model = k.column4 \
                     AND n.reminder_days = k.column5)",
                );
        }
        select
    }
}

/// The per-team aggregation around the `UNION [ALL]` of resources (module
/// docs) for `nouns` kinds: [`plain_first`] where the engine aggregates a
/// JSON object and a group's rows, else [`general`] over the union itself.
fn aggregated(dialect: &dyn Dialect, union: Query, nouns: usize) -> Query {
    let (display, location) = (display(dialect), location(dialect));
    let (text, integer) = (dialect.text_type(), dialect.integer_type());
    let columns = [
        ("resource_id", integer),
        ("name", text),
        ("tbl", text),
        ("kind_ord", integer),
        ("kind", text),
        ("url", text),
    ];
    match (
        dialect.json_object_agg(&display, &location, "plain_g.links"),
        dialect.row_collection(&columns, "plain_g.resources", "plain_u"),
    ) {
        (Some(agg), Some(rows)) => plain_first(dialect, union, nouns, &agg, &rows),
        _ => general(dialect, union, nouns),
    }
}

/// A resource's display name: its name, else `tbl#id`.
fn display(dialect: &dyn Dialect) -> String {
    let id = format!("CAST(resource_id AS {})", dialect.text_type());
    format!("COALESCE(name, {})", dialect.concat(&["tbl", "'#'", &id]))
}

/// Where a resource's link points: its URL (`{id}` and `{team_id}` filled
/// in), else `tbl#id`.
fn location(dialect: &dyn Dialect) -> String {
    let text = dialect.text_type();
    let id = format!("CAST(resource_id AS {text})");
    let fallback = dialect.concat(&["tbl", "'#'", &id]);
    format!(
        "CASE WHEN url IS NULL THEN {fallback} \
         ELSE REPLACE(REPLACE(url, '{{id}}', {id}), '{{team_id}}', CAST(team_id AS {text})) END"
    )
}

/// The counts text of a team, `1 chatbot(s), 2 pipeline(s)`, from the
/// number of resources of each noun (`count(order)`) and its noun
/// (`noun(order)`), nouns in declaration order, those without resources left out.
fn counts_text(
    dialect: &dyn Dialect,
    nouns: usize,
    count: impl Fn(usize) -> String,
    noun: impl Fn(usize) -> String,
) -> String {
    let text = dialect.text_type();
    let parts: Vec<String> = (0..nouns)
        .map(|order| {
            let n = count(order);
            let part = dialect.concat(&[
                "', '",
                &format!("CAST({n} AS {text})"),
                "' '",
                &noun(order),
                "'(s)'",
            ]);
            format!("CASE WHEN {n} > 0 THEN {part} ELSE '' END")
        })
        .collect();
    format!(
        "SUBSTR({}, 3)",
        dialect.concat(&parts.iter().map(String::as_str).collect::<Vec<_>>())
    )
}

/// Where the engine aggregates a JSON object and a group's rows
/// (PostgreSQL): one grouping by team, straight over the union (so the
/// references' sorted `DISTINCT`s merge into it, as a hand-written
/// statement's do), whose links are `display: location`. That is what the
/// general form gives a team none of whose resources share a display name
/// (nearly every team: no name is qualified, each key has one resource),
/// and the object's keys tell which teams those are: as many as the team's
/// resources (counted only for a team of more than one). The same grouping
/// keeps each team's resources (`rows`), and only for the other teams, in
/// the `CASE`'s last branch, does a subquery give their links by
/// [`general`] over them:
///
/// ```sql
/// SELECT plain_g.idx AS idx, plain_g.team_id AS team_id, plain_g.counts AS counts,
///   CASE WHEN plain_g.n = 1 THEN plain_g.links
///        WHEN plain_g.n = <keys of plain_g.links> THEN plain_g.links
///        ELSE (SELECT shared.links FROM (<general over: SELECT plain_g.idx AS idx,
///              plain_g.team_id AS team_id, plain_u.* FROM <rows of plain_g.resources>
///              AS plain_u>) AS shared) END AS links
/// FROM (SELECT idx, team_id, COUNT(*) AS n, <counts> AS counts,
///              jsonb_object_agg(<display>, <location>) AS links,
///              <the group's rows> AS resources
///       FROM (<union>) AS plain_r GROUP BY idx, team_id) AS plain_g
/// ```
///
/// Measured on the apply benchmark's full scale (134,100 notices): the
/// statement's rows took about 0.85 s against 1.0 s when the resources were
/// written to a `MATERIALIZED` CTE, grouped from it (sorted a second time)
/// and the teams with shared names read from it again.
fn plain_first(
    dialect: &dyn Dialect,
    union: Query,
    nouns: usize,
    agg: &ObjectAgg,
    rows: &RowCollection,
) -> Query {
    let of_kind =
        |order: usize, then: &str| format!("CASE WHEN kind_ord = {order} THEN {then} END");
    let counts = counts_text(
        dialect,
        nouns,
        |order| format!("COUNT({})", of_kind(order, "1")),
        |order| format!("MAX({})", of_kind(order, "kind")),
    );
    let shared = Query::new(format!(
        "SELECT plain_g.idx AS idx, plain_g.team_id AS team_id, plain_u.* FROM {}",
        rows.relation
    ));
    let mut query = Query::new(format!(
        "SELECT plain_g.idx AS idx, plain_g.team_id AS team_id, plain_g.counts AS counts, \
         CASE WHEN plain_g.n = 1 THEN plain_g.links WHEN plain_g.n = {} THEN plain_g.links \
         ELSE (SELECT shared.links FROM (",
        agg.keys
    ));
    query
        .append(general(dialect, shared, nouns))
        .push_sql(&format!(
            ") AS shared) END AS links FROM (SELECT idx, team_id, COUNT(*) AS n, \
             {counts} AS counts, {} AS links, {} AS resources FROM (",
            agg.aggregate, rows.aggregate
        ))
        .append(union)
        .push_sql(") AS plain_r GROUP BY idx, team_id) AS plain_g");
    query
}

/// The general form over `resources` (a query of resource rows).
///
/// One window pass by team and display name gives each name its kinds (a
/// name two kinds share is qualified with its kind: `Support (chatbot)`).
/// Then the rows are grouped by team and that key: a key with one resource
/// is one link, `"Support": location`, a key with more is one numbered link
/// per resource, `"Support #3": location` (grouping by the key counts the
/// display names where no name of the team is qualified, and a qualified
/// key against a literal name of the same text where one is). A second
/// grouping by team joins the links into the JSON object and sums the
/// counts, one conditional `COUNT` per noun.
///
/// Only the resource's own columns pass from one level to the next: the
/// display name, the key and the location are written where they are used,
/// and the kinds are compared by their order (one per noun). MariaDB
/// materialises and sorts each window level, so a grouping in place of the
/// second window pass (which counted each key's uses for `JSON_OBJECTAGG`)
/// saves a level.
fn general(dialect: &dyn Dialect, resources: Query, nouns: usize) -> Query {
    let id = format!("CAST(resource_id AS {})", dialect.text_type());
    let display = display(dialect);
    let location = location(dialect);
    let exact = |expr: &str| dialect.exact_text(expr);
    let by_name = format!("PARTITION BY idx, team_id, {}", exact(&display));
    let key = format!(
        "CASE WHEN kind_min <> kind_max THEN {} ELSE {display} END",
        dialect.concat(&[&display, "' ('", "kind", "')'"])
    );
    let link = |name: &str, location: &str| {
        dialect.concat(&[
            &dialect.json_quote(name),
            "':'",
            &dialect.json_quote(location),
        ])
    };
    let links_of_key = format!(
        "CASE WHEN COUNT(*) > 1 THEN {} ELSE {} END",
        dialect.comma_joined(&link(&dialect.concat(&[&key, "' #'", &id]), &location)),
        link(&format!("MAX({key})"), &format!("MAX({location})"))
    );
    let per_key: Vec<String> = (0..nouns)
        .map(|order| {
            format!(
                "COUNT(CASE WHEN kind_ord = {order} THEN 1 END) AS n{order}, \
                 MAX(CASE WHEN kind_ord = {order} THEN kind END) AS k{order}"
            )
        })
        .collect();
    let counts = counts_text(
        dialect,
        nouns,
        |order| format!("SUM(n{order})"),
        |order| format!("MAX(k{order})"),
    );
    let links =
        dialect.json_of_text(&dialect.concat(&["'{'", &dialect.comma_joined("links"), "'}'"]));
    let mut query = Query::new(format!(
        "SELECT idx, team_id, {counts} AS counts, {links} AS links FROM (\
         SELECT idx, team_id, {}, {links_of_key} AS links FROM (\
         SELECT r.*, MIN(kind_ord) OVER ({by_name}) AS kind_min, \
         MAX(kind_ord) OVER ({by_name}) AS kind_max FROM (",
        per_key.join(", ")
    ));
    query.append(resources).push_sql(&format!(
        ") AS r) AS l2 GROUP BY idx, team_id, {}) AS l3 GROUP BY idx, team_id",
        exact(&key)
    ));
    query
}
