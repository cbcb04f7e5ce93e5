//! What the platform writes while `apply --batch-size` runs: the tables the
//! batches walk carry triggers that log each written row (PostgreSQL,
//! MySQL), so the final transaction moves those rows without reading every
//! table again; the apply's own writes are not logged, and the triggers and
//! the log are gone after the apply, or after the next one when a process
//! was killed between batches. Each end state is the one a single
//! transaction gives the same data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use crate::batches::{apply_with, batched, notices, prepared, state, twin};
use crate::common::*;
use llm_lifecycle_runtime::{ApplyOptions, Between};
use llm_lifecycle_test_support::{Backend, Handle, TestDb};

/// The triggers an apply put that are there now.
fn triggers(db: &TestDb) -> i64 {
    count(
        db,
        match db.backend() {
            Backend::Postgres => "pg_trigger WHERE tgname LIKE 'llm\\_lifecycle\\_written\\_%'",
            Backend::Mysql => {
                "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() \
                 AND TRIGGER_NAME LIKE 'llm\\_lifecycle\\_written\\_%'"
            }
            Backend::Sqlite => "sqlite_master WHERE type = 'trigger'",
        },
    )
}

/// Logged rows, markers left out.
fn logged(handle: &Handle) -> i64 {
    let n = handle.backend().text_cast("COUNT(*)");
    handle
        .string(&format!(
            "SELECT {n} AS v FROM llm_lifecycle_written WHERE tbl <> ''"
        ))
        .parse()
        .unwrap()
}

/// What a late writer of the platform does after batch `n`: a new
/// assistant on a deleted model, its key (`-n`) below every walked one
/// (only the final transaction can find it), and pipeline node 1 back on
/// that model (a key the node walk passes first).
fn late_write(handle: &Handle, n: u64) {
    handle.execute(&format!(
        "INSERT INTO assistants (id, team_id, name, archived, llm_provider_model_id) \
         VALUES (-{n}, 1, 'Late {n}', FALSE, 101)"
    ));
    handle.execute(&format!(
        "UPDATE pipeline_nodes SET params = '{{\"llm_provider_model_id\": 101, \"late\": {n}}}' \
         WHERE id = 1"
    ));
}

/// `late_write` for batches 1 to `batches` on a database applied in one
/// transaction (the same data, the writes before the apply).
fn late_writes_then_apply(db: &TestDb, batches: u64) {
    for n in 1..=batches {
        late_write(&db.handle(), n);
    }
    apply(db, &full_catalog()).unwrap();
}

/// The notices of `db`'s data applied in one transaction, without late
/// writes: a batched run counts its notices before the first batch, and a
/// team told then is not told again of the rows it wrote later.
fn notices_before_late_writes(db: &TestDb) -> Vec<Option<String>> {
    let plain = twin(db);
    prepared(&plain, true);
    apply(&plain, &full_catalog()).unwrap();
    notices(&plain)
}

/// The tables the batches walk: assistants, pipeline_nodes, evaluators and
/// experiments.
const WALKED: i64 = 4;

fn rows_written_while_the_batches_run_move_in_the_final_transaction(db: &TestDb) {
    prepared(db, true);
    let single = twin(db);
    prepared(&single, true);
    let handle = db.handle();
    let seen: Arc<Mutex<Vec<i64>>> = Arc::default();
    let hook = {
        let (handle, seen) = (handle.clone(), Arc::clone(&seen));
        Between(Arc::new(move |n| {
            late_write(&handle, n);
            seen.lock().unwrap().push(logged(&handle));
        }))
    };
    let options = ApplyOptions {
        between_batches: Some(hook),
        ..batched()
    };
    let report = apply_with(db, &options).unwrap();
    assert!(report.batches > 3, "{}", report.batches);
    // Each batch's two writes are logged, and nothing the batches moved.
    let expected: Vec<i64> = match db.backend() {
        Backend::Sqlite => vec![0; seen.lock().unwrap().len()],
        _ => (1..=i64::try_from(report.batches).unwrap())
            .map(|n| 2 * n)
            .collect(),
    };
    assert_eq!(*seen.lock().unwrap(), expected);
    late_writes_then_apply(&single, report.batches);
    assert_eq!(state(db), state(&single), "every late row moved");
    assert_eq!(notices(db), notices_before_late_writes(db));
    assert_eq!(
        json_value(db, "pipeline_nodes", 1),
        json_value(&single, "pipeline_nodes", 1)
    );
    assert_eq!(triggers(db), 0, "the triggers are gone");
    assert_eq!(count(db, "llm_lifecycle_written"), 0, "the log is empty");
}

fn a_log_another_apply_removed_is_not_trusted(db: &TestDb) {
    prepared(db, true);
    let single = twin(db);
    prepared(&single, true);
    // After the first batch, a late write, then its log row and the run's
    // marker go (as another apply's removal of the triggers deletes them):
    // the final transaction must read the tables whole to find the row.
    let hook = {
        let handle = db.handle();
        Between(Arc::new(move |n| {
            if n == 1 {
                late_write(&handle, n);
                handle.execute("DELETE FROM llm_lifecycle_written");
            }
        }))
    };
    let options = ApplyOptions {
        between_batches: Some(hook),
        ..batched()
    };
    apply_with(db, &options).unwrap();
    late_writes_then_apply(&single, 1);
    assert_eq!(state(db), state(&single));
    assert_eq!(triggers(db), 0);
}

fn a_process_killed_between_batches_leaves_triggers_the_next_apply_removes(db: &TestDb) {
    prepared(db, true);
    let single = twin(db);
    prepared(&single, true);
    let options = ApplyOptions {
        between_batches: Some(Between(Arc::new(|_| panic!("killed between batches")))),
        ..batched()
    };
    let killed = catch_unwind(AssertUnwindSafe(|| apply_with(db, &options)));
    assert!(killed.is_err(), "the hook ends the run as a kill would");
    let watching = triggers(db);
    match db.backend() {
        // One trigger per walked table, two on MySQL (inserts, updates).
        Backend::Postgres => assert_eq!(watching, WALKED),
        Backend::Mysql => assert_eq!(watching, 2 * WALKED),
        Backend::Sqlite => assert_eq!(watching, 0),
    }
    // The platform goes on writing; the next apply, in one transaction,
    // finishes the job and takes the triggers and the log away.
    late_write(&db.handle(), 1);
    apply(db, &full_catalog()).unwrap();
    late_writes_then_apply(&single, 1);
    assert_eq!(state(db), state(&single));
    assert_eq!(notices(db), notices_before_late_writes(db));
    assert_eq!(triggers(db), 0);
    assert_eq!(count(db, "llm_lifecycle_written"), 0);
}

llm_lifecycle_test_support::backend_tests!(
    rows_written_while_the_batches_run_move_in_the_final_transaction,
    a_log_another_apply_removed_is_not_trusted,
    a_process_killed_between_batches_leaves_triggers_the_next_apply_removes,
);
