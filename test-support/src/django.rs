//! The reference platform's schema exactly as Django creates it, so tests can
//! adopt a host model table that Django made.
//!
//! `fixtures/django/project/` is a minimal Django project whose models mirror
//! the reference platform (Open Chat Studio): `teams.Team`,
//! `service_providers.LlmProviderModel` (the model table, [`MODEL_TABLE`]),
//! and the tables that reference it ([`MODEL_REFERENCES`]): two foreign keys
//! from `experiments.Experiment`, a `PROTECT`ed NOT NULL one from
//! `assistants.OpenAiAssistant`, and `pipelines.Node`, whose JSON `params`
//! hold the model's id ([`NODE_PARAMS_MODEL_KEY`]) mirrored in a real foreign
//! key of the same row. `fixtures/django/{postgres,sqlite,mysql}.sql` are the
//! DDL Django's `manage.py sqlmigrate` emits for its migrations, verbatim
//! after a header naming the Django version and the server it ran against.
//!
//! What Django's DDL is like, and what tests adopting it meet:
//! - no `DEFAULT`s: Django applies `default=`, `auto_now_add` and `auto_now`
//!   in Python, so an insert must give every NOT NULL column;
//! - no `ON DELETE` action: `on_delete=CASCADE/SET_NULL/PROTECT` is the ORM's
//!   (see [`ModelReference::on_delete`]);
//! - foreign keys are `DEFERRABLE INITIALLY DEFERRED` on PostgreSQL and SQLite
//!   (MySQL has no deferrable constraints);
//! - the model table's uniqueness is `UNIQUE (team_id, name, type,
//!   max_token_limit)` with a nullable `team_id`, so global rows (NULL team)
//!   are never duplicates of each other for the database;
//! - ids are `bigint` identity (PostgreSQL), `bigint AUTO_INCREMENT` (MySQL),
//!   `integer … AUTOINCREMENT` (SQLite); JSON is `jsonb`, MariaDB's `json`
//!   (`longtext` with a `JSON_VALID` check) and SQLite `text` with a check.
//!
//! **Regenerate** (after changing a model or bumping Django in
//! `requirements.txt`): `test-support/fixtures/django/regenerate.sh`. It needs
//! Python 3 with venv and pip, PyPI, and the local PostgreSQL
//! (127.0.0.1:5432, user `postgres`, trust) and MariaDB (127.0.0.1:3306, root
//! without a password) servers, on which `sqlmigrate` reads a scratch
//! database; it writes any missing migration and the three `.sql` files.
//! Commit them all: CI does not run it.

use diesel::Connection;
use diesel::sqlite::SqliteConnection;

use crate::{Backend, MysqlConnection, PgConnection, TestDb};

/// The Django version that generated the fixture (pinned in
/// `fixtures/django/requirements.txt`; named in each `.sql` header).
pub const DJANGO_VERSION: &str = "5.2.19";

/// The host model table (`service_providers.LlmProviderModel`): `id`, `type`
/// varchar(255), `name` varchar(128), `max_token_limit` (non-negative
/// integer), `deprecated`, `created_at`, `updated_at`, `team_id` (nullable).
pub const MODEL_TABLE: &str = "service_providers_llmprovidermodel";

/// The teams table (`teams.Team`: `id`, `name`, unique `slug`).
pub const TEAM_TABLE: &str = "teams_team";

/// The name of the model table's unique constraint on `(team_id, name, type,
/// max_token_limit)`.
pub const MODEL_UNIQUE_CONSTRAINT: &str = "unique_team_name_type_max_token_limit";

/// Every table of the fixture, in creation order.
pub const TABLES: [&str; 6] = [
    TEAM_TABLE,
    MODEL_TABLE,
    "assistants_openaiassistant",
    "experiments_experiment",
    "pipelines_pipeline",
    "pipelines_node",
];

/// The key of `pipelines_node.params` (JSON) holding the model's id, the
/// value of the same row's `llm_provider_model_id`.
pub const NODE_PARAMS_MODEL_KEY: &str = "llm_provider_model_id";

/// A foreign key column to [`MODEL_TABLE`]`.id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelReference {
    /// The referencing table.
    pub table: &'static str,
    /// Its column.
    pub column: &'static str,
    /// Whether the column is nullable.
    pub nullable: bool,
    /// Django's `on_delete` (`SET_NULL`, `PROTECT`): enforced by the ORM, not
    /// in the DDL.
    pub on_delete: &'static str,
}

/// Every foreign key to the model table (the team's is not one).
pub const MODEL_REFERENCES: [ModelReference; 4] = [
    ModelReference {
        table: "assistants_openaiassistant",
        column: "llm_provider_model_id",
        nullable: false,
        on_delete: "PROTECT",
    },
    ModelReference {
        table: "experiments_experiment",
        column: "llm_provider_model_id",
        nullable: true,
        on_delete: "SET_NULL",
    },
    ModelReference {
        table: "experiments_experiment",
        column: "translation_llm_provider_model_id",
        nullable: true,
        on_delete: "SET_NULL",
    },
    ModelReference {
        table: "pipelines_node",
        column: "llm_provider_model_id",
        nullable: true,
        on_delete: "SET_NULL",
    },
];

/// The fixture file of `backend`, verbatim (header and Django's comments and
/// transaction wrappers included).
#[must_use]
pub fn sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => include_str!("../fixtures/django/postgres.sql"),
        Backend::Sqlite => include_str!("../fixtures/django/sqlite.sql"),
        Backend::Mysql => include_str!("../fixtures/django/mysql.sql"),
    }
}

/// The statements of [`sql`]`(backend)`, without their `;`: `--` comment lines
/// and blank lines dropped, lines joined until one ends with `;` (Django
/// writes one statement per line, string literals never end one), `BEGIN` and
/// `COMMIT` (sqlmigrate's wrapper of each migration) left out.
#[must_use]
pub fn statements(backend: Backend) -> Vec<String> {
    split(sql(backend))
}

fn split(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("--") {
            continue;
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
        if let Some(statement) = current.strip_suffix(';') {
            let statement = statement.trim_end();
            if !statement.eq_ignore_ascii_case("BEGIN") && !statement.eq_ignore_ascii_case("COMMIT")
            {
                statements.push(statement.to_owned());
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        statements.push(current);
    }
    statements
}

/// Creates the fixture's tables in `db`, as Django's migrations would (without
/// Django's `django_migrations` history table): its backend's [`statements`]
/// one by one on one connection.
///
/// # Panics
/// When the database cannot be reached or a statement fails (naming it).
#[allow(clippy::panic)]
pub fn create_schema(db: &TestDb) {
    let statements = statements(db.backend());
    let result = match db.backend() {
        Backend::Sqlite => run::<SqliteConnection>(db.url(), &statements),
        Backend::Postgres => run::<PgConnection>(db.url(), &statements),
        Backend::Mysql => run::<MysqlConnection>(db.url(), &statements),
    };
    if let Err(e) = result {
        panic!("Django fixture schema on {:?}: {e}", db.backend());
    }
}

fn run<C: Connection>(url: &str, statements: &[String]) -> Result<(), String> {
    let mut conn = C::establish(url).map_err(|e| format!("connect: {e}"))?;
    for statement in statements {
        conn.batch_execute(statement)
            .map_err(|e| format!("{e}\n{statement}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_on_terminated_lines_and_drops_comments_and_wrappers() {
        let sql = "-- header\n\nBEGIN;\n--\n-- Create model X\n--\nCREATE TABLE \"x\" (\"a\" int);\n\
                   CREATE INDEX \"i\"\n  ON \"x\" (\"a\");\nCOMMIT;\n";
        assert_eq!(
            split(sql),
            [
                "CREATE TABLE \"x\" (\"a\" int)",
                "CREATE INDEX \"i\"\nON \"x\" (\"a\")"
            ]
        );
    }
}
