//! The notices of `apply --batch-size` on PostgreSQL and MySQL: the
//! resources they are about are gathered one key range at a time, then
//! folded into one notice per team a few teams at a time, each step a short
//! transaction of its own, before the first batch. The notices, their
//! counts, texts and links, and the journal's `notified` rows are those one
//! transaction writes; a run stopped between two steps keeps what it wrote
//! and the next apply tells the other teams, each once. (SQLite writes them
//! with the ledger row, in one transaction: the same end state.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::batches::{apply_with, batched, notices, prepared, twin};
use crate::common::*;
use crate::notifications_support::{self, MODELS, RECIPIENTS, full};
use llm_lifecycle_runtime::{ApplyOptions, Between, Error, FailPoint};
use llm_lifecycle_test_support::{Backend, TestDb};
use std::sync::{Arc, Mutex};

/// The journal's `notified` rows: model, slug and teams told.
fn notified(db: &TestDb) -> Vec<Option<String>> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_lifecycle_events WHERE action = 'notified' \
         ORDER BY provider, name, detail",
        db.concat(&[
            "provider",
            "'/'",
            "name",
            "':'",
            "detail",
            "':'",
            &db.text_cast("row_count")
        ])
    ))
}

/// The notices' links, by team and model.
fn links(db: &TestDb) -> Vec<Option<String>> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_model_notifications ORDER BY team_id, slug, model",
        db.text_cast("links")
    ))
}

fn the_teams_are_told_in_steps_as_one_transaction_tells_them(db: &TestDb) {
    prepared(db, true);
    let single = twin(db);
    prepared(&single, true);
    let report = apply_with(db, &batched()).unwrap();
    let reference = apply(&single, &full_catalog()).unwrap();
    assert!(report.batches > 0);
    assert_eq!(notices(db), notices(&single));
    assert!(notices(db).len() > 2, "{:?}", notices(db));
    assert_eq!(links(db), links(&single));
    assert_eq!(notified(db), notified(&single));
    assert_eq!(report.counts.notified, reference.counts.notified);
    // The report lists the same teams, with the same counts and links.
    let teams = |report: &llm_lifecycle_runtime::ApplyReport| {
        let mut affected: Vec<String> = report
            .plan
            .affected
            .iter()
            .map(|model| format!("{} {:?} +{}", model.model, model.teams, model.more_teams))
            .collect();
        affected.sort();
        affected
    };
    assert_eq!(teams(&report), teams(&reference));
    assert_eq!(
        count(db, "llm_lifecycle_affected"),
        0,
        "nothing stays gathered"
    );
}

fn a_run_stopped_between_its_notices_keeps_them_and_the_next_tells_the_rest(db: &TestDb) {
    prepared(db, true);
    let single = twin(db);
    prepared(&single, true);
    apply(&single, &full_catalog()).unwrap();
    let all = notices(&single);
    let options = ApplyOptions {
        fail_at: Some(FailPoint::BetweenFolds),
        ..batched()
    };
    let stopped = apply_with(db, &options);
    if db.backend() == Backend::Sqlite {
        // One transaction writes them all: there is no step between.
        stopped.unwrap();
        assert_eq!(notices(db), all);
        return;
    }
    assert!(
        matches!(stopped, Err(Error::Injected(FailPoint::BetweenFolds))),
        "{stopped:?}"
    );
    // The first step's teams are told; the others not yet; nothing moved.
    let told = notices(db);
    assert!(!told.is_empty() && told.len() < all.len(), "{told:?}");
    assert!(told.iter().all(|notice| all.contains(notice)), "{told:?}");
    assert!(
        count(db, "llm_lifecycle_affected") > 0,
        "the other teams' resources"
    );
    assert_eq!(count(db, "assistants WHERE llm_provider_model_id = 110"), 0);
    // The next apply tells the rest, each team once, and forgets the rows
    // the stopped one gathered.
    apply_with(db, &batched()).unwrap();
    assert_eq!(notices(db), all);
    assert_eq!(count(db, "llm_lifecycle_affected"), 0);
    assert_eq!(
        count(db, "llm_provider_models WHERE id IN (101, 102, 103)"),
        0,
        "the deleted models are gone"
    );
}

/// The notices that reached nobody (`team:model`), and every recipient row.
fn reached(db: &TestDb) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let awaiting = db.strings(&format!(
        "SELECT {} AS v FROM llm_model_notifications WHERE awaiting_recipients \
         ORDER BY team_id, model",
        db.concat(&[&db.text_cast("team_id"), "':'", "model"])
    ));
    let recipients = notifications_support::recipient_rows(db);
    (awaiting, recipients)
}

fn each_step_gives_its_notices_their_recipients_as_one_transaction_does(db: &TestDb) {
    let setup = |db: &TestDb| {
        notifications_support::prepared(db);
        // The replacement exists, so references to gpt-4 move in batches.
        seed_model(db, 110, None, "openai/gpt-4.1", 1_000_000, false);
        // Team 1, whose notices come first in the first step, has nobody to tell.
        db.execute("DELETE FROM memberships WHERE team_id = 1");
    };
    setup(db);
    let single = twin(db);
    setup(&single);
    let catalog = full(MODELS, RECIPIENTS);
    let report = llm_lifecycle_runtime::apply(&mut connect(db), &catalog, &batched()).unwrap();
    assert!(report.batches > 0, "something moved in batches");
    apply(&single, &catalog).unwrap();
    let (awaiting, recipients) = reached(db);
    assert!(
        !awaiting.is_empty() && !recipients.is_empty(),
        "{awaiting:?} {recipients:?}"
    );
    assert_eq!((awaiting, recipients), reached(&single));
}

/// The rows another apply gathered while this one folds (it waits for the
/// deploy lock between this run's steps, never inside one).
fn another_runs_gathered_rows(db: &TestDb) -> Vec<Option<String>> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_lifecycle_affected ORDER BY run_id, team_id",
        db.concat(&[
            &db.text_cast("run_id"),
            "':'",
            &db.text_cast("team_id"),
            "':'",
            "name"
        ])
    ))
}

fn rows_another_run_gathers_meanwhile_are_left_to_it(db: &TestDb) {
    prepared(db, true);
    let single = twin(db);
    prepared(&single, true);
    apply(&single, &full_catalog()).unwrap();
    let folds: Arc<Mutex<u64>> = Arc::default();
    let hook = {
        let (handle, folds) = (db.handle(), Arc::clone(&folds));
        Between(Arc::new(move |n| {
            *folds.lock().unwrap() = n;
            if n == 1 {
                // Another apply's gathering, between this run's first fold
                // and its next step.
                handle.execute(
                    "INSERT INTO llm_lifecycle_affected \
                     (run_id, team_id, idx, kind_ord, tbl, resource_id, name, kind, url) \
                     VALUES (999999, 7, 0, 0, 'assistants', 70, 'theirs', 'assistant', NULL)",
                );
            }
        }))
    };
    let options = ApplyOptions {
        between_folds: Some(hook),
        ..batched()
    };
    apply_with(db, &options).unwrap();
    assert_eq!(notices(db), notices(&single));
    if db.backend() == Backend::Sqlite {
        // One transaction writes the notices: there is no fold.
        assert_eq!(*folds.lock().unwrap(), 0);
        return;
    }
    assert!(*folds.lock().unwrap() >= 1);
    // This run's rows are gone, the other run's stay for it to fold.
    assert_eq!(
        another_runs_gathered_rows(db),
        vec![Some("999999:7:theirs".to_owned())]
    );
}

llm_lifecycle_test_support::backend_tests!(
    each_step_gives_its_notices_their_recipients_as_one_transaction_does,
    the_teams_are_told_in_steps_as_one_transaction_tells_them,
    a_run_stopped_between_its_notices_keeps_them_and_the_next_tells_the_rest,
    rows_another_run_gathers_meanwhile_are_left_to_it,
);
