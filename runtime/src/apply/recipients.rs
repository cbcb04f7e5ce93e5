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
    let r = quote_ident(RECIPIENT_ALIAS);
    if dialect.lateral() {
        // Every team's users in one statement per chunk of notifications.
        let team = format!("{}.\"team_id\"", quote_ident(NOTIFICATION_ALIAS));
        let users = substitute(query, &TeamId::Sql(&team), permission);
        let n = quote_ident(NOTIFICATION_ALIAS);
        for chunk in inserted.chunks(MAX_MAPPING_PER_STATEMENT) {
            let mut statement = Query::new(format!(
                "{} INTO {} (notification_id, user_id) \
                 SELECT {n}.\"id\", CAST({r}.user_id AS {}) FROM {} AS {n} \
                 CROSS JOIN LATERAL (",
                dialect.insert_skipping_duplicates(),
                quote_ident(RECIPIENTS_TABLE),
                dialect.integer_type(),
                quote_ident(NOTIFICATIONS_TABLE),
            ));
            statement
                .append(users.clone())
                .push_sql(&format!(") AS {r}(user_id) WHERE {n}.\"id\" IN ("))
                .push_binds(chunk.iter().map(|row| Bind::BigInt(row.id)))
                .push_sql(&format!(") AND {r}.user_id IS NOT NULL"))
                .push_sql(&dialect.skip_duplicates("notification_id, user_id"));
            conn.execute(&statement).context(context)?;
        }
        return Ok(());
    }
    // Without LATERAL: one statement per team (and chunk of its
    // notifications), the users as a derived table around a CTE (MariaDB has
    // no `WITH` before `INSERT`).
    let mut by_team: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in inserted {
        by_team.entry(row.team_id).or_default().push(row.id);
    }
    for (team_id, ids) in by_team {
        let users = substitute(
            query,
            &TeamId::Value(team_id, dialect.integer_type()),
            permission,
        );
        for chunk in ids.chunks(MAX_MAPPING_PER_STATEMENT) {
            let mut statement = Query::new(format!(
                "{} INTO {} (notification_id, user_id) \
                 SELECT n.id, CAST({r}.user_id AS {}) FROM {} AS n, \
                 (WITH {r}(user_id) AS (",
                dialect.insert_skipping_duplicates(),
                quote_ident(RECIPIENTS_TABLE),
                dialect.integer_type(),
                quote_ident(NOTIFICATIONS_TABLE),
            ));
            statement
                .append(users.clone())
                .push_sql(&format!(
                    ") SELECT user_id FROM {r}) AS {r} WHERE n.id IN ("
                ))
                .push_binds(chunk.iter().map(|id| Bind::BigInt(*id)))
                .push_sql(&format!(") AND {r}.user_id IS NOT NULL"))
                .push_sql(&dialect.skip_duplicates("notification_id, user_id"));
            conn.execute(&statement).context(context)?;
        }
    }
    Ok(())
}
