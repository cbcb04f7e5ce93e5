//! The run ledger (`llm_lifecycle_runs`, one row per apply) and the event journal
//! (`llm_lifecycle_events`, one row per action). `history` reads the first; prune
//! reads the second to tell whether an environment applied a deletion.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Serialize;

use crate::db::dialect;
use crate::db::{Backend, Bind, Conn, Database, Query, Timeouts};
use crate::error::{Context, Error};
use crate::introspect;

/// This crate's version, recorded with every run.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where a run of the ledger stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RunStatus {
    /// Started and not finished: in progress, or its process died before
    /// COMMIT (then the row itself was rolled back and is never seen).
    Running,
    /// Committed.
    Succeeded,
    /// Failed and rolled back.
    Failed,
    /// Its plan was refused; nothing was written.
    Refused,
}

impl RunStatus {
    /// The word stored in `llm_lifecycle_runs.status`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Refused => "refused",
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status word the runtime never writes.
#[derive(Debug, thiserror::Error)]
#[error("unknown run status `{0}` in llm_lifecycle_runs (written by a newer llm-lifecycle?)")]
pub struct UnknownRunStatus(String);

impl<DB> diesel::deserialize::FromSql<Text, DB> for RunStatus
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        Ok(Self::try_from(String::from_sql(bytes)?)?)
    }
}

impl TryFrom<String> for RunStatus {
    type Error = UnknownRunStatus;

    fn try_from(word: String) -> Result<Self, Self::Error> {
        [Self::Running, Self::Succeeded, Self::Failed, Self::Refused]
            .into_iter()
            .find(|status| status.as_str() == word)
            .ok_or(UnknownRunStatus(word))
    }
}

/// What a run did, in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    /// Global rows created.
    pub created: i64,
    /// Global rows updated.
    pub updated: i64,
    /// Team rows merged into global rows.
    pub merged: i64,
    /// Referencing rows repointed to another model.
    pub repointed_rows: i64,
    /// Referencing rows cleared.
    pub cleared_rows: i64,
    /// Global rows deleted.
    pub deleted: i64,
    /// Global rows reported as unmanaged.
    pub unmanaged: i64,
    /// Team notifications written (teams told before are not counted again).
    pub notified: i64,
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, QueryableByName)]
pub struct RunRecord {
    /// Run id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// `--environment` of the run.
    #[diesel(sql_type = Text)]
    pub environment: String,
    /// Digest of the catalogue applied.
    #[diesel(sql_type = Text)]
    pub catalog_digest: String,
    /// Version of llm-lifecycle that ran.
    #[diesel(sql_type = Text)]
    pub tool_version: String,
    /// `succeeded`, `failed` or `refused`.
    #[diesel(sql_type = Text)]
    pub status: RunStatus,
    /// Why it failed.
    #[diesel(sql_type = Nullable<Text>)]
    pub error: Option<String>,
    /// When it started (database clock): `2026-12-01T21:34:50Z`, UTC, on every engine.
    #[diesel(sql_type = Text)]
    pub started_at: String,
    /// When it finished.
    #[diesel(sql_type = Nullable<Text>)]
    pub finished_at: Option<String>,
    /// Wall time in milliseconds.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub duration_ms: Option<i64>,
    /// Rows created.
    #[diesel(sql_type = BigInt)]
    pub created: i64,
    /// Rows updated.
    #[diesel(sql_type = BigInt)]
    pub updated: i64,
    /// Team rows merged.
    #[diesel(sql_type = BigInt)]
    pub merged: i64,
    /// References repointed.
    #[diesel(sql_type = BigInt)]
    pub repointed_rows: i64,
    /// References cleared.
    #[diesel(sql_type = BigInt)]
    pub cleared_rows: i64,
    /// Rows deleted.
    #[diesel(sql_type = BigInt)]
    pub deleted: i64,
    /// Unmanaged rows reported.
    #[diesel(sql_type = BigInt)]
    pub unmanaged: i64,
    /// Team notifications written.
    #[diesel(sql_type = BigInt)]
    pub notified: i64,
}

/// One journal row to write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Event {
    /// `created`, `updated`, `merged`, `repointed`, `cleared`, `deleted` or
    /// `notified` (the notices about one model: the number of teams told in
    /// `row_count`, the slug in `detail`, the replacement in `target_*`).
    pub(crate) action: &'static str,
    /// Provider of the model acted on.
    pub(crate) provider: String,
    /// Name of the model acted on.
    pub(crate) name: String,
    /// Its row id.
    pub(crate) model_id: Option<i64>,
    /// For team rows: the team.
    pub(crate) team_id: Option<i64>,
    /// Row id of the model references moved to.
    pub(crate) target_id: Option<i64>,
    /// Provider of the model references moved to.
    pub(crate) target_provider: Option<String>,
    /// Name of the model references moved to.
    pub(crate) target_name: Option<String>,
    /// For reference actions: the table.
    pub(crate) table_name: Option<String>,
    /// For reference actions: the column.
    pub(crate) column_name: Option<String>,
    /// For reference actions: how many rows.
    pub(crate) row_count: Option<i64>,
    /// Free text (e.g. what an update changed).
    pub(crate) detail: Option<String>,
}

/// A deletion that a committed run applied, as prune needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, QueryableByName)]
pub struct AppliedDeletion {
    /// Provider of the deleted model.
    #[diesel(sql_type = Text)]
    pub provider: String,
    /// Name of the deleted model.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// The run that deleted it.
    #[diesel(sql_type = BigInt)]
    pub run_id: i64,
    /// The run's environment.
    #[diesel(sql_type = Text)]
    pub environment: String,
    /// When the run finished.
    #[diesel(sql_type = Nullable<Text>)]
    pub finished_at: Option<String>,
}

/// A model row an earlier committed run removed (deleted, or merged into a
/// global row), as the journal records it: what a later apply looks for in
/// columns without a foreign key, where a late writer may still have put its id.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub(crate) struct RemovedRow {
    /// The removed row's id (no row has it now).
    #[diesel(sql_type = BigInt)]
    pub(crate) model_id: i64,
    /// `deleted` or `merged`.
    #[diesel(sql_type = Text)]
    pub(crate) action: String,
    /// Its provider.
    #[diesel(sql_type = Text)]
    pub(crate) provider: String,
    /// Its name.
    #[diesel(sql_type = Text)]
    pub(crate) name: String,
    /// For a merged team row: the team.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub(crate) team_id: Option<i64>,
}

/// The run ledger's table.
pub(crate) const RUNS_TABLE: &str = "llm_lifecycle_runs";

/// The event journal's table.
pub(crate) const EVENTS_TABLE: &str = "llm_lifecycle_events";

/// How long after a merge its team rows' ids are still looked for. A deleted
/// model's row id is looked for as long as `models.toml` lists it as deleted
/// (until it is pruned, like text references to it).
pub(crate) const MERGED_ROWS_LOOKED_FOR_DAYS: u32 = 30;

/// The rows earlier committed runs removed and that no row has the id of now,
/// oldest first; merged team rows only within [`MERGED_ROWS_LOOKED_FOR_DAYS`].
/// `model_table` and `id_column` name the model table and its id.
pub(crate) fn removed_rows(
    conn: &mut Conn<'_>,
    model_table: &str,
    id_column: &str,
) -> Result<Vec<RemovedRow>, Error> {
    if !introspect::table_exists(conn, EVENTS_TABLE)? {
        return Ok(Vec::new());
    }
    let recent = crate::db::dialect::of(conn.backend())
        .within_days("r.finished_at", MERGED_ROWS_LOOKED_FOR_DAYS);
    let query = Query::new(
        "SELECT e.model_id, e.action, e.provider, e.name, e.team_id \
         FROM llm_lifecycle_events e JOIN llm_lifecycle_runs r ON r.id = e.run_id \
         WHERE r.status = ",
    )
    .bind(Bind::Text(RunStatus::Succeeded.as_str().to_owned()))
    .sql(&format!(
        " AND e.model_id IS NOT NULL \
         AND (e.action = 'deleted' OR (e.action = 'merged' AND {recent})) \
         AND NOT EXISTS (SELECT 1 FROM {} p WHERE p.{} = e.model_id) ORDER BY e.id",
        crate::db::quote_ident(model_table),
        crate::db::quote_ident(id_column),
    ));
    conn.load(&query)
        .context(|| "reading the rows earlier runs removed from the event journal".into())
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn now(backend: Backend) -> &'static str {
    dialect::of(backend).clock()
}

/// Inserts a `running` ledger row; its id.
pub(crate) fn start_run(
    conn: &mut Conn<'_>,
    environment: &str,
    digest: &str,
) -> Result<i64, Error> {
    let mut query = Query::new(
        "INSERT INTO llm_lifecycle_runs (environment, catalog_digest, tool_version, status) VALUES ",
    );
    query.push_rows([[
        Bind::Text(environment.to_owned()),
        Bind::Text(digest.to_owned()),
        Bind::Text(TOOL_VERSION.to_owned()),
        Bind::Text(RunStatus::Running.as_str().to_owned()),
    ]]);
    let rows: Vec<IdRow> = if dialect::of(conn.backend()).insert_returning() {
        query.push_sql(" RETURNING id");
        conn.load(&query)
    } else {
        // The id this session's last insert generated.
        conn.execute(&query)
            .and_then(|_| conn.load(&Query::new("SELECT CAST(LAST_INSERT_ID() AS SIGNED) AS id")))
    }
    .context(|| "recording the run in the ledger".into())?;
    rows.first()
        .map(|row| row.id)
        .ok_or_else(|| Error::Diverged("the ledger insert returned no id".into()))
}

/// Completes a ledger row with its status, counts and timing.
pub(crate) fn finish_run(
    conn: &mut Conn<'_>,
    run_id: i64,
    status: RunStatus,
    error: Option<&str>,
    counts: &RunCounts,
    duration_ms: i64,
) -> Result<(), Error> {
    let query = set_columns(
        Query::new(format!(
            "UPDATE llm_lifecycle_runs SET finished_at = {}",
            now(conn.backend())
        )),
        [
            ("status", Bind::Text(status.as_str().to_owned())),
            ("error", Bind::NullableText(error.map(ToOwned::to_owned))),
            ("duration_ms", Bind::BigInt(duration_ms)),
            ("created", Bind::BigInt(counts.created)),
            ("updated", Bind::BigInt(counts.updated)),
            ("merged", Bind::BigInt(counts.merged)),
            ("repointed_rows", Bind::BigInt(counts.repointed_rows)),
            ("cleared_rows", Bind::BigInt(counts.cleared_rows)),
            ("deleted", Bind::BigInt(counts.deleted)),
            ("unmanaged", Bind::BigInt(counts.unmanaged)),
            ("notified", Bind::BigInt(counts.notified)),
        ],
    )
    .sql(" WHERE id = ")
    .bind(Bind::BigInt(run_id));
    conn.execute(&query)
        .context(|| format!("completing run {run_id} in the ledger"))?;
    // A phase boundary for logs and the crash tests: the apply's last
    // statement ran; what follows is its COMMIT.
    tracing::debug!(target: "llm_lifecycle::phase", phase = "run-finished", run_id, %status, "ledger row completed");
    Ok(())
}

/// Records a run that did not commit (`failed` or `refused`), in its own
/// transaction, so `history` shows it.
///
/// A refused run wrote nothing, so on a database the runtime has not migrated
/// yet the runtime's own schema is created first (under the apply lock) to
/// record it. A failed run is recorded only when the schema exists: its
/// failure may be the migration itself. `owned_model_table`: whether the
/// runtime's own `llm_provider_models` is part of that schema (no `[model_table]`).
/// `timeouts`: how long recording waits for locks (and statements run).
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_unsuccessful_run(
    db: &mut Database<'_>,
    timeouts: &Timeouts,
    owned_model_table: bool,
    environment: &str,
    digest: &str,
    status: RunStatus,
    error: &str,
    duration_ms: i64,
) -> Result<Option<i64>, Error> {
    if status == RunStatus::Refused {
        db.locked_session(timeouts, |conn| -> Result<(), Error> {
            if !introspect::table_exists(conn, RUNS_TABLE)? {
                crate::schema::run_pending(conn, owned_model_table)?;
            }
            Ok(())
        })?;
    }
    db.write_transaction(timeouts, |conn| {
        if !introspect::table_exists(conn, RUNS_TABLE)? {
            return Ok(None);
        }
        let run_id = start_run(conn, environment, digest)?;
        // The failed transaction rolled back any pending migration, so only the
        // columns of the first migration are written (the counts keep their
        // default of zero): recording must not depend on a later schema.
        let query = set_columns(
            Query::new(format!(
                "UPDATE llm_lifecycle_runs SET finished_at = {}",
                now(conn.backend())
            )),
            [
                ("status", Bind::Text(status.as_str().to_owned())),
                ("error", Bind::NullableText(Some(error.to_owned()))),
                ("duration_ms", Bind::BigInt(duration_ms)),
            ],
        )
        .sql(" WHERE id = ")
        .bind(Bind::BigInt(run_id));
        conn.execute(&query)
            .context(|| format!("recording the {status} run {run_id} in the ledger"))?;
        Ok(Some(run_id))
    })
}

/// `query` followed by `, column = <bound value>` for each pair.
fn set_columns<const N: usize>(mut query: Query, columns: [(&str, Bind); N]) -> Query {
    for (column, value) in columns {
        query
            .push_sql(", ")
            .push_sql(column)
            .push_sql(" = ")
            .push_bind(value);
    }
    query
}

/// Appends journal rows (multi-row inserts, a few hundred rows per statement).
pub(crate) fn journal(conn: &mut Conn<'_>, run_id: i64, events: &[Event]) -> Result<(), Error> {
    for chunk in events.chunks(500) {
        let mut query = Query::new(
            "INSERT INTO llm_lifecycle_events (run_id, action, provider, name, model_id, team_id, \
             target_id, target_provider, target_name, table_name, column_name, row_count, detail) \
             VALUES ",
        );
        query.push_rows(chunk.iter().map(|event| {
            [
                Bind::BigInt(run_id),
                Bind::Text(event.action.to_owned()),
                Bind::Text(event.provider.clone()),
                Bind::Text(event.name.clone()),
                Bind::NullableBigInt(event.model_id),
                Bind::NullableBigInt(event.team_id),
                Bind::NullableBigInt(event.target_id),
                Bind::NullableText(event.target_provider.clone()),
                Bind::NullableText(event.target_name.clone()),
                Bind::NullableText(event.table_name.clone()),
                Bind::NullableText(event.column_name.clone()),
                Bind::NullableBigInt(event.row_count),
                Bind::NullableText(event.detail.clone()),
            ]
        }));
        conn.execute(&query)
            .context(|| format!("writing the journal of run {run_id}"))?;
    }
    Ok(())
}

/// A timestamp column as `2026-12-01T21:34:50Z` (UTC, to the second), the same
/// text on every engine.
fn timestamp(backend: Backend, column: &str) -> String {
    dialect::of(backend).utc_text(column)
}

/// The columns of a [`RunRecord`], timestamps in one format on every engine.
///
/// `notified` comes with a later migration than the table: on MySQL, whose
/// migrations commit one by one, a deploy killed between the two leaves the
/// table without it until the next apply completes the schema, and the
/// ledger still reads (as 0 notices).
fn run_columns(conn: &mut Conn<'_>) -> Result<String, Error> {
    let backend = conn.backend();
    let present = introspect::columns(conn, &[RUNS_TABLE.to_owned()])?;
    let notified = if present.contains_key(&(RUNS_TABLE.to_owned(), "notified".to_owned())) {
        "notified".to_owned()
    } else {
        format!(
            "CAST(0 AS {}) AS notified",
            dialect::of(backend).integer_type()
        )
    };
    Ok(format!(
        "id, environment, catalog_digest, tool_version, status, error, \
         {} AS started_at, {} AS finished_at, duration_ms, \
         created, updated, merged, repointed_rows, cleared_rows, deleted, unmanaged, {notified}",
        timestamp(backend, "started_at"),
        timestamp(backend, "finished_at")
    ))
}

/// The latest `limit` runs, newest first (optionally of one environment).
/// Empty when the schema does not exist yet.
///
/// # Errors
/// [`Error::Database`] when the ledger cannot be read.
pub fn history(
    db: &mut Database<'_>,
    environment: Option<&str>,
    limit: u32,
) -> Result<Vec<RunRecord>, Error> {
    db.read_transaction(|conn| {
        if !introspect::table_exists(conn, RUNS_TABLE)? {
            return Ok(Vec::new());
        }
        let columns = run_columns(conn)?;
        let mut query = Query::new(format!("SELECT {columns} FROM llm_lifecycle_runs"));
        if let Some(environment) = environment {
            query
                .push_sql(" WHERE environment = ")
                .push_bind(Bind::Text(environment.to_owned()));
        }
        query
            .push_sql(" ORDER BY id DESC LIMIT ")
            .push_bind(Bind::BigInt(i64::from(limit)));
        conn.load(&query)
            .context(|| "reading the run ledger".into())
    })
}

/// The last run that committed in `environment`, if any.
///
/// # Errors
/// [`Error::Database`] when the ledger cannot be read.
pub fn last_successful_run(
    db: &mut Database<'_>,
    environment: &str,
) -> Result<Option<RunRecord>, Error> {
    db.read_transaction(|conn| {
        if !introspect::table_exists(conn, RUNS_TABLE)? {
            return Ok(None);
        }
        let columns = run_columns(conn)?;
        let query = Query::new(format!(
            "SELECT {columns} FROM llm_lifecycle_runs WHERE environment = "
        ))
        .bind(Bind::Text(environment.to_owned()))
        .sql(" AND status = ")
        .bind(Bind::Text(RunStatus::Succeeded.as_str().to_owned()))
        .sql(" ORDER BY id DESC LIMIT 1");
        let rows: Vec<RunRecord> = conn
            .load(&query)
            .context(|| "reading the run ledger".into())?;
        Ok(rows.into_iter().next())
    })
}

/// Every deletion of a global row recorded by a committed run, oldest first:
/// what `prune` reads to tell whether an environment applied a deletion.
///
/// # Errors
/// [`Error::Database`] when the journal cannot be read.
pub fn applied_deletions(db: &mut Database<'_>) -> Result<Vec<AppliedDeletion>, Error> {
    db.read_transaction(|conn| {
        if !introspect::table_exists(conn, EVENTS_TABLE)? {
            return Ok(Vec::new());
        }
        let query = Query::new(format!(
            "SELECT e.provider, e.name, e.run_id, r.environment, CAST(r.finished_at AS {}) AS finished_at \
             FROM llm_lifecycle_events e JOIN llm_lifecycle_runs r ON r.id = e.run_id \
             WHERE e.action = 'deleted' AND e.team_id IS NULL AND r.status = ",
            dialect::of(conn.backend()).text_type()
        ))
        .bind(Bind::Text(RunStatus::Succeeded.as_str().to_owned()))
        .sql(" ORDER BY e.id");
        conn.load(&query).context(|| "reading the event journal".into())
    })
}
