//! PostgreSQL through PgBouncer (issue 15 item 4): in transaction pooling a
//! server connection goes to another client after every transaction, so
//! nothing of a session may outlive one — no named prepared statement (the
//! second `apply-models` process used to fail with `prepared statement "s0"
//! already exists`), no `SET SESSION` (a `plan` left its server connection
//! read-only for the next `apply`), no session advisory lock. Each test starts
//! a PgBouncer of its own in front of the test server with one or two server
//! connections, so they are handed from client to client. Always run (not
//! only under `LLM_LIFECYCLE_TEST_PGBOUNCER`); under `CI=true` a missing
//! `pgbouncer` fails them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

use crate::common::*;
use llm_lifecycle_runtime::cli::{exit, run};
use llm_lifecycle_test_support::TestDb;
use llm_lifecycle_test_support::pgbouncer::{PgBouncer, PoolMode};

const URL_VAR: &str = "LLM_LIFECYCLE_POOLER_CHILD_URL";

struct Outcome {
    code: u8,
    out: String,
    err: String,
}

/// `apply-models --database-url URL ARGS` in this process.
fn cli(url: &str, args: &[&str]) -> Outcome {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["apply-models", "--database-url", url];
    argv.extend_from_slice(args);
    let code = run(&full_catalog(), argv, &mut out, &mut err);
    Outcome {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

fn ok(outcome: &Outcome, what: &str) {
    assert_eq!(
        outcome.code,
        exit::OK,
        "{what}:\nstdout: {}\nstderr: {}",
        outcome.out,
        outcome.err
    );
}

/// Child-process entry point (run by the tests below): `apply-models apply`
/// through the URL in [`URL_VAR`], its output on stdout.
#[test]
#[ignore = "entry point of the child processes of the pooler tests"]
fn child_apply_through_the_pooler() {
    let url = std::env::var(URL_VAR).expect("started by a pooler test");
    let outcome = cli(&url, &["apply"]);
    println!("CHILD-OUTPUT {}", outcome.out.trim());
    assert_eq!(outcome.code, exit::OK, "{}", outcome.err);
}

/// A new process (statement names start again at `s0`) applying through `url`.
fn child(url: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--ignored",
            "--exact",
            &test_name(module_path!(), "child_apply_through_the_pooler"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(URL_VAR, url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The child's `apply` output, after checking it succeeded.
fn child_output(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let start = stdout.find("CHILD-OUTPUT ").expect("the child's output") + 13;
    stdout[start..].to_owned()
}

/// The database behind a PgBouncer in `mode` with `pool_size` server
/// connections: migrated through it, the host tables and their rows made
/// directly. `None` when skipped (outside CI without PostgreSQL or PgBouncer).
fn through(mode: PoolMode, pool_size: u32) -> Option<(TestDb, PgBouncer, String)> {
    let db = TestDb::postgres()?;
    let bouncer = PgBouncer::start(mode, pool_size)?;
    let url = bouncer.url_for(&db);
    ok(&cli(&url, &["migrate"]), "migrate through PgBouncer");
    host_schema(&db);
    seed_references(&db);
    Some((db, bouncer, url))
}

/// Apply in one process, apply again in another (nothing to do), then plan,
/// status, history, migrate and apply in this one, all over the same single
/// server connection.
fn every_command_works(mode: PoolMode) {
    let Some((db, _bouncer, url)) = through(mode, 1) else {
        return;
    };
    let first = child_output(&child(&url).output().unwrap());
    assert!(first.contains("Applied (run"), "{first}");
    assert!(
        first.contains("→ repoint 2 rows in assistants.llm_provider_model_id"),
        "{first}"
    );
    let second = child_output(&child(&url).output().unwrap());
    assert!(second.starts_with("Nothing to do"), "{second}");

    let plan = cli(&url, &["plan"]);
    ok(&plan, "plan");
    assert!(plan.out.contains("Nothing to do"), "{}", plan.out);
    let json = cli(&url, &["plan", "--format", "json"]);
    ok(&json, "plan --format json");
    let status = cli(&url, &["status"]);
    ok(&status, "status");
    assert!(status.out.contains("drift:     none"), "{}", status.out);
    let history = cli(&url, &["history"]);
    ok(&history, "history");
    assert!(
        history.out.contains("#2   succeeded") && history.out.contains("#1   succeeded"),
        "{}",
        history.out
    );
    ok(&cli(&url, &["migrate"]), "migrate again");
    // The read-only commands left their server connection writable.
    let again = cli(&url, &["apply"]);
    ok(&again, "apply after the read-only commands");
    assert!(again.out.starts_with("Nothing to do"), "{}", again.out);
    let runs = db.string("SELECT CAST(COUNT(*) AS TEXT) AS v FROM llm_lifecycle_runs");
    assert_eq!(runs, "3", "three applies recorded");
}

#[test]
fn transaction_pooling_runs_every_command_and_the_second_apply_finds_nothing_to_do() {
    every_command_works(PoolMode::Transaction);
}

#[test]
fn session_pooling_runs_every_command_and_the_second_apply_finds_nothing_to_do() {
    every_command_works(PoolMode::Session);
}

/// Two processes applying at once through two server connections: they
/// serialize on the transaction-scoped deploy lock and exactly one applies.
#[test]
fn concurrent_applies_through_transaction_pooling_serialize() {
    let Some((db, _bouncer, url)) = through(PoolMode::Transaction, 2) else {
        return;
    };
    let children: Vec<_> = (0..2).map(|_| child(&url).spawn().unwrap()).collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|child| child_output(&child.wait_with_output().unwrap()))
        .collect();
    let applied = outputs
        .iter()
        .filter(|out| out.contains("Applied (run"))
        .count();
    let idle = outputs
        .iter()
        .filter(|out| out.starts_with("Nothing to do"))
        .count();
    assert_eq!((applied, idle), (1, 1), "{outputs:#?}");
    // And a third, in this process, finds nothing to do either.
    let third = cli(&url, &["apply"]);
    ok(&third, "a third apply");
    assert!(third.out.starts_with("Nothing to do"), "{}", third.out);
    assert_eq!(
        db.string("SELECT CAST(COUNT(*) AS TEXT) AS v FROM llm_lifecycle_runs"),
        "3"
    );
}
