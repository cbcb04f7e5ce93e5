//! The runtime's schema versions live in `llm_lifecycle_schema_migrations`,
//! never in the host's `__diesel_schema_migrations`: a host's own diesel
//! harness keeps working (revert, redo, list) after `migrate`, a database
//! migrated by the previous release is upgraded in place, and a table named
//! `llm_provider_models` the runtime did not create is refused before any DDL.
//! Every scenario runs on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::Connection;
use diesel::backend::Backend as DieselBackend;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use llm_lifecycle_runtime::cli::{exit, run};
use llm_lifecycle_runtime::schema::SCHEMA_MIGRATIONS_TABLE;
use llm_lifecycle_runtime::{ApplyOptions, Error};
use llm_lifecycle_test_support::{Backend, MysqlConnection, PgConnection, TestDb};

use crate::common::{MODELS, catalog, connect, count, full_catalog, global_id, seed_model};

/// A host application's migrations: `teams`, then `assistants` with a foreign
/// key to `llm_provider_models` (`runtime/tests/fixtures/host-migrations`).
const HOST_POSTGRES: EmbeddedMigrations =
    embed_migrations!("tests/fixtures/host-migrations/postgres");
const HOST_SQLITE: EmbeddedMigrations = embed_migrations!("tests/fixtures/host-migrations/sqlite");
const HOST_MYSQL: EmbeddedMigrations = embed_migrations!("tests/fixtures/host-migrations/mysql");
/// The runtime's migrations as the previous release embedded them, whose
/// 000001 created `llm_provider_models` (`runtime/tests/fixtures/legacy-migrations`).
const LEGACY_POSTGRES: EmbeddedMigrations =
    embed_migrations!("tests/fixtures/legacy-migrations/postgres");
const LEGACY_SQLITE: EmbeddedMigrations =
    embed_migrations!("tests/fixtures/legacy-migrations/sqlite");
const LEGACY_MYSQL: EmbeddedMigrations =
    embed_migrations!("tests/fixtures/legacy-migrations/mysql");

/// The host's versions, oldest first.
const HOST_VERSIONS: [&str; 2] = ["20260110000001", "20260120000001"];
/// The previous release's versions, oldest first.
const LEGACY_VERSIONS: [&str; 3] = ["20261126000001", "20261126000010", "20261201000001"];
/// Every version the runtime embeds, oldest first.
const RUNTIME_VERSIONS: [&str; 8] = [
    "20261126000001",
    "20261126000010",
    "20261201000001",
    "20261203000001",
    "20261203000020",
    "20261206000001",
    "20261207000001",
    "20261207000002",
];
/// The order a fresh database runs them in: the core set, then the model table's.
const RUN_ORDER: [&str; 8] = [
    "20261126000001",
    "20261126000010",
    "20261201000001",
    "20261203000020",
    "20261206000001",
    "20261207000001",
    "20261207000002",
    "20261203000001",
];
/// The core migrations newer than the previous release (reminders and notices
/// awaiting recipients, the index of those notices, the log of rows
/// written while a batched apply runs, then the resources its notices are about).
const NEWER_THAN_LEGACY: [&str; 4] = [
    "20261203000020",
    "20261206000001",
    "20261207000001",
    "20261207000002",
];

/// The refusal, word for word.
const FOREIGN_MODEL_TABLE: &str = "a table named llm_provider_models already exists and was not \
    created by llm-lifecycle: if it is your platform's model table, describe it in [model_table] \
    in models.toml (table and column names); otherwise rename or drop it";

/// Which diesel migrations a host runs with diesel's own harness.
#[derive(Clone, Copy)]
enum Set {
    Host,
    Legacy,
}

/// What the host asks its own harness (diesel's blanket impl on the connection).
#[derive(Clone, Copy)]
enum Step {
    RunPending,
    RunNext,
    RevertLast,
    Applied,
}

/// Runs `step` with diesel's own harness on a connection of the host's; the
/// versions it names (`applied_migrations` newest first), or its error.
fn host(db: &TestDb, set: Set, step: Step) -> Result<Vec<String>, String> {
    match (db.backend(), set) {
        (Backend::Sqlite, Set::Host) => on(
            &mut SqliteConnection::establish(db.url()).unwrap(),
            HOST_SQLITE,
            step,
        ),
        (Backend::Sqlite, Set::Legacy) => on(
            &mut SqliteConnection::establish(db.url()).unwrap(),
            LEGACY_SQLITE,
            step,
        ),
        (Backend::Postgres, Set::Host) => on(
            &mut PgConnection::establish(db.url()).unwrap(),
            HOST_POSTGRES,
            step,
        ),
        (Backend::Postgres, Set::Legacy) => on(
            &mut PgConnection::establish(db.url()).unwrap(),
            LEGACY_POSTGRES,
            step,
        ),
        (Backend::Mysql, Set::Host) => on(
            &mut MysqlConnection::establish(db.url()).unwrap(),
            HOST_MYSQL,
            step,
        ),
        (Backend::Mysql, Set::Legacy) => on(
            &mut MysqlConnection::establish(db.url()).unwrap(),
            LEGACY_MYSQL,
            step,
        ),
    }
}

fn on<DB: DieselBackend>(
    conn: &mut impl MigrationHarness<DB>,
    source: EmbeddedMigrations,
    step: Step,
) -> Result<Vec<String>, String> {
    let names = |versions: &[diesel::migration::MigrationVersion<'_>]| {
        versions.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    let result = match step {
        Step::RunPending => conn.run_pending_migrations(source).map(|v| names(&v)),
        Step::RunNext => conn.run_next_migration(source).map(|v| vec![v.to_string()]),
        Step::RevertLast => conn
            .revert_last_migration(source)
            .map(|v| vec![v.to_string()]),
        Step::Applied => conn.applied_migrations().map(|v| names(&v)),
    };
    result.map_err(|e| e.to_string())
}

fn strings(versions: &[&str]) -> Vec<String> {
    versions.iter().map(|v| (*v).to_owned()).collect()
}

/// `llm_lifecycle_schema_migrations`, oldest first.
fn tracked(db: &TestDb) -> Vec<String> {
    versions_in(db, SCHEMA_MIGRATIONS_TABLE)
}

/// The versions recorded in `table`, oldest first.
fn versions_in(db: &TestDb, table: &str) -> Vec<String> {
    db.strings(&format!(
        "SELECT version AS v FROM {table} ORDER BY version"
    ))
    .into_iter()
    .flatten()
    .collect()
}

/// `version=run_on` of every row of `table`, oldest first.
fn run_on(db: &TestDb, table: &str) -> Vec<String> {
    let row = db.concat(&["version", "'='", &db.text_cast("run_on")]);
    db.strings(&format!("SELECT {row} AS v FROM {table} ORDER BY version"))
        .into_iter()
        .flatten()
        .collect()
}

/// The tables of the test database.
fn tables(db: &TestDb) -> Vec<String> {
    let listed = match db.backend() {
        Backend::Sqlite => "SELECT name AS v FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS v FROM information_schema.tables \
             WHERE table_schema = current_schema()"
        }
        Backend::Mysql => {
            "SELECT CAST(table_name AS CHAR) AS v FROM information_schema.tables \
             WHERE table_schema = DATABASE()"
        }
    };
    let mut tables: Vec<String> = db.strings(listed).into_iter().flatten().collect();
    tables.sort();
    tables
}

fn has_table(db: &TestDb, table: &str) -> bool {
    tables(db).iter().any(|t| t == table)
}

fn migrate(db: &TestDb) -> Result<Vec<String>, Error> {
    llm_lifecycle_runtime::migrate(&mut connect(db), &full_catalog())
}

fn a_fresh_database_records_the_runtimes_versions_in_its_own_table(db: &TestDb) {
    assert_eq!(migrate(db).unwrap(), strings(&RUN_ORDER));
    assert_eq!(tracked(db), strings(&RUNTIME_VERSIONS));
    // The host's table is not even created.
    assert!(
        !has_table(db, "__diesel_schema_migrations"),
        "{:?}",
        tables(db)
    );
    assert!(has_table(db, "llm_provider_models"));
    assert_eq!(migrate(db).unwrap(), Vec::<String>::new());
    assert_eq!(tracked(db), strings(&RUNTIME_VERSIONS));
}

/// The bug report: a diesel host ran its migrations, then `apply-models
/// migrate`; its `revert_last_migration` must still revert its own last one.
fn the_hosts_own_harness_reverts_redoes_and_lists_only_its_migrations(db: &TestDb) {
    // The host's first migration, then the runtime's schema, then the host's
    // second (its foreign key needs llm_provider_models).
    assert_eq!(
        host(db, Set::Host, Step::RunNext).unwrap(),
        [HOST_VERSIONS[0]]
    );
    assert_eq!(migrate(db).unwrap(), strings(&RUN_ORDER));
    assert_eq!(
        host(db, Set::Host, Step::RunPending).unwrap(),
        [HOST_VERSIONS[1]]
    );
    let newest_first = [HOST_VERSIONS[1], HOST_VERSIONS[0]];
    assert_eq!(host(db, Set::Host, Step::Applied).unwrap(), newest_first);

    // revert, then redo, the host's last migration.
    assert_eq!(
        host(db, Set::Host, Step::RevertLast).unwrap(),
        [HOST_VERSIONS[1]]
    );
    assert!(!has_table(db, "assistants"));
    assert_eq!(
        host(db, Set::Host, Step::RunPending).unwrap(),
        [HOST_VERSIONS[1]]
    );
    assert!(has_table(db, "assistants"));

    // The runtime finds nothing to do and never touched the host's rows.
    assert_eq!(migrate(db).unwrap(), Vec::<String>::new());
    assert_eq!(host(db, Set::Host, Step::Applied).unwrap(), newest_first);
    assert_eq!(
        versions_in(db, "__diesel_schema_migrations"),
        strings(&HOST_VERSIONS)
    );
    assert_eq!(tracked(db), strings(&RUNTIME_VERSIONS));
}

/// A database set up as the previous release left it: the runtime's versions
/// in the host's table, its model table created by the old 000001, data in it.
fn a_database_the_previous_release_migrated_is_upgraded_in_place(db: &TestDb) {
    assert_eq!(
        host(db, Set::Legacy, Step::RunPending).unwrap(),
        strings(&LEGACY_VERSIONS)
    );
    assert_eq!(
        host(db, Set::Host, Step::RunPending).unwrap(),
        strings(&HOST_VERSIONS)
    );
    // The bug: the host's harness finds the runtime's newest version first.
    let broken = host(db, Set::Host, Step::RevertLast).unwrap_err();
    assert!(broken.contains("20261201000001"), "{broken}");
    seed_model(db, 101, None, "openai/gpt-4-turbo", 128_000, false);
    seed_model(db, 102, None, "openai/gpt-4.1", 1_000_000, false);
    db.execute(
        "INSERT INTO teams (id, name) VALUES (1, 'team one');
         INSERT INTO assistants (id, team_id, name, llm_provider_model_id) VALUES (1, 1, 'helper', 101);
         INSERT INTO llm_lifecycle_runs (environment, catalog_digest, tool_version, status) \
         VALUES ('prod', 'old-digest', '0.0.1', 'succeeded');",
    );
    // A notice of the previous release, with a recipient and a delivery.
    db.execute(
        "INSERT INTO llm_model_notifications (id, team_id, slug, model, level, title, message, links, permission) \
         VALUES (41, 1, 'llm-model-deprecated', 'openai/gpt-4-turbo', 'warning', 't', 'm', '{}', 'p');
         INSERT INTO llm_model_notification_recipients (notification_id, user_id) VALUES (41, 7);
         INSERT INTO llm_model_notification_deliveries (notification_id, sink, attempts, delivered_at) \
         VALUES (41, 'chat', 1, CURRENT_TIMESTAMP);",
    );
    let legacy_run_on = run_on(db, "__diesel_schema_migrations");

    // Only the newer core migrations run: the versions move, the model table is adopted.
    assert_eq!(migrate(db).unwrap(), NEWER_THAN_LEGACY);
    // The notice kept its id, recipient and delivery (SQLite rebuilds the
    // table: its children must not be cascade-deleted), and is no reminder.
    assert_eq!(
        db.strings(&format!(
            "SELECT {} AS v FROM llm_model_notifications n \
             JOIN llm_model_notification_recipients r ON r.notification_id = n.id \
             JOIN llm_model_notification_deliveries d ON d.notification_id = n.id",
            db.concat(&[
                &db.text_cast("n.id"),
                "':'",
                &db.text_cast("n.reminder_days"),
                "':'",
                &db.text_cast("r.user_id"),
                "':'",
                "d.sink",
                "':'",
                &db.text_cast("CASE WHEN n.awaiting_recipients THEN 1 ELSE 0 END"),
            ])
        )),
        [Some("41:0:7:chat:0".to_owned())]
    );
    // No id is handed out twice: the next notice gets 42 or more (SQLite's
    // AUTOINCREMENT sequence survives the rebuild; MySQL's counter the ALTER.
    // A PostgreSQL sequence does not follow explicit ids, so it is set here).
    if db.backend() == Backend::Postgres {
        db.execute("SELECT setval(pg_get_serial_sequence('llm_model_notifications', 'id'), 41)");
    }
    db.execute(
        "INSERT INTO llm_model_notifications (team_id, slug, model, level, title, message, links, permission) \
         VALUES (1, 'llm-model-sunset', 'openai/gpt-4-turbo', 'warning', 't', 'm', '{}', 'p')",
    );
    assert_eq!(
        count(
            db,
            "llm_model_notifications WHERE id > 41 AND slug = 'llm-model-sunset'"
        ),
        1
    );
    db.execute("DELETE FROM llm_model_notifications WHERE slug = 'llm-model-sunset'");
    assert_eq!(tracked(db), strings(&RUNTIME_VERSIONS));
    let moved = run_on(db, SCHEMA_MIGRATIONS_TABLE);
    let legacy_rows: Vec<&String> = legacy_run_on
        .iter()
        .filter(|row| LEGACY_VERSIONS.iter().any(|v| row.starts_with(v)))
        .collect();
    assert_eq!(
        moved[..3].iter().collect::<Vec<_>>(),
        legacy_rows,
        "run_on kept"
    );
    let created_on = legacy_rows[0].split_once('=').unwrap().1;
    assert_eq!(moved[3], format!("{}={created_on}", RUNTIME_VERSIONS[3]));
    // The host's rows stay where they are, the table too.
    assert_eq!(
        versions_in(db, "__diesel_schema_migrations"),
        strings(&HOST_VERSIONS)
    );
    // The data survived.
    assert_eq!(global_id(db, "openai/gpt-4-turbo"), Some(101));
    assert_eq!(count(db, "llm_lifecycle_runs"), 1);
    assert_eq!(count(db, "assistants WHERE llm_provider_model_id = 101"), 1);

    // Idempotent.
    assert_eq!(migrate(db).unwrap(), Vec::<String>::new());
    assert_eq!(run_on(db, SCHEMA_MIGRATIONS_TABLE), moved);
    assert_eq!(
        versions_in(db, "__diesel_schema_migrations"),
        strings(&HOST_VERSIONS)
    );

    // An apply works on it: gpt-4-turbo is deleted, its assistant repointed.
    let catalogue = catalog(&format!(
        "{MODELS}
[[references]]
table = \"assistants\"
column = \"llm_provider_model_id\"
resource = \"assistant\"
team_column = \"team_id\"
name_column = \"name\"
"
    ));
    let report =
        llm_lifecycle_runtime::apply(&mut connect(db), &catalogue, &ApplyOptions::default())
            .unwrap();
    assert!(report.migrations.is_empty(), "{:?}", report.migrations);
    assert_eq!(report.counts.deleted, 1);
    assert_eq!(global_id(db, "openai/gpt-4-turbo"), None);
    assert_eq!(count(db, "assistants WHERE llm_provider_model_id = 102"), 1);
    assert_eq!(count(db, "llm_lifecycle_runs"), 2);

    // And the host's harness works again.
    assert_eq!(
        host(db, Set::Host, Step::RevertLast).unwrap(),
        [HOST_VERSIONS[1]]
    );
    assert_eq!(
        host(db, Set::Host, Step::Applied).unwrap(),
        [HOST_VERSIONS[0]]
    );
}

/// Somebody else's `llm_provider_models`: refused before any DDL, with what to do.
fn a_foreign_llm_provider_models_is_refused_before_any_ddl(db: &TestDb) {
    db.execute(
        "CREATE TABLE llm_provider_models (code VARCHAR(20) PRIMARY KEY, label VARCHAR(100))",
    );
    db.execute("INSERT INTO llm_provider_models (code, label) VALUES ('x', 'theirs')");
    let before = tables(db);
    let error = migrate(db).unwrap_err();
    assert!(
        matches!(error, Error::ForeignModelTable { .. }),
        "{error:?}"
    );
    assert_eq!(error.to_string(), FOREIGN_MODEL_TABLE);
    assert_eq!(tables(db), before, "nothing created");

    // On the command line: the refusal's exit code, one line, for `migrate` and `apply`.
    for command in ["migrate", "apply"] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(
            &catalog(MODELS),
            ["apply-models", "--database-url", db.url(), command],
            &mut out,
            &mut err,
        );
        let err = String::from_utf8(err).unwrap();
        assert_eq!(code, exit::REFUSED, "{command}: {err}");
        assert_eq!(err, format!("error: {FOREIGN_MODEL_TABLE}\n"), "{command}");
    }
    assert_eq!(tables(db), before, "nothing created");
    assert_eq!(
        db.string("SELECT label AS v FROM llm_provider_models WHERE code = 'x'"),
        "theirs"
    );
}

llm_lifecycle_test_support::backend_tests!(
    a_fresh_database_records_the_runtimes_versions_in_its_own_table,
    the_hosts_own_harness_reverts_redoes_and_lists_only_its_migrations,
    a_database_the_previous_release_migrated_is_upgraded_in_place,
    a_foreign_llm_provider_models_is_refused_before_any_ddl,
);
