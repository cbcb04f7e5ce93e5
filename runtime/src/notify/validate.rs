//! Plan-time checks of the SQL a catalogue supplies (`[[references]] filter`,
//! `[notifications] recipients_query`): each is prepared and run with
//! `LIMIT 0` inside a savepoint that is always rolled back, so nothing is read
//! or written and a failure does not poison the surrounding transaction
//! (PostgreSQL aborts a transaction on any failed statement).

use super::recipients;
use crate::db::{Conn, Query, quote_ident};
use crate::error::{Context, Error, one_line};

const SAVEPOINT: &str = "llm_lifecycle_sql_check";

/// `?` outside quotes: the runtime binds values through `?` placeholders (turned
/// into `$n` on PostgreSQL), so catalogue SQL must not contain any.
fn has_placeholder(sql: &str) -> bool {
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '?') => return true,
            _ => {}
        }
    }
    false
}

/// Runs `probe` in a savepoint that is rolled back; the engine's complaint, if any.
fn probe(conn: &mut Conn<'_>, probe: &Query) -> Result<Option<String>, Error> {
    conn.execute(&Query::new(format!("SAVEPOINT {SAVEPOINT}")))
        .context(|| "opening a savepoint to check catalogue SQL".into())?;
    let outcome = conn.execute(probe);
    conn.execute(&Query::new(format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")))
        .context(|| "rolling back the check of catalogue SQL".into())?;
    conn.execute(&Query::new(format!("RELEASE SAVEPOINT {SAVEPOINT}")))
        .context(|| "closing the check of catalogue SQL".into())?;
    Ok(outcome.err().map(|e| one_line(&e.to_string())))
}

/// Why `filter` is not a valid condition on `table`, if it is not.
pub(super) fn filter(
    conn: &mut Conn<'_>,
    table: &str,
    filter: &str,
) -> Result<Option<String>, Error> {
    if has_placeholder(filter) {
        return Ok(Some(
            "`?` is reserved for bound values; write the value as a literal".to_owned(),
        ));
    }
    probe(
        conn,
        &Query::new(format!(
            "SELECT 1 AS n FROM {} WHERE ({filter}) LIMIT 0",
            quote_ident(table)
        )),
    )
}

/// Why the recipients query cannot run for a team (one column of user ids,
/// `$team_id` and `$permission` bound), if it cannot.
pub(super) fn recipients_query(
    conn: &mut Conn<'_>,
    query: &str,
    permission: &str,
) -> Result<Option<String>, Error> {
    if has_placeholder(query) {
        return Ok(Some(
            "`?` is reserved; use `$team_id` and `$permission` for the values".to_owned(),
        ));
    }
    let (sql, binds) = recipients::for_team(query, 0, permission);
    // A scalar subquery: both engines reject one that returns several columns.
    let mut check = Query::new(format!(
        "SELECT CAST((SELECT * FROM ({sql}) AS llm_lifecycle_recipient LIMIT 0) AS BIGINT) AS user_id"
    ));
    for bind in binds {
        check.push_bind(bind);
    }
    probe(conn, &check)
}

#[cfg(test)]
mod tests {
    use super::has_placeholder;

    #[test]
    fn question_marks_in_literals_are_not_placeholders() {
        assert!(has_placeholder("params ? 'key'"));
        assert!(!has_placeholder("name <> '?' AND \"odd?\" IS NULL"));
    }
}
