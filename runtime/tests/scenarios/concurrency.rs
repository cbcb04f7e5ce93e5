//! Host writes racing an apply, and applies queued behind the deploy lock at
//! every isolation level: each test holds a real second connection open.
//!
//! - A host transaction that references a model being deleted and commits
//!   while the apply runs is never lost or nulled: with a foreign key it is
//!   seen and repointed (it committed before the apply planned) or fails on
//!   the foreign key; without one (JSON, text) a later apply repoints it from
//!   the journal's record of the deleted row.
//! - Under `REPEATABLE READ` and `SERIALIZABLE` defaults, two queued applies
//!   and two queued deliverers behave as under `READ COMMITTED`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use crate::common::{
    apply, catalog, count, global_id, json_value, migrate, plan, seed_model, serial,
};
use diesel::Connection;
use diesel::connection::SimpleConnection;

use diesel::sqlite::SqliteConnection;
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::plan::Reason;
use llm_lifecycle_test_support::{Backend, MysqlConnection, PgConnection, TestDb};

const MODELS: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
]
deleted = [
  { name = "gpt-4-turbo", replacement = "gpt-4.1" },
]
"#;

/// One referencing table per kind: foreign keys that cascade and that null on
/// delete (what loses a racing row), JSON without a foreign key, text.
const REFERENCES: &str = r#"
[[references]]
table = "cascading"
column = "llm_provider_model_id"

[[references]]
table = "nulling"
column = "llm_provider_model_id"

[[references]]
table = "nodes"
column = "params"
kind = "json"
key = "llm_provider_model_id"

[[references]]
table = "texts"
column = "llm"
kind = "text"
"#;

fn race_catalog() -> Catalog {
    catalog(&format!("{MODELS}\n{REFERENCES}"))
}

/// The runtime schema, model 101 (`openai/gpt-4-turbo`, deleted in the
/// catalogue) and the host tables, empty.
fn prepared(db: &TestDb) {
    migrate(db);
    let serial = serial(db);
    let json = match db.backend() {
        Backend::Postgres => "JSONB",
        Backend::Sqlite => "TEXT",
        Backend::Mysql => "JSON",
    };
    db.execute(&format!(
        "CREATE TABLE cascading (id {serial}, llm_provider_model_id BIGINT NOT NULL, \
           FOREIGN KEY (llm_provider_model_id) REFERENCES llm_provider_models (id) ON DELETE CASCADE);
         CREATE TABLE nulling (id {serial}, llm_provider_model_id BIGINT NULL, \
           FOREIGN KEY (llm_provider_model_id) REFERENCES llm_provider_models (id) ON DELETE SET NULL);
         CREATE TABLE nodes (id {serial}, params {json} NOT NULL);
         CREATE TABLE texts (id {serial}, llm TEXT NULL);"
    ));
    seed_model(db, 101, None, "openai/gpt-4-turbo", 128_000, false);
}

/// A host connection of its own, as the platform's application has.
#[allow(clippy::large_enum_variant)]
enum Host {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
    Mysql(MysqlConnection),
}

impl Host {
    fn open(db: &TestDb) -> Self {
        match db.backend() {
            // Straight to the server, also under LLM_LIFECYCLE_TEST_PGBOUNCER:
            // a session lock held through a transaction pooler would go with
            // its server connection to the apply it should block.
            Backend::Postgres => Self::Postgres(PgConnection::establish(&db.direct_url()).unwrap()),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(db.url()).unwrap();
                conn.batch_execute("PRAGMA busy_timeout = 60000; PRAGMA foreign_keys = ON;")
                    .unwrap();
                Self::Sqlite(conn)
            }
            Backend::Mysql => Self::Mysql(MysqlConnection::establish(db.url()).unwrap()),
        }
    }

    fn execute(&mut self, sql: &str) -> diesel::QueryResult<()> {
        match self {
            Self::Postgres(c) => c.batch_execute(sql),
            Self::Sqlite(c) => c.batch_execute(sql),
            Self::Mysql(c) => c.batch_execute(sql),
        }
    }

    /// Opens a transaction that writes (SQLite: takes the write lock now).
    fn begin(&mut self) {
        match self {
            Self::Postgres(c) => c.batch_execute("BEGIN").unwrap(),
            Self::Sqlite(c) => c.batch_execute("BEGIN IMMEDIATE").unwrap(),
            Self::Mysql(c) => c.batch_execute("BEGIN").unwrap(),
        }
    }
}

/// The row each kind's racing insert writes, pointing at model 101.
fn racing_insert(table: &str) -> String {
    match table {
        "cascading" | "nulling" => {
            format!("INSERT INTO {table} (id, llm_provider_model_id) VALUES (1, 101)")
        }
        "nodes" => {
            "INSERT INTO nodes (id, params) VALUES (1, '{\"llm_provider_model_id\": 101, \"t\": 1}')"
                .to_owned()
        }
        "texts" => "INSERT INTO texts (id, llm) VALUES (1, 'openai/gpt-4-turbo')".to_owned(),
        other => panic!("no racing insert for {other}"),
    }
}

/// What row 1 of `table` points at, as the id or text it stores.
fn pointed_at(db: &TestDb, table: &str) -> Option<String> {
    match table {
        "nodes" => Some(json_value(db, "nodes", 1)),
        "texts" => db
            .strings("SELECT llm AS v FROM texts WHERE id = 1")
            .pop()
            .flatten(),
        _ => db
            .strings(&format!(
                "SELECT {} AS v FROM {table} WHERE id = 1",
                db.text_cast("llm_provider_model_id")
            ))
            .pop()
            .flatten(),
    }
}

/// How many sessions of this test's database wait for a lock (PostgreSQL,
/// MySQL). On MySQL a row or table lock, not a user lock: `GET_LOCK` names are
/// server-wide, so an apply may queue behind another test's. InnoDB's row
/// lock waits are not reliably listed in `INNODB_TRX` (MariaDB 10.11 left out
/// the apply's waiting `SELECT … FOR UPDATE` in these tests): a statement
/// running for a second or more on these few rows counts as waiting too.
fn waiting_sessions(db: &TestDb) -> i64 {
    match db.backend() {
        Backend::Postgres => count(
            db,
            "pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        ),
        Backend::Mysql => count(
            db,
            "information_schema.PROCESSLIST p WHERE p.DB = DATABASE() AND p.ID <> CONNECTION_ID() \
             AND p.INFO IS NOT NULL AND p.STATE <> 'User lock' \
             AND (p.STATE LIKE 'Waiting for%lock' OR p.TIME >= 1 OR EXISTS \
               (SELECT 1 FROM information_schema.INNODB_TRX t \
                WHERE t.trx_mysql_thread_id = p.ID AND t.trx_state = 'LOCK WAIT'))",
        ),
        Backend::Sqlite => panic!("no lock waits to count on SQLite"),
    }
}

/// Waits until `n` sessions of this test's database wait for a lock
/// (PostgreSQL, MySQL); `false` after 20 s. Callers release what they hold
/// before asserting, so a failure never leaves a thread blocked forever.
#[must_use]
fn lock_waiters(db: &TestDb, n: i64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting = waiting_sessions(db);
        if waiting >= n {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A host transaction inserts a row referencing model 101 and commits while
/// the apply that deletes 101 runs; after the apply (and, for columns without a
/// foreign key, the next one) the row exists and points at the replacement.
fn a_racing_insert_is_never_lost(db: &TestDb, table: &str) {
    prepared(db);
    let catalog = race_catalog();
    let mut host = Host::open(db);
    host.begin();
    host.execute(&racing_insert(table)).unwrap();
    std::thread::scope(|scope| {
        let applying = scope.spawn(|| apply(db, &catalog));
        let waited = match db.backend() {
            // The apply waits for the row lock the insert's foreign key holds.
            Backend::Postgres | Backend::Mysql if matches!(table, "cascading" | "nulling") => {
                lock_waiters(db, 1)
            }
            // JSON and text: the apply runs through; the insert commits late.
            Backend::Postgres => {
                while !applying.is_finished() {
                    std::thread::sleep(Duration::from_millis(20));
                }
                true
            }
            // JSON and text on InnoDB: the apply's locking reads may wait for
            // the uncommitted row (then repoint it), or it runs through.
            Backend::Mysql => {
                let deadline = Instant::now() + Duration::from_secs(20);
                loop {
                    if applying.is_finished() || waiting_sessions(db) >= 1 {
                        break true;
                    }
                    if Instant::now() > deadline {
                        break false;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            // SQLite: the apply waits for the write lock (BEGIN IMMEDIATE).
            Backend::Sqlite => {
                std::thread::sleep(Duration::from_millis(500));
                true
            }
        };
        host.execute("COMMIT").unwrap();
        applying.join().unwrap().unwrap();
        assert!(
            waited,
            "the apply never waited for the racing insert's row lock"
        );
    });
    let target = global_id(db, "openai/gpt-4.1").unwrap();
    assert_eq!(
        global_id(db, "openai/gpt-4-turbo"),
        None,
        "the model row is deleted"
    );
    let expected = if table == "texts" {
        "openai/gpt-4.1".to_owned()
    } else {
        target.to_string()
    };
    if pointed_at(db, table).as_deref() != Some(&expected) {
        // Committed after the apply's repointing (no foreign key made it wait):
        // the next apply finds it, from the journal for row ids.
        assert!(
            matches!(db.backend(), Backend::Postgres | Backend::Mysql)
                && matches!(table, "nodes" | "texts"),
            "{table}: row 1 points at {:?}",
            pointed_at(db, table)
        );
        assert_eq!(
            pointed_at(db, table).as_deref(),
            Some(if table == "texts" {
                "openai/gpt-4-turbo"
            } else {
                "101"
            })
        );
        let late = plan(db, &catalog);
        assert_eq!(late.repointed_rows(), 1, "{late:?}");
        if table == "nodes" {
            assert_eq!(late.reference_updates[0].reason, Reason::Stale);
            assert!(
                llm_lifecycle_runtime::plan::render::text(&late)
                    .contains("openai/gpt-4-turbo (row 101, written after an earlier run removed it) → openai/gpt-4.1"),
                "{}",
                llm_lifecycle_runtime::plan::render::text(&late)
            );
        }
        let report = apply(db, &catalog).unwrap();
        assert_eq!(report.counts.repointed_rows, 1);
    }
    assert_eq!(count(db, table), 1, "{table}: the racing row still exists");
    assert_eq!(pointed_at(db, table).as_deref(), Some(expected.as_str()));
    if table == "nodes" {
        let params = db.string(&format!(
            "SELECT {} AS v FROM nodes WHERE id = 1",
            db.text_cast("params")
        ));
        assert!(
            params.replace(' ', "").contains("\"t\":1"),
            "other keys kept: {params}"
        );
    }
    assert!(plan(db, &catalog).is_noop(), "then nothing is left to do");
}

fn a_racing_insert_into_a_cascading_foreign_key_is_repointed(db: &TestDb) {
    a_racing_insert_is_never_lost(db, "cascading");
}

fn a_racing_insert_into_a_set_null_foreign_key_is_repointed(db: &TestDb) {
    a_racing_insert_is_never_lost(db, "nulling");
}

fn a_racing_json_reference_is_repointed_by_the_next_apply(db: &TestDb) {
    a_racing_insert_is_never_lost(db, "nodes");
}

fn a_racing_text_reference_is_repointed_by_the_next_apply(db: &TestDb) {
    a_racing_insert_is_never_lost(db, "texts");
}

/// PostgreSQL and MySQL: an insert that starts while the apply holds the row
/// locks waits for its COMMIT and then fails on the foreign key: the platform
/// sees an error, nothing is silently lost.
fn an_insert_during_the_apply_fails_on_the_foreign_key_instead_of_vanishing(db: &TestDb) {
    let (lock, unlock) = match db.backend() {
        // SQLite: BEGIN IMMEDIATE keeps every writer out (the test above).
        Backend::Sqlite => return,
        Backend::Postgres => ("LOCK TABLE texts IN ACCESS EXCLUSIVE MODE", "COMMIT"),
        // COMMIT does not release what LOCK TABLES takes (readers wait for it).
        Backend::Mysql => ("LOCK TABLES texts WRITE", "UNLOCK TABLES"),
    };
    prepared(db);
    let catalog = race_catalog();
    // Holds the apply in its plan (it reads `texts`) after it locked row 101.
    let mut blocker = Host::open(db);
    blocker.begin();
    blocker.execute(lock).unwrap();
    std::thread::scope(|scope| {
        let applying = scope.spawn(|| apply(db, &catalog));
        let apply_waits = lock_waiters(db, 1);
        let inserting = scope.spawn(|| {
            let mut host = Host::open(db);
            host.execute(&racing_insert("cascading"))
        });
        let insert_waits = lock_waiters(db, 2);
        blocker.execute(unlock).unwrap();
        applying.join().unwrap().unwrap();
        let inserted = inserting.join().unwrap();
        assert!(
            apply_waits && insert_waits,
            "the insert never waited for the apply's row lock"
        );
        let refused = inserted.unwrap_err();
        assert!(
            refused.to_string().contains("foreign key"),
            "the late insert fails on the foreign key: {refused}"
        );
    });
    assert_eq!(global_id(db, "openai/gpt-4-turbo"), None);
    assert_eq!(
        count(db, "cascading"),
        0,
        "the insert failed loudly, it was not cascaded away"
    );
}

/// Sets this test database's default isolation level (new connections get it).
fn default_isolation(db: &TestDb, level: &str) {
    db.execute(&format!(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation = %L', \
         current_database(), '{level}'); END $$"
    ));
}

/// Two applies queued behind the deploy lock: one does the work, the other
/// finds nothing to do; neither fails, whatever the default isolation level.
fn queued_applies_agree_at_every_isolation_level(db: &TestDb) {
    if db.backend() != Backend::Postgres {
        // SQLite transactions are always serializable and lock the file. MySQL
        // has no per-database default to set: every MySQL scenario runs at the
        // server's (REPEATABLE READ unless configured otherwise).
        return;
    }
    for level in ["repeatable read", "serializable"] {
        let fresh = TestDb::postgres().unwrap();
        migrate(&fresh);
        default_isolation(&fresh, level);
        seed_model(&fresh, 101, None, "openai/gpt-4-turbo", 128_000, false);
        fresh.execute(
            "CREATE TABLE texts (id BIGSERIAL PRIMARY KEY, llm TEXT NULL); \
                       INSERT INTO texts (llm) VALUES ('openai/gpt-4-turbo')",
        );
        let catalog = catalog(&format!(
            "{MODELS}\n[[references]]\ntable = \"texts\"\ncolumn = \"llm\"\nkind = \"text\"\n"
        ));
        // Both applies open their transactions while the lock is held elsewhere.
        let mut holder = Host::open(&fresh);
        holder
            .execute(&format!(
                "SELECT pg_advisory_lock({})",
                llm_lifecycle_runtime::ADVISORY_LOCK_KEY
            ))
            .unwrap();
        let reports = std::thread::scope(|scope| {
            let applies: Vec<_> = (0..2)
                .map(|_| scope.spawn(|| apply(&fresh, &catalog)))
                .collect();
            let queued = lock_waiters(&fresh, 2);
            holder
                .execute(&format!(
                    "SELECT pg_advisory_unlock({})",
                    llm_lifecycle_runtime::ADVISORY_LOCK_KEY
                ))
                .unwrap();
            let reports = applies
                .into_iter()
                .map(|a| a.join().unwrap())
                .collect::<Vec<_>>();
            assert!(queued, "{level}: both applies queued behind the lock");
            reports
        });
        let mut noops = 0;
        for report in reports {
            let report = report.unwrap_or_else(|e| panic!("{level}: a queued apply failed: {e}"));
            if report.plan.is_noop() {
                noops += 1;
            }
        }
        assert_eq!(
            noops, 1,
            "{level}: one apply did the work, the other found nothing"
        );
        assert_eq!(
            count(&fresh, "llm_lifecycle_runs WHERE status <> 'succeeded'"),
            0,
            "{level}"
        );
        assert_eq!(
            count(
                &fresh,
                "llm_provider_models WHERE provider = 'openai' AND name = 'gpt-4.1'"
            ),
            1
        );
        assert_eq!(count(&fresh, "texts WHERE llm = 'openai/gpt-4.1'"), 1);
    }
}

llm_lifecycle_test_support::backend_tests!(
    a_racing_insert_into_a_cascading_foreign_key_is_repointed,
    a_racing_insert_into_a_set_null_foreign_key_is_repointed,
    a_racing_json_reference_is_repointed_by_the_next_apply,
    a_racing_text_reference_is_repointed_by_the_next_apply,
    an_insert_during_the_apply_fails_on_the_foreign_key_instead_of_vanishing,
    queued_applies_agree_at_every_isolation_level,
);
