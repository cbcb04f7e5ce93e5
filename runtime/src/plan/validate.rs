//! Plan-time checks of the SQL a catalogue supplies (`[[references]] filter`,
//! `[notifications] recipients_query`): each is prepared and run with
//! `LIMIT 0` inside a savepoint that is always rolled back, so nothing is read
//! or written and a failure does not poison the surrounding transaction
//! (PostgreSQL aborts a transaction on any failed statement).

use crate::db::{Conn, Query, lex};
use crate::error::{Context, Error, one_line};
use crate::recipients_sql as recipients;

const SAVEPOINT: &str = "llm_lifecycle_sql_check";

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
    if let Some(found) = lex::placeholder(filter, conn.backend()) {
        return Ok(Some(format!(
            "`{found}` is a bind placeholder on {}; write the value as a literal",
            conn.backend()
        )));
    }
    let mut check = Query::new("SELECT 1 AS n FROM ");
    check
        .push_ident(table)
        .push_sql(" WHERE (")
        .push_foreign(filter)
        .push_sql("\n) LIMIT 0");
    probe(conn, &check)
}

/// Why the recipients query cannot run for a team (one column of user ids,
/// `$team_id` and `$permission` bound), if it cannot.
pub(super) fn recipients_query(
    conn: &mut Conn<'_>,
    query: &str,
    permission: &str,
) -> Result<Option<String>, Error> {
    let integer = crate::db::dialect::of(conn.backend()).integer_type();
    let for_team = recipients::for_team(query, 0, integer, permission);
    if let Some(found) = lex::placeholder(&for_team.foreign_text(), conn.backend()) {
        return Ok(Some(format!(
            "`{found}` is a bind placeholder on {}; use `$team_id` and `$permission` for the values",
            conn.backend()
        )));
    }
    // A scalar subquery: both engines reject one that returns several columns.
    let mut check = Query::new("SELECT CAST((SELECT * FROM (");
    check.append(for_team).push_sql(&format!(
        ") AS llm_lifecycle_recipient LIMIT 0) AS {integer}) AS user_id"
    ));
    probe(conn, &check)
}
