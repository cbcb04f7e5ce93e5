//! The runtime's own planner settings end with the statements they are for.
//! On PostgreSQL the read-back of the notices just written runs with `jit`
//! off (it is planned with the table's statistics from before the write, and
//! JIT compilation took 87 of its 88 ms on the apply benchmark); the host's
//! recipients query, later in the same transaction, runs under the session's
//! own setting again, whichever it is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::apply;
use crate::notifications_support::*;
use llm_lifecycle_test_support::TestDb;

/// [`RECIPIENTS`], answering only while the session's `jit` is what it
/// resets to (its value from the server, database and role settings).
const RECIPIENTS_UNDER_THE_SESSIONS_JIT: &str = r#"
[notifications]
permission = "llm.manage"
recipients_query = "SELECT user_id FROM memberships WHERE team_id = $team_id AND permission = $permission AND current_setting('jit') = (SELECT reset_val FROM pg_settings WHERE name = 'jit')"
"#;

/// Applies the deletions of [`MODELS`] with the recipients query above, on a
/// database whose sessions start with `jit` set to `database_jit`.
fn recipients_are_found_under_the_sessions_jit(database_jit: &str) {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let name = db.string("SELECT current_database() AS v");
    db.execute(&format!(
        "ALTER DATABASE \"{name}\" SET jit = {database_jit}"
    ));
    prepared(&db);
    apply(&db, &full(MODELS, RECIPIENTS_UNDER_THE_SESSIONS_JIT)).unwrap();
    assert_eq!(
        recipient_rows(&db)
            .into_iter()
            .map(Option::unwrap)
            .collect::<Vec<_>>(),
        [
            "1:openai/gpt-4:10",
            "1:openai/gpt-4:11",
            "1:openai/gpt-4o-mini:10",
            "1:openai/gpt-4o-mini:11",
            "2:openai/o1-mini:20",
        ]
    );
}

mod postgres {
    #[test]
    fn the_recipients_query_runs_under_a_databases_jit_off() {
        super::recipients_are_found_under_the_sessions_jit("off");
    }

    #[test]
    fn the_recipients_query_runs_under_a_databases_jit_on() {
        super::recipients_are_found_under_the_sessions_jit("on");
    }
}
