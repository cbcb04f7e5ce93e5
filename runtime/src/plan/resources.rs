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
//!        SUBSTR(<per noun, by declaration order:
//!               ', ' || COUNT(CASE WHEN kind_ord = i THEN 1 END) || ' noun(s)', or ''>, 3),
//!        <links object> FROM (
//!   SELECT …, CASE WHEN <uses of shared_key> > 1 THEN shared_key || ' #' || id
//!                  ELSE shared_key END AS link_key FROM (
//!     SELECT …, CASE WHEN kind_min <> kind_max
//!                    THEN display || ' (' || kind || ')' ELSE display END AS shared_key,
//!            MAX(<the same test, 1 or 0>) OVER (team) AS team_qualifies FROM (
//!       SELECT …, MIN(kind) OVER (name) AS kind_min, MAX(kind) OVER (name) AS kind_max,
//!              COUNT(*) OVER (name) AS name_uses FROM (
//!         SELECT [DISTINCT] idx, team_id, tbl, resource_id, kind_ord, kind,
//!                COALESCE(name, tbl || '#' || id) AS display, <url or tbl#id> AS location
//!         FROM (<one SELECT per reference with a team_column> UNION ALL …) r) l1) l2) l3) l4
//! GROUP BY idx, team_id
//! ```
//!
//! The uses of a key are `name_uses` in a team where no name is qualified
//! (every key is its name), else counted over the keys (a qualified key may
//! meet a literal name: "Support" shared by two kinds and a chatbot called
//! "Support (chatbot)"). `DISTINCT` is there when two references share an
//! owner table and a noun, the one way one resource can come twice.
//!
//! Each reference's `SELECT` is [`super::resource_rows::distinct_rows`] joined to
//! the candidates' old values (`k`: old value, candidate index, slug, model,
//! reminder days), less the teams that already have the notice.

use llm_lifecycle_catalog::{Catalog, ReferenceKind};

use super::AffectedModel;
use super::affected::{noun_of, nouns};
use super::resource_rows::distinct_rows;
use crate::db::dialect::{self, Dialect};
use crate::db::{Bind, Conn, Query, quote_ident};
use crate::references::{OldValue, RefColumn};
use crate::schema::NOTIFICATIONS_TABLE;

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
    // Per reference and candidate: the old value, and the five columns of `k`.
    (BINDS_PER_STATEMENT / (6 * told + per_candidate).max(1)).max(1)
}

/// The relation of `(idx, team_id, counts, links)`: per candidate (its index
/// in `candidates`) and team not told about it yet, the team's counts and
/// links; `None` when no reference names a team for any candidate.
pub(crate) fn team_notices(
    conn: &Conn<'_>,
    catalog: &Catalog,
    columns: &[Option<RefColumn>],
    candidates: &[AffectedModel],
) -> Option<Query> {
    let dialect = dialect::of(conn.backend());
    let nouns = nouns(catalog);
    let mut union: Option<Query> = None;
    // The (owner table, noun) of each reference in the union.
    let mut sources: Vec<(&str, &str)> = Vec::new();
    let mut shared = false;
    for (reference, column) in catalog.references.iter().zip(columns) {
        let (Some(column), Some(_)) = (column, &reference.team_column) else {
            continue;
        };
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
        if values.is_empty() {
            continue;
        }
        let noun = noun_of(reference);
        let order = nouns.iter().position(|known| known == noun).unwrap_or(0);
        let owner = reference
            .through
            .as_ref()
            .map_or(&reference.table, |through| &through.table);
        shared |= sources.contains(&(&**owner, noun));
        sources.push((&**owner, noun));
        let mut select = Query::new("SELECT k.column2 AS idx, a.team_id, ");
        select
            .push_bind(Bind::Text(owner.to_string()))
            .push_sql(" AS tbl, a.resource_id, ")
            .push_bind(Bind::BigInt(i64::try_from(order).unwrap_or(i64::MAX)))
            .push_sql(" AS kind_ord, ")
            .push_bind(Bind::Text(noun.to_owned()))
            .push_sql(" AS kind, a.name, ");
        match &reference.url {
            Some(url) => select.push_bind(Bind::Text(url.to_string())),
            None => select.push_sql(&format!("CAST(NULL AS {})", dialect.text_type())),
        };
        let olds: Vec<&OldValue> = values.iter().map(|(old, _)| old).collect();
        select
            .push_sql(" AS url FROM (")
            .append(distinct_rows(conn, reference, column, &olds));
        let rows = values
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
        select.push_sql(") AS a JOIN (").append(dialect.relation(
            &["column1", "column2", "column3", "column4", "column5"],
            rows,
        ));
        select.push_sql(&format!(
            ") AS k ON k.column1 = a.old_key WHERE NOT EXISTS (SELECT 1 FROM {} n \
             WHERE n.team_id = a.team_id AND n.slug = k.column3 AND n.model = k.column4 \
             AND n.reminder_days = k.column5)",
            quote_ident(NOTIFICATIONS_TABLE)
        ));
        union = Some(match union {
            None => select,
            Some(mut union) => {
                union.push_sql(" UNION ALL ").append(select);
                union
            }
        });
    }
    union.map(|union| aggregated(dialect, union, nouns.len(), shared))
}

/// The per-team aggregation around the `UNION ALL` of resources (module
/// docs) for `nouns` kinds, `distinct` when two told references share an
/// owner table and a noun (the same resource may come from both).
///
/// Two window passes make the link names: by team and display name, which
/// gives each name its kinds (a name two kinds share is qualified with its
/// kind: `Support (chatbot)`), then by team and that key, which counts its
/// uses (a key used twice gets the resource's id: `Support #3`). Counting
/// by the key counts the display names where no name of the team is
/// qualified, and a qualified key against a literal name of the same text
/// where one is. The counts are one conditional `COUNT` per noun.
fn aggregated(dialect: &dyn Dialect, union: Query, nouns: usize, distinct: bool) -> Query {
    let text = dialect.text_type();
    let id = format!("CAST(resource_id AS {text})");
    let fallback = dialect.concat(&["tbl", "'#'", &id]);
    let location = format!(
        "CASE WHEN url IS NULL THEN {fallback} \
         ELSE REPLACE(REPLACE(url, '{{id}}', {id}), '{{team_id}}', CAST(team_id AS {text})) END"
    );
    let exact = |expr: &str| dialect.exact_text(expr);
    let by_name = format!("PARTITION BY idx, team_id, {}", exact("display"));
    let kind = exact("kind");
    // Each window function once (MariaDB computes every occurrence apart,
    // with a sort and a pass of its own: 5 s of 11 at the benchmark's scale
    // when `qualified` was written out twice).
    let qualified = "kind_min <> kind_max";
    let key = format!(
        "CASE WHEN {qualified} THEN {} ELSE display END",
        dialect.concat(&["display", "' ('", "kind", "')'"])
    );
    let link_key = format!(
        "CASE WHEN COUNT(*) OVER (PARTITION BY idx, team_id, {}) > 1 THEN {} ELSE {key} END",
        exact(&key),
        dialect.concat(&[&key, "' #'", &id])
    );
    let counts: Vec<String> = (0..nouns)
        .map(|order| {
            let n = format!("COUNT(CASE WHEN kind_ord = {order} THEN 1 END)");
            let count = dialect.concat(&[
                "', '",
                &format!("CAST({n} AS {text})"),
                "' '",
                &format!("MAX(CASE WHEN kind_ord = {order} THEN kind END)"),
                "'(s)'",
            ]);
            format!("CASE WHEN {n} > 0 THEN {count} ELSE '' END")
        })
        .collect();
    let counts = format!(
        "SUBSTR({}, 3)",
        dialect.concat(&counts.iter().map(String::as_str).collect::<Vec<_>>())
    );
    let links = dialect.json_object_of("link_key", "location");
    let distinct = if distinct { "DISTINCT " } else { "" };
    let mut query = Query::new(format!(
        "SELECT idx, team_id, {counts} AS counts, {links} AS links FROM (\
         SELECT idx, team_id, kind_ord, kind, location, {link_key} AS link_key FROM (\
         SELECT l1.*, MIN({kind}) OVER ({by_name}) AS kind_min, MAX({kind}) OVER ({by_name}) AS kind_max FROM (\
         SELECT {distinct}idx, team_id, tbl, resource_id, kind_ord, kind, \
         COALESCE(name, {fallback}) AS display, {location} AS location FROM ("
    ));
    query
        .append(union)
        .push_sql(") AS r) AS l1) AS l2) AS l3 GROUP BY idx, team_id");
    query
}
