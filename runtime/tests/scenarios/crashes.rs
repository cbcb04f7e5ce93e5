//! Crash tests with real processes: an `apply-models apply` child process is
//! SIGKILLed at chosen moments of an apply over a data set large enough that
//! the apply takes seconds, and the server cuts the connection of another
//! while it repoints. Afterwards nothing is half-done: model rows, every
//! reference column (an aggregate per column), notifications, the journal and
//! the ledger are exactly as before, `history` never shows the run as
//! succeeded, the next apply converges and the one after has nothing to do.
//!
//! The child is this test binary re-run on its ignored `child_apply_models`
//! entry point, which calls `cli::run` as the root crate's `apply-models`
//! does (`cli::main`), over the scenarios' catalogue. Its `-vvv` logs (the
//! SQL of each statement, logged just before it is sent, and the
//! `llm_lifecycle::phase` events at the migration and ledger boundaries) go to
//! its stderr, read line by line. For a kill at a boundary the child stops
//! right after logging it (a test layer of its own tracing subscriber) and
//! says so on stdout: the kill lands there deterministically, whatever the
//! machine's speed. The kill while repointing lands in the middle of a long
//! `UPDATE` instead (the second reference column's, the first one done).
//! A child that exits on its own before the kill point fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{
    MODELS, apply, catalog, count, full_catalog, host_schema, migrate, seed_model,
};
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::cli::{exit, run};
use llm_lifecycle_test_support::{Backend, TestDb};

/// The child's database URL.
const URL_VAR: &str = "LLM_LIFECYCLE_CRASH_URL";
/// The child's `apply-models` arguments, one a line.
const ARGS_VAR: &str = "LLM_LIFECYCLE_CRASH_ARGS";
/// `full` (the scenarios' catalogue with its references) or `models` (none).
const CATALOG_VAR: &str = "LLM_LIFECYCLE_CRASH_CATALOG";
/// When set, the child logs at trace level on stderr through a subscriber of
/// its own; with [`PAUSE_NTH_VAR`], it stops at the n-th event whose target
/// and fields contain every tab-separated needle of this variable.
const TRACE_VAR: &str = "LLM_LIFECYCLE_CRASH_TRACE";
const PAUSE_VAR: &str = "LLM_LIFECYCLE_CRASH_PAUSE_AT";
const PAUSE_NTH_VAR: &str = "LLM_LIFECYCLE_CRASH_PAUSE_NTH";
/// What a stopped child prints on stdout.
const PAUSED: &str = "CRASH-CHILD-PAUSED";

/// Referencing rows of each big table (assistants: FK; pipeline nodes: JSON).
const ROWS: i64 = 20_000;
/// Teams (and pipelines, one each): one notice per team and deleted model.
const TEAMS: i64 = 100;
/// A generous bound for every wait: a slow machine is not a failure.
const PATIENCE: Duration = Duration::from_secs(120);

fn crash_catalog(name: &str) -> Catalog {
    match name {
        "full" => full_catalog(),
        "models" => catalog(MODELS),
        other => panic!("no catalogue {other}"),
    }
}

/// Child-process entry point (run by the crash tests, not on its own): runs
/// `apply-models` with the arguments of [`ARGS_VAR`], its output on the
/// process's stdout and stderr, and exits with its exit code.
#[test]
#[ignore = "entry point of the child processes of the crash tests"]
fn child_apply_models() {
    let url = std::env::var(URL_VAR).expect("started by a crash test");
    let args = std::env::var(ARGS_VAR).unwrap();
    let catalog = crash_catalog(&std::env::var(CATALOG_VAR).unwrap());
    if std::env::var_os(TRACE_VAR).is_some() {
        child_tracing();
    }
    let mut argv = vec!["apply-models".to_owned(), "--database-url".to_owned(), url];
    argv.extend(args.lines().map(ToOwned::to_owned));
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let code = run(&catalog, argv, &mut out, &mut err);
    let _ = out.flush();
    let _ = err.flush();
    // Not libtest's summary: the exit code and output are apply-models' own.
    std::process::exit(i32::from(code));
}

/// The child's subscriber, installed before `cli::run` (which keeps it): the
/// CLI's `-vvv` log lines on stderr, and [`Pause`].
fn child_tracing() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    let targets = || {
        tracing_subscriber::filter::Targets::new()
            .with_target("llm_lifecycle_runtime", tracing::Level::TRACE)
            .with_target("llm_lifecycle", tracing::Level::TRACE)
    };
    let pause = std::env::var(PAUSE_VAR).ok().map(|needles| Pause {
        needles: needles.split('\t').map(ToOwned::to_owned).collect(),
        nth: std::env::var(PAUSE_NTH_VAR)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1),
        seen: AtomicUsize::new(0),
    });
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::io::stderr)
                .with_filter(targets()),
        )
        .with(pause.map(|p| p.with_filter(targets())));
    tracing::subscriber::set_global_default(subscriber).unwrap();
}

/// Stops the process (forever: the test kills it) at the `nth` event matching
/// every needle, after printing [`PAUSED`] on stdout.
struct Pause {
    needles: Vec<String>,
    nth: usize,
    seen: AtomicUsize,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Pause {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut text = event.metadata().target().to_owned();
        event.record(&mut Fields(&mut text));
        if !self
            .needles
            .iter()
            .all(|needle| text.contains(needle.as_str()))
        {
            return;
        }
        if self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.nth {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{PAUSED} {text}");
            let _ = stdout.flush();
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    }
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

/// Where a line of the child's output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Out,
    Err,
}

/// A running `apply-models` child and its output, line by line.
struct Child {
    process: std::process::Child,
    lines: mpsc::Receiver<(Stream, String)>,
    /// Everything read so far (for failure messages and assertions).
    seen: Vec<(Stream, String)>,
    started: Instant,
}

/// What the child is told: its arguments, its catalogue, and where to stop.
struct Spawn<'a> {
    args: &'a [&'a str],
    catalog: &'a str,
    /// Log at trace level (the `-vvv` lines) through the test subscriber.
    trace: bool,
    /// Stop at the `.1`-th event containing every needle of `.0`.
    pause: Option<(&'a [&'a str], usize)>,
}

impl Child {
    fn spawn(db: &TestDb, spawn: &Spawn<'_>) -> Self {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--ignored",
                "--exact",
                &crate::common::test_name(module_path!(), "child_apply_models"),
                "--nocapture",
                "--test-threads=1",
            ])
            .env(URL_VAR, db.url())
            .env(ARGS_VAR, spawn.args.join("\n"))
            .env(CATALOG_VAR, spawn.catalog)
            .env_remove(PAUSE_VAR)
            .env_remove(TRACE_VAR)
            .env_remove("APPLY_MODELS_LOG")
            .env_remove("LLM_LIFECYCLE_FAIL_AT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if spawn.trace {
            command.env(TRACE_VAR, "1");
        }
        if let Some((needles, nth)) = spawn.pause {
            command
                .env(PAUSE_VAR, needles.join("\t"))
                .env(PAUSE_NTH_VAR, nth.to_string());
        }
        let mut process = command.spawn().unwrap();
        let (send, lines) = mpsc::channel();
        for (stream, pipe) in [
            (
                Stream::Out,
                Box::new(process.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            ),
            (Stream::Err, Box::new(process.stderr.take().unwrap())),
        ] {
            let send = send.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if send.send((stream, line)).is_err() {
                        break;
                    }
                }
            });
        }
        Self {
            process,
            lines,
            seen: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Waits for a line of `stream` containing every needle; the line. Fails
    /// (after killing the child) when the child ends first: the kill point
    /// was missed.
    fn wait_for(&mut self, stream: Stream, needles: &[&str]) -> String {
        let deadline = self.started + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((from, line)) => {
                    self.seen.push((from, line.clone()));
                    if from == stream && needles.iter().all(|n| line.contains(n)) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.process.wait().unwrap();
                    panic!(
                        "kill point missed: the child ended ({status}) before a line with \
                         {needles:?} appeared on {stream:?}; its output:\n{}",
                        self.output()
                    );
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.process.kill();
                    let _ = self.process.wait();
                    panic!(
                        "no line with {needles:?} on {stream:?} within {PATIENCE:?}; output:\n{}",
                        self.output()
                    );
                }
            }
        }
    }

    /// SIGKILLs the child, asserting it was still running (not exited on its own).
    fn kill(mut self) {
        // On Unix `Child::kill` sends SIGKILL.
        self.process.kill().unwrap();
        let status = self.process.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "the child ended on its own ({status}) before the kill; output:\n{}",
            self.output()
        );
    }

    /// Waits for the child to exit by itself; its exit code and whole output.
    fn finish(mut self) -> (Option<i32>, Vec<(Stream, String)>) {
        let deadline = self.started + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.process.kill();
                    let _ = self.process.wait();
                    panic!(
                        "the child did not end within {PATIENCE:?}:\n{}",
                        self.output()
                    );
                }
            }
        }
        let status = self.process.wait().unwrap();
        (status.code(), self.seen)
    }

    fn output(&self) -> String {
        self.seen
            .iter()
            .map(|(stream, line)| format!("{stream:?}: {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

// ---------------------------------------------------------------------------
// The data set.

/// `INSERT INTO table (columns) SELECT select FROM <1..=n as `n`>`, generated
/// set-based on the engine.
fn insert_series(db: &TestDb, table: &str, columns: &str, select: &str, n: i64) {
    let sql = match db.backend() {
        Backend::Postgres => format!(
            "INSERT INTO {table} ({columns}) SELECT {select} FROM generate_series(1, {n}) AS s(n)"
        ),
        Backend::Sqlite => format!(
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) \
             INSERT INTO {table} ({columns}) SELECT {select} FROM s"
        ),
        // Six cross-joined digits (MySQL 8 caps recursive CTEs at 1000 rows by default).
        Backend::Mysql => {
            // As many digits as `n` has (a million rows generated for 40k is slow).
            let places = n.max(1).to_string().len();
            let digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 \
                          UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL \
                          SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
            let sum = (0..places)
                .map(|p| format!("{} * d{p}.d", 10_i64.pow(u32::try_from(p).unwrap())))
                .collect::<Vec<_>>()
                .join(" + ");
            let from = (0..places)
                .map(|p| format!("{digits} d{p}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "INSERT INTO {table} ({columns}) SELECT {select} FROM \
                 (SELECT 1 + {sum} AS n FROM {from}) s WHERE n <= {n}"
            )
        }
    };
    db.execute(&sql);
}

/// `CAST(n AS TEXT)` and text concatenation, as the engine spells them.
fn cat(db: &TestDb, parts: &[&str]) -> String {
    db.concat(parts)
}

/// The runtime's schema, the scenarios' host tables and the big data set:
/// deleted models 101 (`openai/gpt-4-turbo`, replaced), 102 (`openai/o1-mini`,
/// no replacement) and 103 (`openai/gpt-4`, a chain), [`ROWS`] assistants (FK)
/// and pipeline nodes (JSON, numbers and strings) over [`TEAMS`] teams,
/// evaluators (JSON) and experiments (text).
fn seeded(db: &TestDb) {
    migrate(db);
    host_schema(db);
    if db.backend() == Backend::Postgres {
        // A backend whose client died mid-statement notices it within 100 ms
        // instead of finishing the statement first (PostgreSQL 14+; the
        // outcome is the same, the test is faster).
        let name = db.database_name().unwrap();
        db.execute(&format!(
            "ALTER DATABASE \"{name}\" SET client_connection_check_interval = '100ms'"
        ));
    }
    // The deletes' foreign-key checks look assistants up by model.
    db.execute("CREATE INDEX assistants_model ON assistants (llm_provider_model_id)");
    seed_model(db, 101, None, "openai/gpt-4-turbo", 128_000, false);
    seed_model(db, 102, None, "openai/o1-mini", 128_000, false);
    seed_model(db, 103, None, "openai/gpt-4", 8_192, false);
    let n = db.text_cast("n");
    let team = format!("(n % {TEAMS}) + 1");
    insert_series(
        db,
        "pipelines",
        "id, team_id, name",
        &format!("n, n, {}", cat(db, &["'pipeline '", &n])),
        TEAMS,
    );
    insert_series(
        db,
        "assistants",
        "team_id, name, archived, llm_provider_model_id",
        &format!(
            "{team}, {}, FALSE, CASE n % 5 WHEN 0 THEN 101 WHEN 1 THEN 102 WHEN 2 THEN 103 \
             WHEN 3 THEN NULL ELSE 101 END",
            cat(db, &["'assistant '", &n])
        ),
        ROWS,
    );
    // PostgreSQL: jsonb and json columns take no text without a cast.
    let typed = |text: String, ty: &str| match db.backend() {
        Backend::Postgres => format!("CAST({text} AS {ty})"),
        _ => text,
    };
    let json = |value: &str| {
        typed(
            cat(
                db,
                &[
                    "'{\"llm_provider_model_id\": '",
                    value,
                    "', \"temperature\": 0.2}'",
                ],
            ),
            "JSONB",
        )
    };
    // Another key holding a deleted model's id: not a reference, never touched.
    let other_key = typed(
        "'{\"other_key\": 101, \"temperature\": 0.2}'".into(),
        "JSONB",
    );
    insert_series(
        db,
        "pipeline_nodes",
        "pipeline_id, params",
        &format!(
            "{team}, CASE n % 4 WHEN 0 THEN {} WHEN 1 THEN {} WHEN 2 THEN {} ELSE {} END",
            json("'101'"),
            json("'102'"),
            json("'\"103\"'"),
            other_key,
        ),
        ROWS,
    );
    insert_series(
        db,
        "evaluators",
        "team_id, name, params",
        &format!(
            "{team}, {}, {}",
            cat(db, &["'evaluator '", &n]),
            typed(
                cat(
                    db,
                    &[
                        "'{\"llm_provider_model_id\": \"'",
                        "CASE n % 2 WHEN 0 THEN '103' ELSE '102' END",
                        "'\"}'"
                    ]
                ),
                "JSON"
            )
        ),
        1_000,
    );
    insert_series(
        db,
        "experiments",
        "team_id, name, llm",
        &format!(
            "{team}, {}, CASE n % 3 WHEN 0 THEN 'openai/gpt-4-turbo' WHEN 1 THEN 'openai/o1-mini' \
             ELSE 'openai/gpt-4.1' END",
            cat(db, &["'experiment '", &n])
        ),
        5_000,
    );
    if db.backend() == Backend::Postgres {
        db.execute("ANALYZE");
    }
}

// ---------------------------------------------------------------------------
// What must not change.

/// Everything an apply writes, as aggregates: model rows in full, each
/// reference column grouped by value (rows and the sum of their ids),
/// notifications, the journal, the ledger and the schema versions. Absent
/// tables are listed as such (the kill during migrations).
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    tables: Vec<String>,
    parts: Vec<(&'static str, Vec<String>)>,
}

fn tables(db: &TestDb) -> Vec<String> {
    let sql = match db.backend() {
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS v FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY 1"
        }
        Backend::Sqlite => {
            "SELECT name AS v FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
        Backend::Mysql => {
            "SELECT CAST(table_name AS CHAR) AS v FROM information_schema.tables \
             WHERE table_schema = DATABASE() ORDER BY 1"
        }
    };
    db.strings(sql).into_iter().map(Option::unwrap).collect()
}

/// `key: rows: sum of ids` per value of `key` in `table`.
fn grouped(db: &TestDb, table: &str, key: &str) -> Vec<String> {
    db.strings(&format!(
        "SELECT {} AS v FROM (SELECT COALESCE({}, 'NULL') AS k, COUNT(*) AS c, SUM(id) AS s \
         FROM {table} GROUP BY COALESCE({}, 'NULL')) g ORDER BY k",
        db.concat(&["k", "': '", &db.text_cast("c"), "': '", &db.text_cast("s")]),
        db.text_cast(key),
        db.text_cast(key),
    ))
    .into_iter()
    .map(Option::unwrap)
    .collect()
}

fn snapshot(db: &TestDb) -> Snapshot {
    let tables = tables(db);
    let has = |t: &str| tables.iter().any(|n| n == t);
    let text = |e: &str| db.text_cast(e);
    let mut parts = Vec::new();
    let rows =
        |sql: String| -> Vec<String> { db.strings(&sql).into_iter().map(Option::unwrap).collect() };
    if has("llm_provider_models") {
        parts.push((
            "models",
            rows(format!(
                "SELECT {} AS v FROM llm_provider_models ORDER BY id",
                db.concat(&[
                    &text("id"),
                    "':'",
                    &format!("COALESCE({}, '-')", text("team_id")),
                    "':'",
                    "provider",
                    "'/'",
                    "name",
                    "':'",
                    &text("max_token_limit"),
                    "':'",
                    &text("deprecated"),
                ])
            )),
        ));
    }
    for (table, key) in [
        ("assistants", "llm_provider_model_id"),
        ("pipeline_nodes", "params"),
        ("evaluators", "params"),
        ("experiments", "llm"),
    ] {
        if has(table) {
            parts.push((table, grouped(db, table, key)));
        }
    }
    if has("llm_model_notifications") {
        parts.push((
            "notifications",
            grouped(
                db,
                "llm_model_notifications",
                &db.concat(&["slug", "' '", "model"]),
            ),
        ));
    }
    if has("llm_lifecycle_events") {
        parts.push(("journal", grouped(db, "llm_lifecycle_events", "action")));
    }
    if has("llm_lifecycle_runs") {
        parts.push((
            "ledger",
            rows(format!(
                "SELECT {} AS v FROM llm_lifecycle_runs ORDER BY id",
                db.concat(&[&text("id"), "':'", "status", "':'", "environment"])
            )),
        ));
    }
    if has("llm_lifecycle_schema_migrations") {
        parts.push((
            "schema",
            rows(
                "SELECT version AS v FROM llm_lifecycle_schema_migrations ORDER BY version".into(),
            ),
        ));
    }
    Snapshot { tables, parts }
}

/// Waits until the server ended every other session of this test's
/// database (the killed child's rolled back and let go of the deploy lock).
fn sessions_gone(db: &TestDb) {
    let from_where = match db.backend() {
        Backend::Sqlite => return,
        Backend::Postgres => {
            "pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        }
        Backend::Mysql => {
            "information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()"
        }
    };
    let deadline = Instant::now() + PATIENCE;
    while count(db, from_where) > 0 {
        assert!(
            Instant::now() < deadline,
            "the server still runs a session of the killed apply after {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `apply-models history --all --format json`, in-process: the runs' statuses.
fn history(db: &TestDb) -> Vec<String> {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run(
        &full_catalog(),
        [
            "apply-models",
            "--database-url",
            db.url(),
            "history",
            "--all",
            "--format",
            "json",
        ],
        &mut out,
        &mut err,
    );
    assert_eq!(code, exit::OK, "{}", String::from_utf8_lossy(&err));
    let runs: serde_json::Value = serde_json::from_slice(&out).unwrap();
    runs.as_array()
        .unwrap()
        .iter()
        .map(|run| run["status"].as_str().unwrap().to_owned())
        .collect()
}

/// After a crash: nothing changed, no run is recorded as succeeded (nor as
/// running: its row was rolled back with the rest).
fn assert_untouched(db: &TestDb, before: &Snapshot, history_before: &[String]) {
    sessions_gone(db);
    let after = snapshot(db);
    assert_eq!(&after, before, "the crashed apply left something behind");
    let runs = history(db);
    assert_eq!(runs, history_before, "history after the crash");
    assert!(
        !runs.iter().any(|s| s == "succeeded" || s == "running"),
        "{runs:?}"
    );
}

/// The next apply converges: every deleted model gone and nothing pointing
/// at it; the one after has nothing to do.
fn assert_converges(db: &TestDb) {
    let report = apply(db, &full_catalog()).unwrap();
    assert_eq!(report.counts.deleted, 3, "{report:?}");
    assert!(report.counts.repointed_rows > ROWS, "{:?}", report.counts);
    assert!(report.counts.notified > 0, "{:?}", report.counts);
    assert_eq!(
        count(db, "llm_provider_models WHERE id IN (101, 102, 103)"),
        0
    );
    assert_eq!(
        count(
            db,
            "assistants WHERE llm_provider_model_id IN (101, 102, 103)"
        ),
        0
    );
    for table in ["pipeline_nodes", "evaluators"] {
        let key = match db.backend() {
            Backend::Postgres => "CAST(params AS jsonb) ->> 'llm_provider_model_id'",
            Backend::Sqlite => "CAST(json_extract(params, '$.llm_provider_model_id') AS TEXT)",
            Backend::Mysql => "JSON_UNQUOTE(JSON_EXTRACT(params, '$.llm_provider_model_id'))",
        };
        let left = count(db, &format!("{table} WHERE {key} IN ('101', '102', '103')"));
        assert_eq!(left, 0, "JSON references left in {table}");
    }
    assert_eq!(
        count(
            db,
            "experiments WHERE llm IN ('openai/gpt-4-turbo', 'openai/o1-mini')"
        ),
        0
    );
    let again = apply(db, &full_catalog()).unwrap();
    assert!(again.plan.is_noop(), "{:?}", again.plan);
    assert_eq!(history(db), ["succeeded", "succeeded"]);
}

/// Runs the child to `until`, kills it there, and checks nothing changed.
fn kill_at(db: &TestDb, spawn: &Spawn<'_>, until: (Stream, &[&str])) -> Duration {
    let before = snapshot(db);
    let history_before = history(db);
    let mut child = Child::spawn(db, spawn);
    child.wait_for(until.0, until.1);
    let reached = child.started.elapsed();
    child.kill();
    assert_untouched(db, &before, &history_before);
    reached
}

const TRACED: &[&str] = &["-vvv", "apply"];

// ---------------------------------------------------------------------------
// The kill points.

/// SIGKILL between two schema migrations of the first apply on an empty
/// database. PostgreSQL, SQLite: they ran in the apply transaction, nothing
/// is left. MySQL: its DDL commits on its own, so the migrations run before
/// the data transaction under the lock, each recorded once it ran: the first
/// stays (recorded), the rest never ran; the next run completes them.
fn killed_during_the_schema_migrations(db: &TestDb) {
    let mut child = Child::spawn(
        db,
        &Spawn {
            args: TRACED,
            catalog: "models",
            trace: true,
            pause: Some((&["llm_lifecycle::phase", "running schema migration"], 2)),
        },
    );
    child.wait_for(Stream::Out, &[PAUSED]);
    child.kill();
    sessions_gone(db);
    let left = snapshot(db);
    // On MySQL the ledger table exists without the later migrations' columns:
    // `history` still reads it (empty).
    assert!(history(db).is_empty());
    let versions = left
        .parts
        .iter()
        .find(|(name, _)| *name == "schema")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if db.backend() == Backend::Mysql {
        assert_eq!(versions.len(), 1, "the first migration, recorded: {left:?}");
        assert!(
            !left.tables.iter().any(|t| t == "llm_model_notifications"),
            "the second never ran: {left:?}"
        );
    } else {
        assert!(
            left.tables.is_empty(),
            "rolled back with the apply: {left:?}"
        );
    }
    let report = apply(db, &catalog(MODELS)).unwrap();
    let all = count(db, "llm_lifecycle_schema_migrations");
    let expected = if db.backend() == Backend::Mysql {
        all - 1
    } else {
        all
    };
    assert_eq!(
        i64::try_from(report.migrations.len()).unwrap(),
        expected,
        "{:?}",
        report.migrations
    );
    assert_eq!(report.counts.created, 3, "{report:?}");
    let again = apply(db, &catalog(MODELS)).unwrap();
    assert!(
        again.plan.is_noop() && again.migrations.is_empty(),
        "{again:?}"
    );
    assert_eq!(history(db), ["succeeded", "succeeded"]);
}

/// One seeded database, one apply killed after another (the second killed
/// run is the next apply after the first crash and gets past its kill
/// point: the crash left nothing in the way), then the next apply converges
/// and the one after has nothing to do.
///
/// - notices: the child stops after the team notifications statement ran
///   in the transaction, as it reads back what it wrote;
/// - right before COMMIT: every statement ran, the ledger row says
///   `succeeded` inside the transaction, the COMMIT is never sent.
fn killed_while_notices_are_written_and_right_before_commit(db: &TestDb) {
    let t = Instant::now();
    seeded(db);
    let mut timings = vec![format!("seeded {:?}", t.elapsed())];
    let reached = kill_at(
        db,
        &Spawn {
            args: TRACED,
            catalog: "full",
            trace: true,
            pause: Some((&["llm_model_notifications", "ORDER BY team_id LIMIT"], 1)),
        },
        (Stream::Out, &[PAUSED]),
    );
    timings.push(format!(
        "notices after {reached:?} (checked at {:?})",
        t.elapsed()
    ));
    let reached = kill_at(db, &RIGHT_BEFORE_COMMIT, (Stream::Out, &[PAUSED]));
    timings.push(format!(
        "before COMMIT after {reached:?} (checked at {:?})",
        t.elapsed()
    ));
    assert_converges(db);
    timings.push(format!("converged at {:?}", t.elapsed()));
    eprintln!("crashes::{:?}: {}", db.backend(), timings.join(", "));
}

/// The child stops right after the ledger row says `succeeded`, before COMMIT.
const RIGHT_BEFORE_COMMIT: Spawn<'static> = Spawn {
    args: TRACED,
    catalog: "full",
    trace: true,
    pause: Some((
        &["llm_lifecycle::phase", "ledger row completed", "succeeded"],
        1,
    )),
};

/// As [`killed_while_notices_are_written_and_right_before_commit`] on a
/// database of its own (the two run in parallel):
///
/// - repointing: the first reference column (assistants, FK) was repointed
///   in the transaction and the `UPDATE` of the second (pipeline nodes,
///   JSON) is running when the SIGKILL lands;
/// - then (PostgreSQL, MySQL) the server cuts the connection of the next
///   apply while it repoints.
fn killed_while_repointing_and_cut_by_the_server(db: &TestDb) {
    let t = Instant::now();
    seeded(db);
    let mut timings = vec![format!("seeded {:?}", t.elapsed())];
    let reached = kill_at(
        db,
        &Spawn {
            args: TRACED,
            catalog: "full",
            trace: true,
            pause: None,
        },
        (
            Stream::Err,
            &[" sql=", "UPDATE ", "pipeline_nodes", " SET "],
        ),
    );
    timings.push(format!(
        "repointing after {reached:?} (checked at {:?})",
        t.elapsed()
    ));
    if db.backend() != Backend::Sqlite {
        let reached = cut_by_the_server_while_repointing(db);
        timings.push(format!(
            "server cut after {reached:?} (checked at {:?})",
            t.elapsed()
        ));
    }
    assert_converges(db);
    timings.push(format!("converged at {:?}", t.elapsed()));
    eprintln!("crashes::{:?}: {}", db.backend(), timings.join(", "));
}

/// The server ends the apply's session while it repoints (PostgreSQL
/// `pg_terminate_backend`, MySQL `KILL CONNECTION`): the child exits 1 with
/// one clear line on stderr and nothing changed.
fn cut_by_the_server_while_repointing(db: &TestDb) -> Duration {
    let before = snapshot(db);
    let history_before = history(db);
    let (find, cut) = match db.backend() {
        Backend::Postgres => (
            "SELECT CAST(pid AS TEXT) AS v FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state = 'active' \
             AND query LIKE '%UPDATE \"pipeline_nodes\"%'",
            "SELECT pg_terminate_backend",
        ),
        Backend::Mysql => (
            "SELECT CAST(ID AS CHAR) AS v FROM information_schema.PROCESSLIST \
             WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE '%UPDATE `pipeline_nodes`%'",
            "KILL CONNECTION ",
        ),
        Backend::Sqlite => panic!("SQLite has no server to cut the connection"),
    };
    // No -v: stderr is what an operator sees.
    let mut child = Child::spawn(
        db,
        &Spawn {
            args: &["apply"],
            catalog: "full",
            trace: false,
            pause: None,
        },
    );
    let id = loop {
        if let Some(Some(id)) = db.strings(find).pop() {
            break id;
        }
        if let Some(status) = child.process.try_wait().unwrap() {
            let (_, output) = child.finish();
            panic!(
                "cut point missed: the child ended ({status}) before its UPDATE of pipeline_nodes \
                 was seen on the server; output: {output:?}"
            );
        }
        assert!(
            child.started.elapsed() < PATIENCE,
            "no UPDATE of pipeline_nodes on the server within {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let reached = child.started.elapsed();
    if db.backend() == Backend::Postgres {
        db.execute(&format!("{cut}({id})"));
    } else {
        db.execute(&format!("{cut}{id}"));
    }
    let (code, output) = child.finish();
    let stderr: Vec<&str> = output
        .iter()
        .filter(|(stream, line)| *stream == Stream::Err && !line.trim().is_empty())
        .map(|(_, line)| line.as_str())
        .collect();
    assert_eq!(code, Some(i32::from(exit::ERROR)), "{output:?}");
    assert_eq!(stderr.len(), 1, "one line on stderr: {stderr:#?}");
    let line = stderr[0];
    assert!(line.starts_with("error: "), "{line}");
    assert!(
        !line.contains("panicked") && !line.contains("backtrace"),
        "{line}"
    );
    assert!(
        line.contains("connection was closed by the server"),
        "says the connection was lost: {line}"
    );
    assert!(line.contains("nothing was committed"), "{line}");
    assert_untouched(db, &before, &history_before);
    reached
}

llm_lifecycle_test_support::backend_tests!(
    killed_during_the_schema_migrations,
    killed_while_notices_are_written_and_right_before_commit,
    killed_while_repointing_and_cut_by_the_server,
);
