//! The `apply-models` command line through `cli::run`: output, formats, exit
//! codes, and one clear line for a bad URL, an unreachable server and a
//! read-only database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
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
        &["--database-url", "sqlserver://root:hunter2@db/app", "plan"],
    );
    assert_one_clear_line(&outcome, "unsupported scheme `sqlserver://`");
}

#[test]
fn an_unreachable_server_is_one_clear_line_and_exit_1() {
    for (location, shown) in [
        (
            "postgres://app:hunter2@127.0.0.1:1/app",
            "cannot connect to the PostgreSQL database at postgres://app:***@127.0.0.1:1/app",
        ),
        (
            "mysql://app:hunter2@127.0.0.1:1/app",
            "cannot connect to the MySQL database at mysql://app:***@127.0.0.1:1/app",
        ),
    ] {
        let outcome = cli(&catalog(MODELS), &["--database-url", location]);
        assert_one_clear_line(&outcome, shown);
    }
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
    assert_eq!(second.code, exit::OK, "{} {}", second.out, second.err);
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
    db.execute(
        "CREATE TABLE hidden_refs (id BIGINT PRIMARY KEY, llm_id BIGINT NULL, \
         FOREIGN KEY (llm_id) REFERENCES llm_provider_models (id));",
    );
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
    let (url, says) = match db.backend() {
        Backend::Sqlite => {
            // Create the file, then open it read-only through a SQLite URI.
            migrate(db);
            (format!("file:{}?mode=ro", db.url()), "read")
        }
        Backend::Postgres => {
            let name = db.url().rsplit('/').next().unwrap().to_owned();
            db.execute(&format!(
                "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"
            ));
            (db.url().to_owned(), "read")
        }
        // MariaDB has no read-only database: a user allowed only SELECT on it,
        // whom the server tells `… command denied to user …`.
        Backend::Mysql => (db.mysql_user("hunter2", true), "denied"),
    };
    let outcome = cli(&catalog(MODELS), &["--database-url", &url]);
    assert_one_clear_line(&outcome, says);
}

fn passwords_are_never_printed(db: &TestDb) {
    let (url, redacted) = match db.backend() {
        Backend::Sqlite => return,
        // Trust authentication ignores the password, so the URL connects.
        Backend::Postgres => (
            db.url()
                .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1),
            "postgres://postgres:***@".to_owned(),
        ),
        // A user of the test's own, whose password it is.
        Backend::Mysql => {
            let url = db.mysql_user("hunter2", false);
            let user = url["mysql://".len()..]
                .split(':')
                .next()
                .unwrap()
                .to_owned();
            (url, format!("mysql://{user}:***@"))
        }
    };
    let outcome = cli(&catalog(MODELS), &["--database-url", &url, "status"]);
    assert_eq!(outcome.code, exit::OK, "{}", outcome.err);
    assert!(outcome.out.contains(&redacted), "{}", outcome.out);
    assert!(!outcome.out.contains("hunter2") && !outcome.err.contains("hunter2"));
}

/// Each location whose password used to be printed, with that
/// password. Every server is unreachable (port 1 refuses at once), so each
/// command fails on the connection, where the driver's message is shown.
const LEAKY_LOCATIONS: &[(&str, &str)] = &[
    // `?` in the password: no parser agrees with libpq on where it ends.
    (
        "postgres://app:pa?ss-hunter2@127.0.0.1:1/app",
        "pa?ss-hunter2",
    ),
    // `/`: libpq takes `hunter2` for a port and says so.
    ("postgres://app:hunter2/pw@127.0.0.1:1/app", "hunter2/pw"),
    // `@`: libpq splits at the first one and quotes the rest as a host name.
    ("postgres://app:hunter@two2@127.0.0.1:1/app", "hunter@two2"),
    // An invalid percent escape, which libpq quotes.
    ("postgres://app:hunter2%zz@127.0.0.1:1/app", "hunter2%zz"),
    // A `password=` query parameter.
    (
        "postgres://app@127.0.0.1:1/app?sslmode=disable&password=hunter2",
        "hunter2",
    ),
    // A libpq keyword/value string.
    (
        "host=127.0.0.1 port=1 user=app password='hunter 2' dbname=app",
        "hunter 2",
    ),
    // libpq quotes this whole URL in its message.
    ("postgres://app:hunter2@[::1/app", "hunter2"),
    // MySQL: the same awkward passwords (mysql_async's URL parser ends the
    // authority at a `?` or `/` of the password, and names the bad port), and
    // TLS first (`PREFERRED`), then without.
    ("mysql://app:pa?ss-hunter2@127.0.0.1:1/app", "pa?ss-hunter2"),
    ("mysql://app:hunter2/pw@127.0.0.1:1/app", "hunter2/pw"),
    ("mariadb://app:hunter@two2@127.0.0.1:1/app", "hunter@two2"),
    ("mysql://app:hunter2%zz@127.0.0.1:1/app", "hunter2%zz"),
    ("mysql://app:hunter2@[::1/app", "hunter2"),
    (
        "mysql://app:hunter2@127.0.0.1:1/app?ssl-mode=REQUIRED",
        "hunter2",
    ),
];

/// The engine a location of [`LEAKY_LOCATIONS`] names, as errors say it.
fn engine_of(location: &str) -> &'static str {
    if location.starts_with("mysql:") || location.starts_with("mariadb:") {
        "MySQL"
    } else {
        "PostgreSQL"
    }
}

/// The password and each of its pieces a driver might quote (3 characters or more).
fn secret_pieces(password: &str) -> Vec<&str> {
    let mut pieces: Vec<&str> = password
        .split(['/', '?', '#', '@', ':', '&', '='])
        .filter(|piece| piece.len() >= 3)
        .collect();
    pieces.push(password);
    pieces
}

fn assert_no_secret(what: &str, printed: &str, password: &str) {
    for piece in secret_pieces(password) {
        assert!(
            !printed.contains(piece),
            "{what}: `{piece}` of the password was printed:\n{printed}"
        );
    }
}

#[test]
fn awkward_passwords_are_never_printed() {
    for (location, password) in LEAKY_LOCATIONS {
        for command in ["status", "plan", "history", "apply", "migrate"] {
            let outcome = cli(&catalog(MODELS), &["--database-url", location, command]);
            let what = format!("{command} {location}");
            assert_eq!(outcome.code, exit::ERROR, "{what}: {}", outcome.err);
            assert_eq!(outcome.err.lines().count(), 1, "{what}: {}", outcome.err);
            let engine = engine_of(location);
            assert!(
                outcome.err.starts_with(&format!(
                    "error: cannot connect to the {engine} database at "
                )),
                "{what}: {}",
                outcome.err
            );
            assert_no_secret(&what, &outcome.out, password);
            assert_no_secret(&what, &outcome.err, password);
        }
    }
}

#[test]
fn prune_environments_never_print_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models.toml");
    std::fs::write(
        &models,
        "[providers.p]\nmodels = [{ name = \"m\", token_limit = 1, default = true }]\n\
         deleted = [{ name = \"old\", deleted_on = 2020-01-01 }]\n",
    )
    .unwrap();
    let models = models.to_string_lossy().into_owned();
    for (location, password) in LEAKY_LOCATIONS {
        let env = format!("prod={location}");
        for format in ["text", "json"] {
            let outcome = cli(
                &catalog(MODELS),
                &[
                    "prune",
                    "--catalog",
                    &models,
                    "--env",
                    &env,
                    "--format",
                    format,
                ],
            );
            let what = format!("prune --env {env} --format {format}");
            assert_eq!(outcome.code, exit::ERROR, "{what}: {}", outcome.err);
            assert!(
                outcome.err.contains("unreachable environment(s): prod"),
                "{what}: {}",
                outcome.err
            );
            assert_no_secret(&what, &outcome.out, password);
            assert_no_secret(&what, &outcome.err, password);
        }
    }
    // Without NAME=: a usage error that names the form and never echoes the
    // value, even when its query has an `=` (never split there into a name).
    for value in [
        "postgres://app:hunter2@127.0.0.1:1/app?sslmode=disable",
        "postgres://app:pa?ss-hunter2@127.0.0.1:1/app",
        "host=127.0.0.1 password=hunter2",
    ] {
        let outcome = cli(
            &catalog(MODELS),
            &["prune", "--catalog", &models, "--env", value],
        );
        assert_eq!(outcome.code, exit::USAGE, "{value}: {}", outcome.err);
        assert!(
            outcome.err.contains("expected NAME=URL"),
            "{value}: {}",
            outcome.err
        );
        assert_no_secret(value, &outcome.out, "hunter2");
        assert_no_secret(value, &outcome.err, "hunter2");
    }
}

const CHILD_ARGS_VAR: &str = "LLM_LIFECYCLE_CHILD_CLI_ARGS";

/// Child-process entry point (run by `passwords_never_reach_the_process_output`):
/// runs the CLI on the process's own stdout and stderr, logging included.
#[test]
#[ignore = "entry point of the child processes of passwords_never_reach_the_process_output"]
fn child_cli() {
    let args = std::env::var(CHILD_ARGS_VAR).expect("started by its parent test");
    let mut argv = vec!["apply-models"];
    argv.extend(args.split('\u{1f}'));
    let code = run(
        &catalog(MODELS),
        argv,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    println!("CHILD-EXIT {code}");
}

/// The whole process output (every log level included) of the real CLI,
/// not only what `run` writes to its buffers.
#[test]
fn passwords_never_reach_the_process_output() {
    for (location, password) in LEAKY_LOCATIONS {
        for args in [
            vec!["-vvv", "--database-url", location, "status"],
            vec!["-vvv", "--database-url", location, "apply"],
        ] {
            let child = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--ignored",
                    "--exact",
                    &test_name(module_path!(), "child_cli"),
                    "--nocapture",
                ])
                .env(CHILD_ARGS_VAR, args.join("\u{1f}"))
                .env_remove("APPLY_MODELS_LOG")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&child.stdout);
            let stderr = String::from_utf8_lossy(&child.stderr);
            let what = format!("{args:?}");
            assert!(
                stdout.contains("CHILD-EXIT 1"),
                "{what}: {stdout}\n{stderr}"
            );
            assert!(stderr.contains("cannot connect"), "{what}: {stderr}");
            assert_no_secret(&what, &stdout, password);
            assert_no_secret(&what, &stderr, password);
        }
    }
}

/// `plan`, `status` and `history` on a SQLite path that does
/// not exist create nothing.
#[test]
fn read_only_commands_never_create_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    let path = missing.to_string_lossy().into_owned();
    let sqlite_url = format!("sqlite://{path}");
    for location in [path.as_str(), sqlite_url.as_str()] {
        // plan: what an apply would do to an empty database.
        let plan = cli(&catalog(MODELS), &["--database-url", location, "plan"]);
        assert_eq!(plan.code, exit::OK, "{}", plan.err);
        assert!(
            plan.out.contains("+ create openai/gpt-4.1 "),
            "{}",
            plan.out
        );
        assert!(
            plan.err
                .contains("does not exist yet: planning against an empty database"),
            "{}",
            plan.err
        );
        let json = cli(
            &catalog(MODELS),
            &["--database-url", location, "-q", "plan", "--format", "json"],
        );
        assert_eq!(json.code, exit::OK, "{}", json.err);
        assert!(json.err.is_empty(), "{}", json.err);
        let value: serde_json::Value = serde_json::from_str(&json.out).unwrap();
        assert_eq!(value["schema_present"], false);
        // status and history: one clear line, exit 1.
        for command in ["status", "history"] {
            let outcome = cli(&catalog(MODELS), &["--database-url", location, command]);
            assert_one_clear_line(
                &outcome,
                &format!("the SQLite database {path} does not exist yet; check the path"),
            );
        }
        assert!(!missing.exists(), "{location} was created");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

/// On an existing SQLite file, read-only commands change no byte
/// and no modification time, and leave no journal behind.
#[test]
fn read_only_commands_leave_an_existing_sqlite_file_untouched() {
    let db = TestDb::sqlite();
    migrate(&db);
    host_schema(&db);
    seed_references(&db);
    let applied = cli(&full_catalog(), &["--database-url", db.url(), "-q"]);
    assert_eq!(applied.code, exit::OK, "{}", applied.err);
    // Something left to plan: a catalogue with one more model.
    let more = format!("{MODELS}\n{REFERENCES}").replace(
        "  { name = \"claude-sonnet-4-6\", token_limit = 1_000_000, default = true },\n",
        "  { name = \"claude-sonnet-4-6\", token_limit = 1_000_000, default = true },\n  \
         { name = \"claude-haiku-4-5\", token_limit = 200_000 },\n",
    );
    assert_ne!(more, format!("{MODELS}\n{REFERENCES}"));
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(db.dir().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = (
        std::fs::read(db.url()).unwrap(),
        std::fs::metadata(db.url()).unwrap().modified().unwrap(),
        listing(),
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    for args in [
        vec!["plan"],
        vec!["status"],
        vec!["history", "--all"],
        vec!["plan", "--format", "json"],
    ] {
        let mut argv = vec!["--database-url", db.url()];
        argv.extend(args.iter().copied());
        let outcome = cli(&catalog(&more), &argv);
        assert_eq!(outcome.code, exit::OK, "{args:?}: {}", outcome.err);
        let after = (
            std::fs::read(db.url()).unwrap(),
            std::fs::metadata(db.url()).unwrap().modified().unwrap(),
            listing(),
        );
        assert!(after == before, "{args:?} changed the database file");
    }
    // The read-only connection itself refuses to write.
    let url = llm_lifecycle_runtime::DatabaseUrl::parse(db.url()).unwrap();
    let mut read_only = llm_lifecycle_runtime::Database::connect_read_only(&url).unwrap();
    let refused = llm_lifecycle_runtime::apply(
        &mut read_only,
        &catalog(&more),
        &llm_lifecycle_runtime::ApplyOptions::default(),
    );
    let Err(refused) = refused else {
        panic!("a read-only connection applied");
    };
    assert!(refused.to_string().contains("readonly"), "{refused}");
    assert!(std::fs::read(db.url()).unwrap() == before.0);
}

/// On MySQL a read-only connection's session runs every transaction `READ
/// ONLY`, so the schema migrations fail (no table is created) and the
/// read-only commands still read.
#[test]
fn a_read_only_mysql_connection_cannot_write() {
    let Some(db) = TestDb::mysql() else {
        return;
    };
    let url = llm_lifecycle_runtime::DatabaseUrl::parse(db.url()).unwrap();
    let mut read_only = llm_lifecycle_runtime::Database::connect_read_only(&url).unwrap();
    let Err(refused) = llm_lifecycle_runtime::migrate(&mut read_only, &full_catalog()) else {
        panic!("a read-only connection migrated");
    };
    assert!(refused.to_string().contains("READ ONLY"), "{refused}");
    assert_eq!(
        count(
            &db,
            "information_schema.tables WHERE table_schema = DATABASE()"
        ),
        0
    );
    for command in ["plan", "status", "history"] {
        let outcome = cli(&catalog(MODELS), &["--database-url", db.url(), command]);
        assert_eq!(outcome.code, exit::OK, "{command}: {}", outcome.err);
    }
}

/// On PostgreSQL a read-only connection runs every transaction
/// `READ ONLY`, so a command that tried to write would fail, not write.
#[test]
fn a_read_only_postgres_connection_cannot_write() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let url = llm_lifecycle_runtime::DatabaseUrl::parse(db.url()).unwrap();
    let mut read_only = llm_lifecycle_runtime::Database::connect_read_only(&url).unwrap();
    let Err(refused) = llm_lifecycle_runtime::migrate(&mut read_only, &full_catalog()) else {
        panic!("a read-only connection migrated");
    };
    assert!(
        refused.to_string().contains("read-only transaction"),
        "{refused}"
    );
    assert_eq!(
        count(
            &db,
            "information_schema.tables WHERE table_name = 'llm_provider_models'"
        ),
        0
    );
    // plan, status and history still read it.
    for command in ["plan", "status", "history"] {
        let outcome = cli(&catalog(MODELS), &["--database-url", db.url(), command]);
        assert_eq!(outcome.code, exit::OK, "{command}: {}", outcome.err);
    }
}

llm_lifecycle_test_support::backend_tests!(
    apply_then_no_op_then_history,
    a_refused_plan_exits_3,
    a_plan_of_only_references_has_no_empty_part,
    plan_and_status_exit_4_with_exit_code_while_there_is_something_to_do,
    a_read_only_database_is_one_clear_line_and_exit_1,
    passwords_are_never_printed,
);
