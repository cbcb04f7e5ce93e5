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

use llm_lifecycle_catalog::sql;

use crate::db::{Bind, Query};

/// The placeholder replaced by the team id.
pub(crate) const TEAM_ID_PLACEHOLDER: &str = "$team_id";
/// The placeholder replaced by the permission.
pub(crate) const PERMISSION_PLACEHOLDER: &str = "$permission";

pub(crate) const NOTIFICATION_ALIAS: &str = "llm_lifecycle_notification";
pub(crate) const RECIPIENT_ALIAS: &str = "llm_lifecycle_recipient";

/// The query with its placeholders (in code: not in literals or comments)
/// replaced: the team id by `team` (SQL text or a bound value), the permission
/// by a bound value. The platform's SQL around them is kept verbatim.
pub(crate) fn substitute(query: &str, team: &TeamId<'_>, permission: &str) -> Query {
    let mut out = Query::new("");
    for span in sql::spans(query) {
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
                out.push_bind(Bind::Text(permission.to_owned()));
            } else {
                match team {
                    TeamId::Sql(expr) => out.push_sql(expr),
                    TeamId::Value(id, integer) => out
                        .push_sql("CAST(")
                        .push_bind(Bind::BigInt(*id))
                        .push_sql(&format!(" AS {integer})")),
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
pub(crate) fn for_team(
    query: &str,
    team_id: i64,
    integer: &'static str,
    permission: &str,
) -> Query {
    substitute(query, &TeamId::Value(team_id, integer), permission)
}

/// What `$team_id` becomes.
pub(crate) enum TeamId<'a> {
    /// An SQL expression (a column of the statement around the query).
    Sql(&'a str),
    /// A bound id, cast to the engine's 64-bit integer type (the second field).
    Value(i64, &'static str),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;

    #[test]
    fn placeholders_in_code_are_replaced_in_order() {
        let query = substitute(
            "SELECT id FROM users WHERE team = $team_id AND perm = $permission AND note <> '$team_id' \
             AND x = $team_idx -- $permission isn't here\n AND p ? 'k'",
            &TeamId::Value(4, "BIGINT"),
            "llm.manage",
        );
        assert_eq!(
            query.render(Backend::Postgres),
            "SELECT id FROM users WHERE team = CAST($1 AS BIGINT) AND perm = $2 AND note <> '$team_id' \
             AND x = $team_idx -- $permission isn't here\n AND p ? 'k'\n"
        );
        assert_eq!(
            query.binds(),
            [&Bind::BigInt(4), &Bind::Text("llm.manage".into())]
        );
        let query = substitute(
            "SELECT $permission, $team_id",
            &TeamId::Sql("n.team_id"),
            "p",
        );
        assert_eq!(query.render(Backend::Sqlite), "SELECT ?, n.team_id\n");
        assert_eq!(query.binds(), [&Bind::Text("p".into())]);
    }
}
