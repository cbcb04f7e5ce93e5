//! Two `apply-models` processes at once: they serialize on the lock and the
//! second finds nothing to do. The processes are this test binary re-run on its
//! ignored `child_apply` entry point, which calls the CLI like the binary does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use llm_lifecycle_test_support::TestDb;

const URL_VAR: &str = "LLM_LIFECYCLE_CHILD_URL";
const START_VAR: &str = "LLM_LIFECYCLE_CHILD_START_MS";

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// Child-process entry point (run by `two_processes_serialize`, not on its own):
/// waits for the agreed start time, then runs `apply-models apply`.
#[test]
#[ignore = "entry point of the child processes of two_processes_serialize"]
fn child_apply() {
    let url = std::env::var(URL_VAR).expect("started by two_processes_serialize");
    let start: u128 = std::env::var(START_VAR).unwrap().parse().unwrap();
    while now_ms() < start {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = llm_lifecycle_runtime::cli::run(
        &full_catalog(),
        ["apply-models", "--database-url", &url, "-q", "apply"],
        &mut out,
        &mut err,
    );
    println!("CHILD-OUTPUT {}", String::from_utf8(out).unwrap().trim());
    assert_eq!(code, 0, "{}", String::from_utf8(err).unwrap());
}

fn two_processes_serialize_and_the_second_finds_nothing_to_do(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_references(db);
    let start = (now_ms() + 700).to_string();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--ignored",
                    "--exact",
                    "child_apply",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(URL_VAR, db.url())
                .env(START_VAR, &start)
                .output()
        })
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let outputs: Vec<String> = children
        .iter()
        .map(|child| {
            let stdout = String::from_utf8_lossy(&child.stdout).into_owned();
            assert!(
                child.status.success(),
                "{stdout}\n{}",
                String::from_utf8_lossy(&child.stderr)
            );
            stdout
        })
        .collect();
    let applied = outputs
        .iter()
        .filter(|o| o.contains("CHILD-OUTPUT") && o.contains("Applied (run"))
        .count();
    let nothing = outputs
        .iter()
        .filter(|o| o.contains("CHILD-OUTPUT Nothing to do"))
        .count();
    assert_eq!((applied, nothing), (1, 1), "{outputs:#?}");
    assert_eq!(
        count(db, "llm_lifecycle_events WHERE action = 'deleted'"),
        3
    );
}

llm_lifecycle_test_support::backend_tests!(
    concurrency: two_processes_serialize_and_the_second_finds_nothing_to_do
);
