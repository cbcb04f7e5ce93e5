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
use crate::db::{Backend, Bind, Conn, Query, lex, placeholders, quote_ident};
use crate::error::{Context, Error};
use crate::references::MAX_MAPPING_PER_STATEMENT;

/// The placeholder replaced by the team id.
pub const TEAM_ID_PLACEHOLDER: &str = "$team_id";
/// The placeholder replaced by the permission.
pub const PERMISSION_PLACEHOLDER: &str = "$permission";

const NOTIFICATION_ALIAS: &str = "llm_lifecycle_notification";
const RECIPIENT_ALIAS: &str = "llm_lifecycle_recipient";

/// The query with its placeholders (in code: not in literals or comments)
/// replaced: the team id by `team` (SQL text or a bound value), the permission
/// by a bound value. The platform's SQL around them is kept verbatim.
fn substitute(query: &str, team: &TeamId<'_>, permission: &str) -> Query {
    let mut out = Query::new("");
    for span in lex::spans(query) {
        if !span.code {
            out.push_foreign(span.text);
            continue;
        }
        let mut rest = span.text;
        while let Some(at) = rest.find('$') {
            let (before, from) = rest.split_at(at);
            let placeholder = [TEAM_ID_PLACEHOLDER, PERMISSION_PLACEHOLDER]
                .into_iter()
                .find(|text| {
                    from.starts_with(text)
                        && !from[text.len()..]
                            .chars()
                            .next()
                            .is_some_and(|next| next.is_ascii_alphanumeric() || next == '_')
                });
            let Some(placeholder) = placeholder else {
                out.push_foreign(&rest[..=at]);
                rest = &rest[at + 1..];
                continue;
            };
            out.push_foreign(before);
            if placeholder == PERMISSION_PLACEHOLDER {
                out.push_sql("?")
                    .push_bind(Bind::Text(permission.to_owned()));
            } else {
                match team {
                    TeamId::Sql(expr) => out.push_sql(expr),
                    TeamId::Value(id) => out
                        .push_sql("CAST(? AS BIGINT)")
                        .push_bind(Bind::BigInt(*id)),
                };
            }
            rest = &from[placeholder.len()..];
        }
        out.push_foreign(rest);
    }
    // A line break ends a trailing `--` comment before the SQL that follows.
    out.push_sql("\n");
    out
}

/// The query as it runs for one team: what plan-time validation prepares.
pub(crate) fn for_team(query: &str, team_id: i64, permission: &str) -> Query {
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
            let users = substitute(query, &TeamId::Sql(&team), permission);
            for chunk in inserted.chunks(MAX_MAPPING_PER_STATEMENT) {
                let n = quote_ident(NOTIFICATION_ALIAS);
                let r = quote_ident(RECIPIENT_ALIAS);
                let mut statement = Query::new(format!(
                    "INSERT INTO {} (notification_id, user_id) \
                     SELECT {n}.\"id\", CAST({r}.user_id AS BIGINT) FROM {} AS {n} \
                     CROSS JOIN LATERAL (",
                    quote_ident(RECIPIENTS_TABLE),
                    quote_ident(NOTIFICATIONS_TABLE),
                ));
                statement.append(users.clone()).push_sql(&format!(
                    ") AS {r}(user_id) \
                     WHERE {n}.\"id\" IN ({}) AND {r}.user_id IS NOT NULL ON CONFLICT DO NOTHING",
                    placeholders(chunk.len())
                ));
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
                let users = substitute(query, &TeamId::Value(team_id), permission);
                for chunk in ids.chunks(MAX_MAPPING_PER_STATEMENT) {
                    let r = quote_ident(RECIPIENT_ALIAS);
                    let mut statement = Query::new(format!("WITH {r}(user_id) AS ("));
                    statement.append(users.clone()).push_sql(&format!(
                        ") INSERT INTO {} (notification_id, user_id) \
                         SELECT n.id, CAST({r}.user_id AS BIGINT) FROM {} AS n, {r} \
                         WHERE n.id IN ({}) AND {r}.user_id IS NOT NULL ON CONFLICT DO NOTHING",
                        quote_ident(RECIPIENTS_TABLE),
                        quote_ident(NOTIFICATIONS_TABLE),
                        placeholders(chunk.len())
                    ));
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
    fn placeholders_in_code_are_replaced_in_order() {
        let query = substitute(
            "SELECT id FROM users WHERE team = $team_id AND perm = $permission AND note <> '$team_id' \
             AND x = $team_idx -- $permission isn't here\n AND p ? 'k'",
            &TeamId::Value(4),
            "llm.manage",
        );
        assert_eq!(
            query.render(Backend::Postgres),
            "SELECT id FROM users WHERE team = CAST($1 AS BIGINT) AND perm = $2 AND note <> '$team_id' \
             AND x = $team_idx -- $permission isn't here\n AND p ? 'k'\n"
        );
        assert_eq!(
            query.binds(),
            [Bind::BigInt(4), Bind::Text("llm.manage".into())]
        );
        let query = substitute(
            "SELECT $permission, $team_id",
            &TeamId::Sql("n.team_id"),
            "p",
        );
        assert_eq!(query.render(Backend::Sqlite), "SELECT ?, n.team_id\n");
        assert_eq!(query.binds(), [Bind::Text("p".into())]);
    }
}
