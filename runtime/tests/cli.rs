//! The `apply-models` command line through `cli::run`: output, formats, exit
//! codes, and one clear line for a bad URL, an unreachable server and a
//! read-only database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::cli::{exit, run};
use llm_lifecycle_test_support::{Backend, TestDb};

struct Outcome {
    code: u8,
    out: String,
    err: String,
}

fn cli(catalog: &Catalog, args: &[&str]) -> Outcome {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["apply-models"];
    argv.extend_from_slice(args);
    let code = run(catalog, argv, &mut out, &mut err);
    Outcome {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

fn assert_one_clear_line(outcome: &Outcome, expected: &str) {
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
    assert!(outcome.err.starts_with("error: "), "{:?}", outcome.err);
    assert!(
        outcome.err.contains(expected),
        "{:?} should mention {expected:?}",
        outcome.err
    );
    assert!(
        !outcome.err.contains("hunter2"),
        "password leaked: {:?}",
        outcome.err
    );
}

#[test]
fn a_bad_url_is_one_clear_line_and_exit_1() {
    let outcome = cli(
        &catalog(MODELS),
        &["--database-url", "mysql://root:hunter2@db/app", "plan"],
    );
    assert_one_clear_line(&outcome, "unsupported scheme `mysql://`");
}

#[test]
fn an_unreachable_server_is_one_clear_line_and_exit_1() {
    let outcome = cli(
        &catalog(MODELS),
        &["--database-url", "postgres://app:hunter2@127.0.0.1:1/app"],
    );
    assert_one_clear_line(
        &outcome,
        "cannot connect to the PostgreSQL database at postgres://app:***@127.0.0.1:1/app",
    );
}

#[test]
fn an_unopenable_sqlite_file_is_one_clear_line_and_exit_1() {
    let outcome = cli(
        &catalog(MODELS),
        &["--database-url", "/nonexistent-dir/x/llm.db"],
    );
    assert_one_clear_line(
        &outcome,
        "cannot connect to the SQLite database at /nonexistent-dir/x/llm.db",
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let outcome = cli(&catalog(MODELS), &["--format", "yaml"]);
    assert_eq!(outcome.code, exit::USAGE);
    assert!(outcome.err.contains("yaml"), "{}", outcome.err);
    let outcome = cli(&catalog(MODELS), &["--help"]);
    assert_eq!(outcome.code, exit::OK);
    for command in [
        "apply",
        "plan",
        "status",
        "history",
        "migrate",
        "--database-url",
        "--environment",
    ] {
        assert!(
            outcome.out.contains(command),
            "help mentions {command}: {}",
            outcome.out
        );
    }
}

#[test]
fn markdown_on_a_command_without_a_markdown_form_is_a_usage_error() {
    // Refused before connecting: the database URL is never opened.
    for args in [
        &["status"][..],
        &["history"],
        &["migrate"],
        &["prune", "--env", "prod=/nonexistent/llm.db"],
    ] {
        let mut argv = vec![
            "--database-url",
            "/nonexistent/llm.db",
            "--format",
            "markdown",
        ];
        argv.extend_from_slice(args);
        let outcome = cli(&catalog(MODELS), &argv);
        assert_eq!(outcome.code, exit::USAGE, "{args:?}: {}", outcome.err);
        assert!(outcome.out.is_empty(), "{}", outcome.out);
        assert!(
            outcome.err.starts_with(
                "error: `--format markdown` is available for `plan` and `apply` only; "
            ),
            "{}",
            outcome.err
        );
        assert!(
            outcome.err.contains(&format!("`{}` prints", args[0])),
            "{}",
            outcome.err
        );
    }
}

#[test]
fn the_plan_reads_like_a_diff() {
    let db = TestDb::sqlite();
    migrate(&db);
    host_schema(&db);
    seed_references(&db);
    seed_model(&db, 104, None, "openai/gpt-4.1", 128_000, false);
    seed_model(&db, 105, None, "openai/my-finetune", 8_192, false);
    seed_model(&db, 201, Some(3), "openai/gpt-4.1-mini", 4_096, false);
    let outcome = cli(&full_catalog(), &["--database-url", db.url(), "plan"]);
    assert_eq!(outcome.code, exit::OK, "{}", outcome.err);
    insta::assert_snapshot!(outcome.out);
    let json: serde_json::Value = serde_json::from_str(
        &cli(
            &full_catalog(),
            &["--database-url", db.url(), "plan", "--format", "json"],
        )
        .out,
    )
    .unwrap();
    assert_eq!(json["deletions"].as_array().unwrap().len(), 3);
    assert_eq!(json["reference_updates"][0]["table"], "assistants");
}

fn apply_then_no_op_then_history(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_references(db);
    let catalog = full_catalog();
    let first = cli(
        &catalog,
        &["--database-url", db.url(), "--environment", "staging"],
    );
    assert_eq!(first.code, exit::OK, "{}", first.err);
    assert!(
        first
            .out
            .contains("- delete openai/gpt-4-turbo (row 101), replaced by openai/gpt-4.1"),
        "{}",
        first.out
    );
    assert!(
        first
            .out
            .contains("→ repoint 2 rows in assistants.llm_provider_model_id"),
        "{}",
        first.out
    );
    assert!(first.out.contains("Applied (run"), "{}", first.out);
    let second = cli(
        &catalog,
        &[
            "--database-url",
            db.url(),
            "--environment",
            "staging",
            "apply",
        ],
    );
    assert_eq!(second.code, exit::OK);
    assert!(second.out.starts_with("Nothing to do"), "{}", second.out);
    let history = cli(
        &catalog,
        &[
            "--database-url",
            db.url(),
            "--environment",
            "staging",
            "history",
        ],
    );
    // A header, two runs, the legend of the count symbols.
    assert_eq!(history.out.lines().count(), 4, "{}", history.out);
    assert!(
        history
            .out
            .starts_with("run  status     environment  started (UTC)"),
        "{}",
        history.out
    );
    assert!(
        history.out.contains("#2   succeeded  staging"),
        "{}",
        history.out
    );
    assert!(
        history
            .out
            .lines()
            .last()
            .unwrap()
            .starts_with("+ models created, "),
        "{}",
        history.out
    );
    // One timestamp format on every engine: `2026-12-01T21:34:50Z`.
    let json = cli(
        &catalog,
        &[
            "--database-url",
            db.url(),
            "history",
            "--all",
            "--format",
            "json",
        ],
    );
    let runs: serde_json::Value = serde_json::from_str(&json.out).unwrap();
    for run in runs.as_array().unwrap() {
        for key in ["started_at", "finished_at"] {
            let stamp = run[key].as_str().unwrap();
            let shape: String = stamp
                .chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c })
                .collect();
            assert_eq!(shape, "9999-99-99T99:99:99Z", "{key} = {stamp}");
            assert!(
                history
                    .out
                    .contains(&run["started_at"].as_str().unwrap().to_owned())
            );
        }
    }
    // Another environment has no runs: say which one was looked at, and how to see the others.
    let other = cli(
        &catalog,
        &[
            "--database-url",
            db.url(),
            "--environment",
            "prod",
            "history",
        ],
    );
    assert_eq!(
        other.out,
        "No runs recorded for environment \"prod\" (--environment NAME picks another, \
         --all shows every environment).\n"
    );
    let all = cli(&catalog, &["--database-url", db.url(), "history", "--all"]);
    assert_eq!(all.out.lines().count(), 4, "{}", all.out);
    let status = cli(
        &catalog,
        &[
            "--database-url",
            db.url(),
            "--environment",
            "staging",
            "status",
        ],
    );
    assert!(status.out.contains("drift:     none"), "{}", status.out);
    assert!(status.out.contains("same catalogue"), "{}", status.out);
}

fn a_plan_of_only_references_has_no_empty_part(db: &TestDb) {
    migrate(db);
    host_schema(db);
    let catalog = full_catalog();
    assert_eq!(cli(&catalog, &["--database-url", db.url()]).code, exit::OK);
    // A host row written later still names a deleted model: only a repoint to do.
    db.execute(
        "INSERT INTO experiments (id, team_id, name, llm) VALUES (1, 1, 'Stale', 'openai/gpt-4-turbo');",
    );
    let outcome = cli(&catalog, &["--database-url", db.url(), "plan"]);
    assert_eq!(outcome.code, exit::OK, "{}", outcome.err);
    let summary = outcome.out.lines().last().unwrap();
    assert_eq!(summary, "Plan: 1 row to repoint.", "{}", outcome.out);
}

fn plan_and_status_exit_4_with_exit_code_while_there_is_something_to_do(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_references(db);
    let catalog = full_catalog();
    let url = db.url();
    for command in ["plan", "status"] {
        let gated = cli(&catalog, &["--database-url", url, command, "--exit-code"]);
        assert_eq!(gated.code, exit::CHANGES, "{command}: {}", gated.err);
        assert_eq!(gated.code, 4);
        let plain = cli(&catalog, &["--database-url", url, command]);
        assert_eq!(plain.code, exit::OK, "{command} without --exit-code");
    }
    assert_eq!(cli(&catalog, &["--database-url", url]).code, exit::OK);
    for command in ["plan", "status"] {
        let gated = cli(&catalog, &["--database-url", url, command, "--exit-code"]);
        assert_eq!(gated.code, exit::OK, "{command} after apply: {}", gated.out);
    }
}

fn a_refused_plan_exits_3(db: &TestDb) {
    migrate(db);
    host_schema(db);
    db.execute("CREATE TABLE hidden_refs (id BIGINT PRIMARY KEY, llm_id BIGINT NULL REFERENCES llm_provider_models (id));");
    for command in ["plan", "apply"] {
        let outcome = cli(&full_catalog(), &["--database-url", db.url(), command]);
        assert_eq!(outcome.code, exit::REFUSED, "{command}: {}", outcome.err);
        assert!(
            outcome
                .out
                .contains("✗ refused: hidden_refs.llm_id is a foreign key"),
            "{}",
            outcome.out
        );
        assert!(
            outcome.out.contains("    column = \"llm_id\""),
            "{}",
            outcome.out
        );
    }
}

fn a_read_only_database_is_one_clear_line_and_exit_1(db: &TestDb) {
    let url = match db.backend() {
        Backend::Sqlite => {
            // Create the file, then open it read-only through a SQLite URI.
            migrate(db);
            format!("file:{}?mode=ro", db.url())
        }
        Backend::Postgres => {
            let name = db.url().rsplit('/').next().unwrap().to_owned();
            db.execute(&format!(
                "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"
            ));
            db.url().to_owned()
        }
    };
    let outcome = cli(&catalog(MODELS), &["--database-url", &url]);
    assert_one_clear_line(&outcome, "read");
}

fn passwords_are_never_printed(db: &TestDb) {
    if db.backend() != Backend::Postgres {
        return;
    }
    // Trust authentication ignores the password, so the URL connects.
    let url = db
        .url()
        .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
    let outcome = cli(&catalog(MODELS), &["--database-url", &url, "status"]);
    assert_eq!(outcome.code, exit::OK, "{}", outcome.err);
    assert!(
        outcome.out.contains("postgres://postgres:***@"),
        "{}",
        outcome.out
    );
    assert!(!outcome.out.contains("hunter2") && !outcome.err.contains("hunter2"));
}

llm_lifecycle_test_support::backend_tests!(
    apply_then_no_op_then_history,
    a_refused_plan_exits_3,
    a_plan_of_only_references_has_no_empty_part,
    plan_and_status_exit_4_with_exit_code_while_there_is_something_to_do,
    a_read_only_database_is_one_clear_line_and_exit_1,
    passwords_are_never_printed,
);
