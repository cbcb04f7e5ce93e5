//! Failures roll everything back and are recorded; concurrent applies serialize.
//! Every scenario runs on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Barrier};

use crate::common::*;
use llm_lifecycle_runtime::{ApplyOptions, Error, FailPoint};
use llm_lifecycle_test_support::{Backend, TestDb};

fn prepared(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_references(db);
}

fn assert_rolled_back_at(db: &TestDb, point: FailPoint) {
    prepared(db);
    let options = ApplyOptions {
        fail_at: Some(point),
        ..options()
    };
    let fail = || {
        let result = llm_lifecycle_runtime::apply(&mut connect(db), &full_catalog(), &options);
        assert!(
            matches!(result, Err(Error::Injected(p)) if p == point),
            "{result:?}"
        );
    };
    // With batches (LLM_LIFECYCLE_TEST_BATCH_SIZE), those of a first failed
    // run stay committed (the clears: their target needs no new row); the
    // final transaction of a second one, which has nothing left to batch,
    // must then leave everything as it found it.
    let runs = if options.batch_size.is_some() {
        fail();
        2
    } else {
        1
    };
    let before = snapshot(db);
    fail();
    assert_eq!(snapshot(db), before, "nothing survives a failed apply");
    assert_eq!(
        count(db, "llm_lifecycle_runs WHERE status = 'failed'"),
        runs
    );
    assert_eq!(
        count(db, "llm_lifecycle_runs"),
        runs,
        "only the failed runs' own ledger rows"
    );
    let error = db.string("SELECT error AS v FROM llm_lifecycle_runs ORDER BY id DESC LIMIT 1");
    assert!(error.contains("injected failure"), "{error}");
    // And the next apply converges as if nothing happened.
    let report = apply(db, &full_catalog()).unwrap();
    assert_eq!(report.counts.deleted, 3);
}

fn an_injected_failure_after_repointing_leaves_the_database_unchanged(db: &TestDb) {
    assert_rolled_back_at(db, FailPoint::AfterRepoint);
}

fn an_injected_failure_just_before_commit_leaves_the_database_unchanged(db: &TestDb) {
    assert_rolled_back_at(db, FailPoint::BeforeCommit);
}

fn a_failure_on_a_fresh_database_rolls_back_the_schema_too(db: &TestDb) {
    let options = ApplyOptions {
        fail_at: Some(FailPoint::AfterModelWrites),
        ..options()
    };
    let result = llm_lifecycle_runtime::apply(&mut connect(db), &catalog(MODELS), &options);
    assert!(result.is_err());
    let plan = plan(db, &catalog(MODELS));
    if db.backend() == Backend::Mysql {
        // MySQL commits DDL on its own: the migrations ran before the apply
        // transaction, under the lock, and stay; everything else rolled back.
        assert!(
            plan.schema_present,
            "the migrations ran before the transaction"
        );
        assert_eq!(plan.creates.len(), 3, "no model row survives: {plan:?}");
        assert_eq!(
            db.string("SELECT CAST(COUNT(*) AS CHAR) AS v FROM llm_provider_models"),
            "0"
        );
        assert_eq!(
            db.string("SELECT status AS v FROM llm_lifecycle_runs ORDER BY id DESC LIMIT 1"),
            "failed"
        );
    } else {
        assert!(
            !plan.schema_present,
            "the migrations ran in the failed transaction and were rolled back"
        );
    }
}

fn two_concurrent_applies_serialize_and_the_second_finds_nothing_to_do(db: &TestDb) {
    prepared(db);
    let catalog = Arc::new(full_catalog());
    let barrier = Arc::new(Barrier::new(2));
    let url = db.url().to_owned();
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let (catalog, barrier, url) = (Arc::clone(&catalog), Arc::clone(&barrier), url.clone());
            std::thread::spawn(move || {
                let mut conn = llm_lifecycle_runtime::Database::connect(
                    &llm_lifecycle_runtime::DatabaseUrl::parse(&url).unwrap(),
                )
                .unwrap();
                let options = ApplyOptions {
                    environment: format!("worker-{i}"),
                    ..options()
                };
                barrier.wait();
                llm_lifecycle_runtime::apply(&mut conn, &catalog, &options)
            })
        })
        .collect();
    let reports: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    let noops = reports.iter().filter(|r| r.plan.is_noop()).count();
    if test_batch_size().is_none() {
        assert_eq!(noops, 1, "exactly one apply did the work: {reports:#?}");
    } else {
        // Batches of the two may interleave (each holds the lock for one
        // batch); the final transactions still serialize: one deletes.
        assert!(noops <= 1, "{reports:#?}");
        assert_eq!(
            reports.iter().map(|r| r.counts.deleted).sum::<i64>(),
            3,
            "{reports:#?}"
        );
    }
    assert_eq!(
        count(db, "llm_lifecycle_events WHERE action = 'deleted'"),
        3,
        "deleted once"
    );
    assert_eq!(
        count(db, "llm_lifecycle_runs WHERE status = 'succeeded'"),
        2
    );
}

fn concurrent_first_applies_on_an_empty_database_migrate_once(db: &TestDb) {
    let catalog = Arc::new(catalog(MODELS));
    let barrier = Arc::new(Barrier::new(3));
    let url = db.url().to_owned();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let (catalog, barrier, url) = (Arc::clone(&catalog), Arc::clone(&barrier), url.clone());
            std::thread::spawn(move || {
                let mut conn = llm_lifecycle_runtime::Database::connect(
                    &llm_lifecycle_runtime::DatabaseUrl::parse(&url).unwrap(),
                )
                .unwrap();
                barrier.wait();
                llm_lifecycle_runtime::apply(&mut conn, &catalog, &options())
            })
        })
        .collect();
    let reports: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert_eq!(
        reports.iter().filter(|r| !r.migrations.is_empty()).count(),
        1
    );
    assert_eq!(reports.iter().filter(|r| !r.plan.is_noop()).count(), 1);
    assert_eq!(global_models(db).len(), 3);
}

llm_lifecycle_test_support::backend_tests!(
    an_injected_failure_after_repointing_leaves_the_database_unchanged,
    an_injected_failure_just_before_commit_leaves_the_database_unchanged,
    a_failure_on_a_fresh_database_rolls_back_the_schema_too,
    two_concurrent_applies_serialize_and_the_second_finds_nothing_to_do,
    concurrent_first_applies_on_an_empty_database_migrate_once,
);
