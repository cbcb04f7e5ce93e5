//! Two `apply-models` processes at once: they serialize on the lock and the
//! second finds nothing to do. The processes are this test binary re-run on its
//! ignored `child_apply` entry point, which calls the CLI like the binary does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::*;
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

/// Child-process entry point (run by `no_ansi_escapes_when_stderr_is_not_a_terminal`):
/// `apply-models -vvv plan`, its logs on the process's real stderr.
#[test]
#[ignore = "entry point of the child process of no_ansi_escapes_when_stderr_is_not_a_terminal"]
fn child_verbose_plan() {
    let url =
        std::env::var(URL_VAR).expect("started by no_ansi_escapes_when_stderr_is_not_a_terminal");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = llm_lifecycle_runtime::cli::run(
        &full_catalog(),
        ["apply-models", "--database-url", &url, "-vvv", "plan"],
        &mut out,
        &mut err,
    );
    eprint!("{}", String::from_utf8(err).unwrap());
    print!("{}", String::from_utf8(out).unwrap());
    assert_eq!(code, 0);
}

#[test]
fn no_ansi_escapes_when_stderr_is_not_a_terminal() {
    let db = TestDb::sqlite();
    migrate(&db);
    host_schema(&db);
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            &test_name(module_path!(), "child_verbose_plan"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(URL_VAR, db.url())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "{stdout}\n{stderr}");
    // -vvv logs at trace level: there is something to colour, and it is plain.
    assert!(stderr.contains("connected"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape codes on a pipe: {stderr:?}"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "escape codes on a pipe: {stdout:?}"
    );
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
                    &test_name(module_path!(), "child_apply"),
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
