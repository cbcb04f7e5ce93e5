//! Recipients: with `[notifications] recipients_query`, one row per user per
//! notification in `llm_model_notification_recipients`, written in the apply
//! transaction (how the query is run per engine: [`crate::recipients_sql`]).

use std::collections::BTreeMap;

use super::notices::Inserted;
use crate::db::dialect;
use crate::db::{Bind, Conn, Query, quote_ident};
use crate::error::{Context, Error};
use crate::recipients_sql::{NOTIFICATION_ALIAS, RECIPIENT_ALIAS, TeamId, substitute};
use crate::references::MAX_MAPPING_PER_STATEMENT;
use crate::schema::{NOTIFICATIONS_TABLE, RECIPIENTS_TABLE};

/// Inserts the recipients of the notifications this run wrote.
pub(crate) fn insert(
    conn: &mut Conn<'_>,
    query: &str,
    permission: &str,
    inserted: &[Inserted],
) -> Result<(), Error> {
    let context = || "filling notification recipients with [notifications] recipients_query".into();
    let dialect = dialect::of(conn.backend());
    let (n, r) = (
        quote_ident(NOTIFICATION_ALIAS),
        quote_ident(RECIPIENT_ALIAS),
    );
    // `INSERT … SELECT n.id, r.user_id FROM notifications n <users r> WHERE
    // n.id IN (ids)`: the users of `users` as `r`, joined laterally (one
    // statement for every team) or as a derived table (one team's users).
    let statement = |users: Query, lateral: bool, ids: &mut dyn Iterator<Item = i64>| {
        let mut statement = Query::new(format!(
            "{} INTO {} (notification_id, user_id) \
             SELECT {n}.\"id\", CAST({r}.user_id AS {}) FROM {} AS {n} ",
            dialect.insert_skipping_duplicates(),
            quote_ident(RECIPIENTS_TABLE),
            dialect.integer_type(),
            quote_ident(NOTIFICATIONS_TABLE),
        ));
        if lateral {
            statement.push_sql("CROSS JOIN LATERAL (").append(users);
            statement.push_sql(&format!(") AS {r}(user_id)"));
        } else {
            // A derived table around a CTE: MariaDB has no `WITH` before `INSERT`.
            statement
                .push_sql(&format!(", (WITH {r}(user_id) AS ("))
                .append(users);
            statement.push_sql(&format!(") SELECT user_id FROM {r}) AS {r}"));
        }
        statement
            .push_sql(&format!(" WHERE {n}.\"id\" IN ("))
            .push_binds(ids.map(Bind::BigInt))
            .push_sql(&format!(") AND {r}.user_id IS NOT NULL"))
            .push_sql(&dialect.skip_duplicates("notification_id, user_id"));
        statement
    };
    if dialect.lateral() {
        // Every team's users in one statement per chunk of notifications.
        let team = format!("{n}.\"team_id\"");
        let users = substitute(query, &TeamId::Sql(&team), permission);
        for chunk in inserted.chunks(MAX_MAPPING_PER_STATEMENT) {
            let ids = &mut chunk.iter().map(|row| row.id);
            conn.execute(&statement(users.clone(), true, ids))
                .context(context)?;
        }
        return Ok(());
    }
    // Without LATERAL: one statement per team (and chunk of its notifications).
    let mut by_team: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in inserted {
        by_team.entry(row.team_id).or_default().push(row.id);
    }
    for (team_id, ids) in by_team {
        let team = TeamId::Value(team_id, dialect.integer_type());
        let users = substitute(query, &team, permission);
        for chunk in ids.chunks(MAX_MAPPING_PER_STATEMENT) {
            let ids = &mut chunk.iter().copied();
            conn.execute(&statement(users.clone(), false, ids))
                .context(context)?;
        }
    }
    Ok(())
}
