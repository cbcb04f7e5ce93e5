//! `--lock-timeout` and `--statement-timeout` through the command line (and
//! `ApplyOptions::timeouts`), on every engine, against a real second
//! connection that holds the deploy lock or a model row:
//!
//! - a held deploy lock fails the apply (and `migrate`) after the lock
//!   timeout, exit 1, one line naming the deploy lock and, on PostgreSQL and
//!   MySQL, its holder;
//! - a held row lock (SQLite: a write transaction) fails it the same way,
//!   nothing changed;
//! - a statement timeout (PostgreSQL, MariaDB) cancels a statement stuck on a
//!   row lock with `--lock-timeout 0`; SQLite has none and ignores it;
//! - `--lock-timeout 0` waits until the holder lets go.
//!
//! Time bounds are generous upper bounds (20 s for a 1 s timeout); a wait
//! that never ends is cut short by releasing the holder, so a failure never
//! hangs the suite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use llm_lifecycle_runtime::cli::{exit, run};
use llm_lifecycle_runtime::{ADVISORY_LOCK_KEY, ApplyOptions, Error, Timeouts};
use llm_lifecycle_test_support::{Backend, MysqlConnection, PgConnection, TestDb};

use crate::common::*;

/// The `application_name` of the PostgreSQL holder, which the error must show.
const HOLDER_APP: &str = "timeouts-test-holder";

/// The most any failing apply here may take (its timeouts are 1 s).
const BOUND: Duration = Duration::from_secs(20);

struct Outcome {
    code: u8,
    out: String,
    err: String,
}

fn cli(db: &TestDb, args: &[&str]) -> Outcome {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["apply-models", "--database-url", db.url()];
    argv.extend_from_slice(args);
    let code = run(&full_catalog(), argv, &mut out, &mut err);
    Outcome {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Text)]
    v: String,
}

/// A second connection, as another deploy or the platform's application has.
#[allow(clippy::large_enum_variant)]
enum Holder {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
    Mysql(MysqlConnection),
}

/// The MySQL user lock standing for the deploy lock in the current database
/// (as the runtime names it).
fn mysql_deploy_lock() -> String {
    format!(
        "CONCAT('llm_lifecycle_', SHA1(CONCAT(COALESCE(DATABASE(), ''), '/', '{ADVISORY_LOCK_KEY:016x}')))"
    )
}

impl Holder {
    fn open(db: &TestDb) -> Self {
        match db.backend() {
            // Straight to the server, also under LLM_LIFECYCLE_TEST_PGBOUNCER:
            // the holder keeps session locks a transaction pooler would hand
            // on with its server connection (to the apply it should block).
            Backend::Postgres => {
                let direct = db.direct_url();
                let separator = if direct.contains('?') { '&' } else { '?' };
                let url = format!("{direct}{separator}application_name={HOLDER_APP}");
                Self::Postgres(PgConnection::establish(&url).unwrap())
            }
            Backend::Sqlite => Self::Sqlite(SqliteConnection::establish(db.url()).unwrap()),
            Backend::Mysql => Self::Mysql(MysqlConnection::establish(db.url()).unwrap()),
        }
    }

    fn execute(&mut self, sql: &str) {
        match self {
            Self::Postgres(c) => c.batch_execute(sql),
            Self::Sqlite(c) => c.batch_execute(sql),
            Self::Mysql(c) => c.batch_execute(sql),
        }
        .unwrap_or_else(|e| panic!("holder: {sql}: {e}"));
    }

    /// The server's id of this session: what the error must name.
    fn session_id(&mut self) -> String {
        let rows: Vec<Value> = match self {
            Self::Postgres(c) => diesel::sql_query("SELECT CAST(pg_backend_pid() AS TEXT) AS v")
                .load(c)
                .unwrap(),
            Self::Mysql(c) => diesel::sql_query("SELECT CAST(CONNECTION_ID() AS CHAR) AS v")
                .load(c)
                .unwrap(),
            Self::Sqlite(_) => return String::new(),
        };
        rows.into_iter().next().unwrap().v
    }

    /// Takes the deploy lock as another apply would (SQLite: the write lock).
    fn hold_deploy_lock(&mut self) {
        match self {
            Self::Postgres(_) => {
                self.execute(&format!("SELECT pg_advisory_lock({ADVISORY_LOCK_KEY})"));
            }
            Self::Sqlite(_) => self.execute("BEGIN IMMEDIATE"),
            Self::Mysql(_) => self.execute(&format!("DO GET_LOCK({}, 0)", mysql_deploy_lock())),
        }
    }

    fn release_deploy_lock(&mut self) {
        match self {
            Self::Postgres(_) => {
                self.execute(&format!("SELECT pg_advisory_unlock({ADVISORY_LOCK_KEY})"));
            }
            Self::Sqlite(_) => self.execute("ROLLBACK"),
            Self::Mysql(_) => self.execute(&format!("DO RELEASE_LOCK({})", mysql_deploy_lock())),
        }
    }

    /// Locks model row 101 (`openai/gpt-4-turbo`, deleted by the catalogue:
    /// the apply locks it) in an open transaction; SQLite: a write
    /// transaction that updated it.
    fn hold_row_lock(&mut self) {
        match self {
            Self::Sqlite(_) => {
                self.execute("BEGIN IMMEDIATE");
                self.execute("UPDATE llm_provider_models SET max_token_limit = 1 WHERE id = 101");
            }
            _ => {
                self.execute("BEGIN");
                self.execute("SELECT id FROM llm_provider_models WHERE id = 101 FOR UPDATE");
            }
        }
    }

    fn release_row_lock(&mut self) {
        self.execute("ROLLBACK");
    }
}

/// The usual host data, ready for an apply that deletes row 101.
fn prepared(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_references(db);
}

/// Runs `work` on a thread of its own; when it has not finished within
/// [`BOUND`], `release` lets the holder go so it can. The result, how long it
/// took, and whether it had to be cut short.
fn bounded<T: Send>(
    work: impl FnOnce() -> T + Send,
    release: impl FnOnce(),
) -> (T, Duration, bool) {
    std::thread::scope(|scope| {
        let started = Instant::now();
        let running = scope.spawn(work);
        while !running.is_finished() && started.elapsed() < BOUND {
            std::thread::sleep(Duration::from_millis(20));
        }
        let elapsed = started.elapsed();
        let cut_short = !running.is_finished();
        if cut_short {
            release();
        }
        (running.join().unwrap(), elapsed, cut_short)
    })
}

/// Exit 1 with one line on stderr that starts with `start` and mentions each
/// of `mentions`, within [`BOUND`].
fn assert_fails_fast(outcome: &Outcome, elapsed: Duration, cut_short: bool, start: &str) {
    assert!(
        !cut_short,
        "still waiting after {BOUND:?}: the timeout did nothing ({})",
        outcome.err
    );
    assert!(elapsed < BOUND, "took {elapsed:?}");
    assert_eq!(
        outcome.code,
        exit::ERROR,
        "stdout: {}\nstderr: {}",
        outcome.out,
        outcome.err
    );
    assert_eq!(
        outcome.err.lines().count(),
        1,
        "one line: {:?}",
        outcome.err
    );
    assert!(
        outcome.err.starts_with(start),
        "{:?} should start with {start:?}",
        outcome.err
    );
}

/// How the message names the holder on each engine (`None`: SQLite cannot
/// tell): what follows `held by ` or `holding row locks: `.
fn holder_named(db: &TestDb, session: &str) -> Option<String> {
    match db.backend() {
        Backend::Postgres => Some(format!(
            "PostgreSQL pid {session} (application `{HOLDER_APP}`, "
        )),
        Backend::Mysql => Some(format!("MySQL connection {session} (")),
        Backend::Sqlite => None,
    }
}

/// (a) Another deploy holds the deploy lock: apply and migrate with
/// `--lock-timeout 1s` give up, naming the lock and its holder; so does the
/// API with `Timeouts`. Nothing is written; the failure is in the ledger.
fn a_held_deploy_lock_fails_the_apply_fast(db: &TestDb) {
    prepared(db);
    let before = snapshot(db);
    let mut holder = Holder::open(db);
    let session = holder.session_id();
    holder.hold_deploy_lock();
    for command in ["apply", "migrate"] {
        let (outcome, elapsed, cut_short) = bounded(
            || cli(db, &["--lock-timeout", "1s", command]),
            || holder.release_deploy_lock(),
        );
        assert_fails_fast(
            &outcome,
            elapsed,
            cut_short,
            "error: lock timeout: gave up after 1s waiting for the deploy lock (",
        );
        assert!(
            outcome.err.contains("Retry the deploy") && outcome.err.contains("--lock-timeout"),
            "says what to do: {}",
            outcome.err
        );
        if let Some(named) = holder_named(db, &session) {
            assert!(
                outcome.err.contains(&format!("; held by {named}")),
                "{command}: names the holder ({named}): {}",
                outcome.err
            );
        }
        if db.backend() == Backend::Postgres {
            assert!(
                outcome.err.contains("PostgreSQL advisory lock")
                    && outcome.err.contains("query started "),
                "{}",
                outcome.err
            );
        }
    }
    // The programmatic API: the same error, as data.
    let options = ApplyOptions {
        timeouts: Timeouts {
            lock: Duration::from_secs(1),
            statement: None,
        },
        ..ApplyOptions::default()
    };
    let (result, _, cut_short) = bounded(
        || llm_lifecycle_runtime::apply(&mut connect(db), &full_catalog(), &options),
        || holder.release_deploy_lock(),
    );
    assert!(!cut_short);
    match result {
        Err(Error::LockTimeout {
            waiting_for,
            timeout,
            holder: named,
        }) => {
            assert!(
                waiting_for.starts_with("the deploy lock ("),
                "{waiting_for}"
            );
            assert_eq!(timeout, Duration::from_secs(1));
            assert_eq!(
                named.is_some(),
                db.backend() != Backend::Sqlite,
                "{named:?}"
            );
        }
        other => panic!("expected a lock timeout, got {other:?}"),
    }
    holder.release_deploy_lock();
    assert_eq!(snapshot(db), before, "nothing written");
    if db.backend() != Backend::Sqlite {
        // SQLite's file is still locked when the failure would be recorded.
        assert_eq!(
            count(
                db,
                "llm_lifecycle_runs WHERE status = 'failed' AND error LIKE 'lock timeout: %'"
            ),
            2,
            "both failed applies are in the ledger"
        );
    }
    // Once the holder is gone the same command goes through.
    let outcome = cli(db, &["--lock-timeout", "1s", "apply"]);
    assert_eq!(outcome.code, exit::OK, "{}", outcome.err);
}

/// (b) A host transaction holds a lock on a model row the apply removes
/// (SQLite: any write transaction): the apply gives up after 1 s and
/// changes nothing.
fn a_held_row_lock_fails_the_apply_fast_and_changes_nothing(db: &TestDb) {
    prepared(db);
    let before = snapshot(db);
    let mut holder = Holder::open(db);
    let session = holder.session_id();
    holder.hold_row_lock();
    let (outcome, elapsed, cut_short) = bounded(
        || cli(db, &["--lock-timeout", "1s"]),
        || holder.release_row_lock(),
    );
    let waiting_for = match db.backend() {
        Backend::Postgres => {
            "a row or table lock while locking the model rows this apply may remove"
        }
        Backend::Mysql => {
            "a row or metadata lock while locking the model rows this apply may remove"
        }
        Backend::Sqlite => "the deploy lock (SQLite's write lock: another connection or process",
    };
    assert_fails_fast(
        &outcome,
        elapsed,
        cut_short,
        &format!("error: lock timeout: gave up after 1s waiting for {waiting_for}"),
    );
    if let Some(named) = holder_named(db, &session) {
        assert!(
            outcome
                .err
                .contains(&format!("; open transactions holding row locks: {named}")),
            "names the holder ({named}): {}",
            outcome.err
        );
    }
    if db.backend() == Backend::Postgres {
        assert!(
            outcome.err.contains("idle in transaction")
                && outcome.err.contains("locking llm_provider_models"),
            "{}",
            outcome.err
        );
    }
    holder.release_row_lock();
    assert_eq!(snapshot(db), before, "nothing written");
    assert_eq!(global_id(db, "openai/gpt-4-turbo"), Some(101));
    assert_eq!(
        count(
            db,
            "llm_provider_models WHERE id = 101 AND max_token_limit = 128000"
        ),
        1,
        "the holder's own write was rolled back too"
    );
}

/// Whether the MySQL server is MariaDB (whose `max_statement_time` bounds
/// every statement; MySQL 8's `max_execution_time` only SELECTs).
fn is_mariadb(db: &TestDb) -> bool {
    db.string("SELECT VERSION() AS v").contains("MariaDB")
}

/// (c) `--statement-timeout 1s` with `--lock-timeout 0`: the statement stuck
/// on a held row lock is cancelled after 1 s (PostgreSQL, MariaDB). SQLite
/// has no statement timeout: the flag is accepted and changes nothing.
fn a_statement_timeout_cancels_a_stuck_statement(db: &TestDb) {
    prepared(db);
    let args = ["--lock-timeout", "0", "--statement-timeout", "1s"];
    match db.backend() {
        Backend::Sqlite => {
            let outcome = cli(db, &args);
            assert_eq!(outcome.code, exit::OK, "{}", outcome.err);
            assert!(outcome.out.contains("Applied (run"), "{}", outcome.out);
            return;
        }
        Backend::Mysql if !is_mariadb(db) => {
            eprintln!("MySQL 8 bounds only SELECTs (max_execution_time): not tested here");
            return;
        }
        _ => {}
    }
    let before = snapshot(db);
    let mut holder = Holder::open(db);
    let session = holder.session_id();
    holder.hold_row_lock();
    let (outcome, elapsed, cut_short) = bounded(|| cli(db, &args), || holder.release_row_lock());
    assert_fails_fast(
        &outcome,
        elapsed,
        cut_short,
        "error: statement timeout: a statement ran longer than 1s while locking the model rows \
         this apply may remove",
    );
    assert!(
        outcome.err.contains("--statement-timeout"),
        "says what to raise: {}",
        outcome.err
    );
    if let Some(named) = holder_named(db, &session) {
        assert!(outcome.err.contains(&named), "{named}: {}", outcome.err);
    }
    holder.release_row_lock();
    assert_eq!(snapshot(db), before, "nothing written");
    // It bounds the wait for the deploy lock as well.
    holder.hold_deploy_lock();
    let (outcome, elapsed, cut_short) = bounded(|| cli(db, &args), || holder.release_deploy_lock());
    assert_fails_fast(
        &outcome,
        elapsed,
        cut_short,
        "error: statement timeout: a statement ran longer than 1s while waiting for the deploy \
         lock; held by ",
    );
    if let Some(named) = holder_named(db, &session) {
        assert!(outcome.err.contains(&named), "{named}: {}", outcome.err);
    }
    holder.release_deploy_lock();
    assert_eq!(snapshot(db), before, "nothing written");
}

/// (d) `--lock-timeout 0` waits for as long as the deploy lock is held: the
/// holder lets go after about a second and the apply goes through.
fn lock_timeout_zero_waits_for_the_holder(db: &TestDb) {
    prepared(db);
    let mut holder = Holder::open(db);
    holder.hold_deploy_lock();
    let outcome = std::thread::scope(|scope| {
        let started = Instant::now();
        let applying = scope.spawn(|| cli(db, &["--lock-timeout", "0"]));
        std::thread::sleep(Duration::from_secs(1));
        let waited = !applying.is_finished();
        holder.release_deploy_lock();
        let outcome = applying.join().unwrap();
        assert!(
            waited,
            "the apply did not wait for the lock: {} {}",
            outcome.out, outcome.err
        );
        assert!(started.elapsed() < BOUND);
        outcome
    });
    assert_eq!(outcome.code, exit::OK, "{}", outcome.err);
    assert!(outcome.out.contains("Applied (run"), "{}", outcome.out);
    assert_eq!(global_id(db, "openai/gpt-4-turbo"), None);
}

llm_lifecycle_test_support::backend_tests!(
    a_held_deploy_lock_fails_the_apply_fast,
    a_held_row_lock_fails_the_apply_fast_and_changes_nothing,
    a_statement_timeout_cancels_a_stuck_statement,
    lock_timeout_zero_waits_for_the_holder,
);

/// A duration clap cannot read is a usage error naming the accepted forms.
#[test]
fn a_bad_duration_is_a_usage_error_naming_the_accepted_forms() {
    let db = TestDb::sqlite();
    for (flag, value, zero) in [
        ("--lock-timeout", "5", "0 waits forever"),
        ("--lock-timeout", "1.5s", "0 waits forever"),
        ("--statement-timeout", "soon", "0 for no limit"),
    ] {
        let outcome = cli(&db, &[flag, value, "apply"]);
        assert_eq!(outcome.code, exit::USAGE, "{flag} {value}: {}", outcome.err);
        assert!(
            outcome.err.contains(flag)
                && outcome.err.contains(&format!(
                    "expected a duration such as 500ms, 5s, 2m or 1h, or 0 ({zero})"
                )),
            "{}",
            outcome.err
        );
    }
    assert!(
        !db.dir().unwrap().join("test.db").exists(),
        "refused before connecting"
    );
}
