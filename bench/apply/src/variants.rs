//! The measured variants: the runtime's `apply` (with and without team
//! notifications, in one transaction or with `--batch-size`), the
//! hand-written optimal SQL, and one `UPDATE` per row. Each runs on a fresh
//! copy of the base data set; only the work itself is timed (connections are
//! opened before the clock starts), between the [`START`] and [`END`] lines
//! the child prints, which start and stop the parent's writer and monitor.

use std::io::Write as _;
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::{ApplyOptions, Database, DatabaseUrl, apply};

use crate::dataset::{ModelIds, array, list, text_list};
use crate::engine::{Conn, Engine};
use crate::memory::{self, Memory};

/// One way of deleting the models and moving their references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// `llm_lifecycle_runtime::apply`, references declared with team and name:
    /// affected teams computed and notifications written.
    Apply,
    /// The same apply with `[[references]]` that name no team (the runtime
    /// has no switch for notifications; this is how a catalogue opts out).
    ApplyWithoutNotices,
    /// [`Apply`](Self::Apply) with `ApplyOptions::batch_size` (`--batch-size`).
    ApplyBatched,
    /// [`ApplyWithoutNotices`](Self::ApplyWithoutNotices) with `--batch-size`.
    ApplyBatchedWithoutNotices,
    /// One `UPDATE … FROM (VALUES old→new)` per table, one `DELETE`, one transaction.
    Baseline,
    /// The baseline plus the teams' notices written by hand as one
    /// `INSERT … SELECT` (same texts, counts and links as the runtime's):
    /// what the full apply does, hand-written.
    BaselineWithNotices,
    /// Load every referencing row, one `UPDATE … WHERE id = ?` per row, one `DELETE`.
    PerRow,
}

impl Variant {
    /// Every variant, as named on the child's command line.
    pub(crate) const ALL: [Self; 7] = [
        Self::Apply,
        Self::ApplyWithoutNotices,
        Self::ApplyBatched,
        Self::ApplyBatchedWithoutNotices,
        Self::Baseline,
        Self::BaselineWithNotices,
        Self::PerRow,
    ];

    /// The name a child process is told.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::ApplyWithoutNotices => "apply-without-notices",
            Self::ApplyBatched => "apply-batched",
            Self::ApplyBatchedWithoutNotices => "apply-batched-without-notices",
            Self::Baseline => "baseline",
            Self::BaselineWithNotices => "baseline-with-notices",
            Self::PerRow => "per-row",
        }
    }

    /// The variant named `key`.
    pub(crate) fn from_key(key: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|variant| variant.key() == key)
            .with_context(|| {
                let keys: Vec<&str> = Self::ALL.iter().map(|v| v.key()).collect();
                format!("unknown variant {key} (one of {})", keys.join(", "))
            })
    }

    /// The row label of the results table.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Apply => "apply (runtime, notifications)",
            Self::ApplyWithoutNotices => "apply, refs without team (no notices)",
            Self::ApplyBatched => "apply --batch-size (notifications)",
            Self::ApplyBatchedWithoutNotices => "apply --batch-size, no notices",
            Self::Baseline => "baseline: hand-written SQL",
            Self::BaselineWithNotices => "hand-written SQL + notices",
            Self::PerRow => "one UPDATE per row",
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// Wall time of the work (apply call / transaction), commit included.
    pub(crate) wall: Duration,
    /// Resident memory before and peak during the work.
    pub(crate) memory: Memory,
    /// Referencing rows moved.
    pub(crate) rows: i64,
    /// Notifications written (apply only).
    pub(crate) notified: i64,
    /// The apply's own `duration_ms` (apply only).
    pub(crate) runtime_ms: Option<i64>,
    /// A second apply right after, finding nothing to do (apply only).
    pub(crate) noop: Option<Duration>,
}

/// The catalogues and ids the variants need.
#[derive(Debug)]
pub(crate) struct Inputs<'a> {
    /// The new catalogue, references with team and name.
    pub(crate) with_teams: &'a Catalog,
    /// The new catalogue, references without team.
    pub(crate) without_teams: &'a Catalog,
    /// Model row ids of the base data set.
    pub(crate) ids: &'a ModelIds,
    /// The batched variants' `ApplyOptions::batch_size`.
    pub(crate) batch_size: Option<NonZeroU64>,
}

/// The line a child prints just before the measured call starts.
pub(crate) const START: &str = "@@llm-apply-bench: start";
/// The line a child prints just after the measured call returns.
pub(crate) const END: &str = "@@llm-apply-bench: end";

/// Prints a mark line on stdout (flushed: the parent acts on it at once).
fn mark(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

impl Sample {
    /// One line of JSON, as a child process reports it.
    pub(crate) fn to_json(self) -> String {
        serde_json::json!({
            "wall_ns": u64::try_from(self.wall.as_nanos()).unwrap_or(u64::MAX),
            "before_kib": self.memory.before_kib,
            "peak_kib": self.memory.peak_kib,
            "reset": self.memory.reset,
            "rows": self.rows,
            "notified": self.notified,
            "runtime_ms": self.runtime_ms,
            "noop_ns": self.noop.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        })
        .to_string()
    }

    /// Reads what [`to_json`](Self::to_json) wrote.
    pub(crate) fn from_json(line: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(line.trim())
            .with_context(|| format!("reading the child's result {line:?}"))?;
        let u = |key: &str| value[key].as_u64();
        let i = |key: &str| value[key].as_i64();
        Ok(Self {
            wall: Duration::from_nanos(u("wall_ns").context("wall_ns")?),
            memory: Memory {
                before_kib: u("before_kib").unwrap_or_default(),
                peak_kib: u("peak_kib").unwrap_or_default(),
                reset: value["reset"].as_bool().unwrap_or_default(),
            },
            rows: i("rows").context("rows")?,
            notified: i("notified").unwrap_or_default(),
            runtime_ms: i("runtime_ms"),
            noop: u("noop_ns").map(Duration::from_nanos),
        })
    }
}

/// Runs `variant` on the database at `url`.
pub(crate) fn run(variant: Variant, url: &str, inputs: &Inputs<'_>) -> Result<Sample> {
    match variant {
        Variant::Apply => run_apply(url, inputs.with_teams, None),
        Variant::ApplyWithoutNotices => run_apply(url, inputs.without_teams, None),
        Variant::ApplyBatched => run_apply(url, inputs.with_teams, inputs.batch_size),
        Variant::ApplyBatchedWithoutNotices => {
            run_apply(url, inputs.without_teams, inputs.batch_size)
        }
        Variant::Baseline => run_sql(url, inputs.ids, baseline),
        Variant::BaselineWithNotices => run_sql(url, inputs.ids, baseline_with_notices),
        Variant::PerRow => run_sql(url, inputs.ids, per_row),
    }
}

fn run_apply(url: &str, catalog: &Catalog, batch_size: Option<NonZeroU64>) -> Result<Sample> {
    let mut db = Database::connect(&DatabaseUrl::parse(url)?)?;
    let options = ApplyOptions {
        environment: "bench".to_owned(),
        batch_size,
        ..ApplyOptions::default()
    };
    mark(START);
    let ((report, wall), memory) = memory::measure(|| {
        let started = Instant::now();
        let report = apply(&mut db, catalog, &options);
        (report, started.elapsed())
    });
    mark(END);
    let report = report.context("the measured apply")?;
    let started = Instant::now();
    let again = apply(&mut db, catalog, &options).context("the second (no-op) apply")?;
    let noop = started.elapsed();
    if !again.plan.is_noop() {
        bail!("the second apply was not a no-op: {:?}", again.counts);
    }
    Ok(Sample {
        wall,
        memory,
        rows: report.counts.repointed_rows + report.counts.cleared_rows,
        notified: report.counts.notified,
        runtime_ms: Some(report.duration_ms),
        noop: Some(noop),
    })
}

/// Rows moved and notices written.
type Work = fn(&mut Conn, &ModelIds) -> Result<(i64, i64)>;

fn run_sql(url: &str, ids: &ModelIds, work: Work) -> Result<Sample> {
    let mut conn = Conn::establish(url)?;
    conn.batch("SELECT 1")?;
    mark(START);
    let ((outcome, wall), memory) = memory::measure(|| {
        let started = Instant::now();
        let outcome = conn.transaction(|conn| work(conn, ids));
        (outcome, started.elapsed())
    });
    mark(END);
    let (rows, notified) = outcome?;
    Ok(Sample {
        wall,
        memory,
        rows,
        notified,
        runtime_ms: None,
        noop: None,
    })
}

fn delete_models(conn: &mut Conn, ids: &ModelIds) -> Result<()> {
    let deleted = match conn.engine() {
        Engine::Postgres => conn.execute(&format!(
            "DELETE FROM llm_provider_models WHERE id = ANY({})",
            array(&ids.deleted())
        ))?,
        Engine::Mariadb => conn.execute(&format!(
            "DELETE FROM llm_provider_models WHERE id IN ({})",
            list(&ids.deleted())
        ))?,
    };
    ensure!(
        deleted == ids.mapping.len(),
        "deleted {deleted} model rows, expected {}",
        ids.mapping.len()
    );
    Ok(())
}

/// The hand-written optimal SQL: one `UPDATE` per table, one `DELETE`.
fn baseline(conn: &mut Conn, ids: &ModelIds) -> Result<(i64, i64)> {
    Ok((repoint_and_delete(conn, ids)?, 0))
}

/// The baseline, the notices first (as the runtime does: before references
/// move): per deleted model and team, the distinct resources of each kind,
/// the runtime's notice texts and a `name → table#id` link map, in one statement.
fn baseline_with_notices(conn: &mut Conn, ids: &ModelIds) -> Result<(i64, i64)> {
    if conn.engine() == Engine::Mariadb {
        return baseline_with_notices_mysql(conn, ids);
    }
    let m = ids.mapping_sql();
    let dead = array(&ids.deleted());
    let notices = conn.execute(&format!(
        "INSERT INTO llm_model_notifications (team_id, slug, model, level, title, message, links, permission) \
         SELECT g.team_id, 'llm-model-deleted', o.provider || '/' || o.name, 'warning', \
           'LLM Model ''' || o.provider || '/' || o.name || ''' Removed', \
           'The model ''' || o.provider || '/' || o.name || ''' has been removed from the platform. ' || \
           concat_ws(', ', nullif(g.assistants, 0) || ' assistant(s)', nullif(g.pipelines, 0) || ' pipeline(s)') || \
           ' were affected. References have been automatically updated to use ''' || t.provider || '/' || t.name || '''.', \
           g.links, 'service_providers.change_llmprovidermodel' \
         FROM (SELECT r.old_id, r.team_id, \
                 count(*) FILTER (WHERE r.kind = 'assistant') AS assistants, \
                 count(*) FILTER (WHERE r.kind = 'pipeline') AS pipelines, \
                 jsonb_object_agg(r.name, r.link) AS links \
               FROM (SELECT DISTINCT a.llm_provider_model_id AS old_id, a.team_id, 'assistant' AS kind, \
                       a.name, 'assistants#' || a.id AS link \
                     FROM assistants a WHERE a.llm_provider_model_id = ANY({dead}) \
                     UNION ALL \
                     SELECT DISTINCT (n.params ->> 'llm_provider_model_id')::bigint, p.team_id, 'pipeline', \
                       p.name, 'pipelines#' || p.id \
                     FROM pipeline_nodes n JOIN pipelines p ON p.id = n.pipeline_id \
                     WHERE n.params ->> 'llm_provider_model_id' = ANY({dead}::text[])) r \
               GROUP BY r.old_id, r.team_id) g \
         JOIN {m} ON m.old_id = g.old_id \
         JOIN llm_provider_models o ON o.id = g.old_id \
         JOIN llm_provider_models t ON t.id = m.new_id \
         ON CONFLICT (team_id, slug, model, reminder_days) DO NOTHING"
    ))?;
    Ok((repoint_and_delete(conn, ids)?, i64::try_from(notices)?))
}

/// One `UPDATE` per table, one `DELETE`; the rows moved.
fn repoint_and_delete(conn: &mut Conn, ids: &ModelIds) -> Result<i64> {
    if conn.engine() == Engine::Mariadb {
        return repoint_and_delete_mysql(conn, ids);
    }
    let m = ids.mapping_sql();
    let assistants = conn.execute(&format!(
        "UPDATE assistants SET llm_provider_model_id = m.new_id FROM {m} \
         WHERE assistants.llm_provider_model_id = m.old_id"
    ))?;
    let nodes = conn.execute(&format!(
        "UPDATE pipeline_nodes \
         SET params = jsonb_set(params, '{{llm_provider_model_id}}', to_jsonb(m.new_id)) FROM {m} \
         WHERE pipeline_nodes.params ->> 'llm_provider_model_id' = m.old_id::text"
    ))?;
    delete_models(conn, ids)?;
    Ok(i64::try_from(assistants + nodes)?)
}

/// The JSON key's value as text, a string's contents for a string (MariaDB's
/// `JSON_VALUE`; `->>` on PostgreSQL).
const NODE_KEY_MYSQL: &str = "JSON_VALUE(n.params, '$.llm_provider_model_id')";

/// The hand-written optimal SQL on MariaDB, the same work as on PostgreSQL:
/// one `UPDATE` per table, one `DELETE`. The mapping is a `CASE` over the 20
/// old ids and the rows are picked by an `IN` list of them (assistants
/// through the foreign key's index; nodes by one `JSON_VALUE` per row, the
/// key's value as text, a string's contents, as `->>` gives it, and the
/// column's `json_valid` check means every value parses). `JSON_SET` writes
/// the new id as a number and keeps every other key. (`UPDATE … JOIN
/// (SELECT … UNION ALL …) m` reaches the same rows, but MariaDB 10.11 plans
/// the 20-row derived table as the outer side and scans the nodes once per
/// mapping row when the mapping is written inline: 25 s against 1.2 s for
/// the nodes at full scale, and still 7 times slower with `STRAIGHT_JOIN` at
/// 1/10 scale.)
fn repoint_and_delete_mysql(conn: &mut Conn, ids: &ModelIds) -> Result<i64> {
    let dead = list(&ids.deleted());
    let dead_text = text_list(&ids.deleted());
    let assistants = conn.execute(&format!(
        "UPDATE assistants SET llm_provider_model_id = {} WHERE llm_provider_model_id IN ({dead})",
        ids.case_sql_mysql("llm_provider_model_id", false)
    ))?;
    let nodes = conn.execute(&format!(
        "UPDATE pipeline_nodes n \
         SET n.params = JSON_SET(n.params, '$.llm_provider_model_id', {}) \
         WHERE {NODE_KEY_MYSQL} IN ({dead_text})",
        ids.case_sql_mysql(NODE_KEY_MYSQL, true)
    ))?;
    delete_models(conn, ids)?;
    Ok(i64::try_from(assistants + nodes)?)
}

/// [`baseline_with_notices`] on MariaDB: the same notices (texts, counts and a
/// `name → table#id` object of links per team) in one `INSERT IGNORE …
/// SELECT` (`JSON_OBJECTAGG` for the links; the runtime's insert is `INSERT
/// IGNORE` too), then the same repointing. The affected pipelines are found
/// as distinct `(old id, pipeline_id)` pairs of the nodes, then joined to
/// their pipelines: MariaDB 10.11 otherwise drives the join from the
/// pipelines and reads the nodes through their foreign key's index (8.4 s
/// instead of 0.7 s for the join alone at full scale), and `DISTINCT` over
/// two integers costs less than over names and links. Assistants need no
/// `DISTINCT` (one row per assistant).
fn baseline_with_notices_mysql(conn: &mut Conn, ids: &ModelIds) -> Result<(i64, i64)> {
    let m = ids.mapping_sql_mysql();
    let dead = list(&ids.deleted());
    let dead_text = text_list(&ids.deleted());
    let notices = conn.execute(&format!(
        "INSERT IGNORE INTO llm_model_notifications \
           (team_id, slug, model, level, title, message, links, permission) \
         SELECT g.team_id, 'llm-model-deleted', CONCAT(o.provider, '/', o.name), 'warning', \
           CONCAT('LLM Model ''', o.provider, '/', o.name, ''' Removed'), \
           CONCAT('The model ''', o.provider, '/', o.name, ''' has been removed from the platform. ', \
             CONCAT_WS(', ', CONCAT(NULLIF(g.assistants, 0), ' assistant(s)'), \
                       CONCAT(NULLIF(g.pipelines, 0), ' pipeline(s)')), \
             ' were affected. References have been automatically updated to use ''', \
             t.provider, '/', t.name, '''.'), \
           g.links, 'service_providers.change_llmprovidermodel' \
         FROM (SELECT r.old_id, r.team_id, \
                 SUM(r.kind = 'assistant') AS assistants, \
                 SUM(r.kind = 'pipeline') AS pipelines, \
                 JSON_OBJECTAGG(r.name, r.link) AS links \
               FROM (SELECT a.llm_provider_model_id AS old_id, a.team_id, \
                       'assistant' AS kind, a.name, CONCAT('assistants#', a.id) AS link \
                     FROM assistants a WHERE a.llm_provider_model_id IN ({dead}) \
                     UNION ALL \
                     SELECT d.old_id, p.team_id, 'pipeline', p.name, CONCAT('pipelines#', p.id) \
                     FROM (SELECT DISTINCT CAST({NODE_KEY_MYSQL} AS SIGNED) AS old_id, n.pipeline_id \
                           FROM pipeline_nodes n WHERE {NODE_KEY_MYSQL} IN ({dead_text})) d \
                     JOIN pipelines p ON p.id = d.pipeline_id) r \
               GROUP BY r.old_id, r.team_id) g \
         JOIN {m} ON m.old_id = g.old_id \
         JOIN llm_provider_models o ON o.id = g.old_id \
         JOIN llm_provider_models t ON t.id = m.new_id"
    ))?;
    Ok((repoint_and_delete(conn, ids)?, i64::try_from(notices)?))
}

#[derive(QueryableByName)]
struct RowToMove {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    new_id: i64,
}

#[derive(QueryableByName)]
struct NodeToMove {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    params: String,
    #[diesel(sql_type = BigInt)]
    new_id: i64,
}

/// What an ORM loop does: load the rows, save each one back.
fn per_row(conn: &mut Conn, ids: &ModelIds) -> Result<(i64, i64)> {
    let (m, key_match, params) = match conn.engine() {
        Engine::Postgres => (
            ids.mapping_sql(),
            "p.params ->> 'llm_provider_model_id' = m.old_id::text",
            "p.params::text",
        ),
        Engine::Mariadb => (
            ids.mapping_sql_mysql(),
            "JSON_VALUE(p.params, '$.llm_provider_model_id') = m.old_key",
            "p.params",
        ),
    };
    let assistants: Vec<RowToMove> = conn.load(&format!(
        "SELECT a.id, m.new_id FROM assistants a JOIN {m} ON a.llm_provider_model_id = m.old_id"
    ))?;
    for row in &assistants {
        match conn {
            Conn::Pg(conn) => {
                diesel::sql_query("UPDATE assistants SET llm_provider_model_id = $1 WHERE id = $2")
                    .bind::<BigInt, _>(row.new_id)
                    .bind::<BigInt, _>(row.id)
                    .execute(conn)?
            }
            Conn::Mysql(conn) => {
                diesel::sql_query("UPDATE assistants SET llm_provider_model_id = ? WHERE id = ?")
                    .bind::<BigInt, _>(row.new_id)
                    .bind::<BigInt, _>(row.id)
                    .execute(conn)?
            }
        };
    }
    let nodes: Vec<NodeToMove> = conn.load(&format!(
        "SELECT p.id, {params} AS params, m.new_id FROM pipeline_nodes p JOIN {m} ON {key_match}"
    ))?;
    for node in &nodes {
        let mut params: serde_json::Value = serde_json::from_str(&node.params)?;
        if let Some(object) = params.as_object_mut() {
            object.insert("llm_provider_model_id".to_owned(), node.new_id.into());
        }
        match conn {
            Conn::Pg(conn) => diesel::sql_query(
                "UPDATE pipeline_nodes SET params = CAST($1 AS jsonb) WHERE id = $2",
            )
            .bind::<Text, _>(params.to_string())
            .bind::<BigInt, _>(node.id)
            .execute(conn)?,
            Conn::Mysql(conn) => {
                diesel::sql_query("UPDATE pipeline_nodes SET params = ? WHERE id = ?")
                    .bind::<Text, _>(params.to_string())
                    .bind::<BigInt, _>(node.id)
                    .execute(conn)?
            }
        };
    }
    delete_models(conn, ids)?;
    Ok((i64::try_from(assistants.len() + nodes.len())?, 0))
}
