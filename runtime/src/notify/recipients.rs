//! Recipients: with `[notifications] recipients_query`, one row per user per
//! notification in `llm_model_notification_recipients`.
//!
//! The query is the platform's: it returns **one column of user ids** for one
//! team and permission, written with the named placeholders `$team_id` and
//! `$permission` (outside quotes), e.g.
//!
//! ```sql
//! SELECT m.user_id FROM team_memberships m JOIN role_permissions p ON p.role_id = m.role_id
//! WHERE m.team_id = $team_id AND p.codename = $permission
//! ```
//!
//! The permission is always a bound value. How the team id gets in depends on
//! the engine:
//!
//! - **PostgreSQL, set-based**: `$team_id` becomes a reference to the
//!   notification row and the query runs as a `LATERAL` subquery: one
//!   `INSERT … SELECT` fills the recipients of every new notification of the run.
//! - **SQLite** has no `LATERAL` (a subquery in `FROM` cannot see the outer
//!   row), so the query runs once per team that received new notifications in
//!   this run, `$team_id` bound; each run inserts the recipients of all that
//!   team's new notifications at once. Teams already told cost nothing.
//!
//! Other placeholders (`?`, `$1`) must not appear in the query.

use std::collections::BTreeMap;

use super::store::Inserted;
use super::{NOTIFICATIONS_TABLE, RECIPIENTS_TABLE};
use crate::db::{Backend, Bind, Conn, Query, placeholders, quote_ident};
use crate::error::{Context, Error};
use crate::references::MAX_MAPPING_PER_STATEMENT;

/// The placeholder replaced by the team id.
pub const TEAM_ID_PLACEHOLDER: &str = "$team_id";
/// The placeholder replaced by the permission.
pub const PERMISSION_PLACEHOLDER: &str = "$permission";

const NOTIFICATION_ALIAS: &str = "llm_lifecycle_notification";
const RECIPIENT_ALIAS: &str = "llm_lifecycle_recipient";

/// What a placeholder becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    TeamId,
    Permission,
}

/// Splits the query at its placeholders (outside quotes): the text pieces and,
/// between them, which placeholder stood there.
fn split(query: &str) -> (Vec<String>, Vec<Placeholder>) {
    let mut pieces = vec![String::new()];
    let mut found = Vec::new();
    let mut quote: Option<char> = None;
    let mut rest = query;
    while let Some(c) = rest.chars().next() {
        if quote.is_none() && c == '$' {
            let matched = [
                (TEAM_ID_PLACEHOLDER, Placeholder::TeamId),
                (PERMISSION_PLACEHOLDER, Placeholder::Permission),
            ]
            .into_iter()
            .find(|(text, _)| {
                rest.starts_with(text)
                    && !rest[text.len()..]
                        .chars()
                        .next()
                        .is_some_and(|next| next.is_ascii_alphanumeric() || next == '_')
            });
            if let Some((text, placeholder)) = matched {
                found.push(placeholder);
                pieces.push(String::new());
                rest = &rest[text.len()..];
                continue;
            }
        }
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            _ => {}
        }
        if let Some(last) = pieces.last_mut() {
            last.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    (pieces, found)
}

/// The query with its placeholders replaced: the team id by `team` (SQL text
/// or a bound value), the permission by a bound value.
fn substitute(query: &str, team: &TeamId<'_>, permission: &str) -> (String, Vec<Bind>) {
    let (pieces, found) = split(query);
    let mut sql = String::with_capacity(query.len());
    let mut binds = Vec::new();
    for (index, piece) in pieces.iter().enumerate() {
        sql.push_str(piece);
        match found.get(index) {
            Some(Placeholder::Permission) => {
                sql.push('?');
                binds.push(Bind::Text(permission.to_owned()));
            }
            Some(Placeholder::TeamId) => match team {
                TeamId::Sql(expr) => sql.push_str(expr),
                TeamId::Value(id) => {
                    sql.push_str("CAST(? AS BIGINT)");
                    binds.push(Bind::BigInt(*id));
                }
            },
            None => {}
        }
    }
    (sql, binds)
}

/// The query's SQL and bound values as it runs for one team: what plan-time
/// validation prepares.
pub(crate) fn for_team(query: &str, team_id: i64, permission: &str) -> (String, Vec<Bind>) {
    substitute(query, &TeamId::Value(team_id), permission)
}

enum TeamId<'a> {
    Sql(&'a str),
    Value(i64),
}

/// Inserts the recipients of the notifications this run wrote.
pub(crate) fn insert(
    conn: &mut Conn<'_>,
    query: &str,
    permission: &str,
    inserted: &[Inserted],
) -> Result<(), Error> {
    let context = || "filling notification recipients with [notifications] recipients_query".into();
    match conn.backend() {
        Backend::Postgres => {
            let team = format!("{}.\"team_id\"", quote_ident(NOTIFICATION_ALIAS));
            let (users, binds) = substitute(query, &TeamId::Sql(&team), permission);
            for chunk in inserted.chunks(MAX_MAPPING_PER_STATEMENT) {
                let n = quote_ident(NOTIFICATION_ALIAS);
                let r = quote_ident(RECIPIENT_ALIAS);
                let mut statement = Query::new(format!(
                    "INSERT INTO {} (notification_id, user_id) \
                     SELECT {n}.\"id\", CAST({r}.user_id AS BIGINT) FROM {} AS {n} \
                     CROSS JOIN LATERAL ({users}) AS {r}(user_id) \
                     WHERE {n}.\"id\" IN ({}) AND {r}.user_id IS NOT NULL ON CONFLICT DO NOTHING",
                    quote_ident(RECIPIENTS_TABLE),
                    quote_ident(NOTIFICATIONS_TABLE),
                    placeholders(chunk.len())
                ));
                for bind in &binds {
                    statement.push_bind(bind.clone());
                }
                for row in chunk {
                    statement.push_bind(Bind::BigInt(row.id));
                }
                conn.execute(&statement).context(context)?;
            }
        }
        Backend::Sqlite => {
            let mut by_team: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
            for row in inserted {
                by_team.entry(row.team_id).or_default().push(row.id);
            }
            for (team_id, ids) in by_team {
                let (users, binds) = substitute(query, &TeamId::Value(team_id), permission);
                for chunk in ids.chunks(MAX_MAPPING_PER_STATEMENT) {
                    let r = quote_ident(RECIPIENT_ALIAS);
                    let mut statement = Query::new(format!(
                        "WITH {r}(user_id) AS ({users}) \
                         INSERT INTO {} (notification_id, user_id) \
                         SELECT n.id, CAST({r}.user_id AS BIGINT) FROM {} AS n, {r} \
                         WHERE n.id IN ({}) AND {r}.user_id IS NOT NULL ON CONFLICT DO NOTHING",
                        quote_ident(RECIPIENTS_TABLE),
                        quote_ident(NOTIFICATIONS_TABLE),
                        placeholders(chunk.len())
                    ));
                    for bind in &binds {
                        statement.push_bind(bind.clone());
                    }
                    for id in chunk {
                        statement.push_bind(Bind::BigInt(*id));
                    }
                    conn.execute(&statement).context(context)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_outside_quotes_are_replaced_in_order() {
        let (sql, binds) = substitute(
            "SELECT id FROM users WHERE team = $team_id AND perm = $permission AND note <> '$team_id' AND x = $team_idx",
            &TeamId::Value(4),
            "llm.manage",
        );
        assert_eq!(
            sql,
            "SELECT id FROM users WHERE team = CAST(? AS BIGINT) AND perm = ? AND note <> '$team_id' AND x = $team_idx"
        );
        assert_eq!(binds, [Bind::BigInt(4), Bind::Text("llm.manage".into())]);
        let (sql, binds) = substitute(
            "SELECT $permission, $team_id",
            &TeamId::Sql("n.team_id"),
            "p",
        );
        assert_eq!(sql, "SELECT ?, n.team_id");
        assert_eq!(binds, [Bind::Text("p".into())]);
    }
}
