//! Checks that every variant leaves the data in the same state: a fingerprint
//! of the referencing columns after the run, compared with the state the
//! mapping predicts (computed on the base data set before any run).

use anyhow::{Context, Result};
use diesel::QueryableByName;
use diesel::sql_types::BigInt;

use crate::dataset::{ModelIds, array, list};
use crate::engine::{Conn, Engine};

/// What the referencing columns and the model rows add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub(crate) struct Fingerprint {
    /// Assistants still pointing at a deleted model.
    #[diesel(sql_type = BigInt)]
    pub(crate) dead_assistants: i64,
    /// Sum of the assistants' model ids.
    #[diesel(sql_type = BigInt)]
    pub(crate) assistants_sum: i64,
    /// Nodes still pointing at a deleted model.
    #[diesel(sql_type = BigInt)]
    pub(crate) dead_nodes: i64,
    /// Sum of the nodes' model ids.
    #[diesel(sql_type = BigInt)]
    pub(crate) nodes_sum: i64,
    /// Nodes holding the id as a JSON string.
    #[diesel(sql_type = BigInt)]
    pub(crate) string_nodes: i64,
    /// Global model rows.
    #[diesel(sql_type = BigInt)]
    pub(crate) global_models: i64,
}

/// The expected end state, and how many rows a run must repoint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expected {
    pub(crate) fingerprint: Fingerprint,
    pub(crate) repointed_rows: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The fingerprint of the database at `url` now.
pub(crate) fn fingerprint(url: &str, ids: &ModelIds) -> Result<Fingerprint> {
    let mut conn = Conn::establish(url)?;
    if conn.engine() == Engine::Mariadb {
        return fingerprint_mysql(&mut conn, ids);
    }
    let dead = array(&ids.deleted());
    let sql = format!(
        "SELECT
           (SELECT count(*) FROM assistants WHERE llm_provider_model_id = ANY({dead})) AS dead_assistants,
           (SELECT coalesce(sum(llm_provider_model_id), 0)::bigint FROM assistants) AS assistants_sum,
           (SELECT count(*) FROM pipeline_nodes
             WHERE (params ->> 'llm_provider_model_id')::bigint = ANY({dead})) AS dead_nodes,
           (SELECT coalesce(sum((params ->> 'llm_provider_model_id')::bigint), 0)::bigint
              FROM pipeline_nodes) AS nodes_sum,
           (SELECT count(*) FROM pipeline_nodes
             WHERE jsonb_typeof(params -> 'llm_provider_model_id') = 'string') AS string_nodes,
           (SELECT count(*) FROM llm_provider_models WHERE team_id IS NULL) AS global_models"
    );
    conn.get(&sql)
        .context("fingerprinting the referencing columns")
}

/// The model id a node's JSON holds, as an integer (MariaDB).
const NODE_MODEL_MYSQL: &str = "CAST(JSON_VALUE(params, '$.llm_provider_model_id') AS SIGNED)";

/// [`fingerprint`] on MariaDB: the same sums and counts (`SUM` of integers is
/// a `DECIMAL` there, cast back to `BIGINT`).
fn fingerprint_mysql(conn: &mut Conn, ids: &ModelIds) -> Result<Fingerprint> {
    let dead = list(&ids.deleted());
    let sql = format!(
        "SELECT
           (SELECT COUNT(*) FROM assistants WHERE llm_provider_model_id IN ({dead})) AS dead_assistants,
           (SELECT CAST(COALESCE(SUM(llm_provider_model_id), 0) AS SIGNED) FROM assistants)
             AS assistants_sum,
           (SELECT COUNT(*) FROM pipeline_nodes WHERE {NODE_MODEL_MYSQL} IN ({dead})) AS dead_nodes,
           (SELECT CAST(COALESCE(SUM({NODE_MODEL_MYSQL}), 0) AS SIGNED) FROM pipeline_nodes)
             AS nodes_sum,
           (SELECT COUNT(*) FROM pipeline_nodes
             WHERE JSON_TYPE(JSON_EXTRACT(params, '$.llm_provider_model_id')) = 'STRING')
             AS string_nodes,
           (SELECT COUNT(*) FROM llm_provider_models WHERE team_id IS NULL) AS global_models"
    );
    conn.get(&sql)
        .context("fingerprinting the referencing columns")
}

/// The state every variant must reach, computed on the base data set.
pub(crate) fn expected(url: &str, ids: &ModelIds) -> Result<Expected> {
    let mut conn = Conn::establish(url)?;
    if conn.engine() == Engine::Mariadb {
        return expected_mysql(&mut conn, url, ids);
    }
    let mapping = ids.mapping_sql();
    let before = fingerprint(url, ids)?;
    let sum = |sql: String, conn: &mut Conn| -> Result<i64> { Ok(conn.get::<Count>(&sql)?.n) };
    let assistants_sum = sum(
        format!(
            "SELECT coalesce(sum(coalesce(m.new_id, a.llm_provider_model_id)), 0)::bigint AS n \
             FROM assistants a LEFT JOIN {mapping} ON a.llm_provider_model_id = m.old_id"
        ),
        &mut conn,
    )?;
    let nodes_sum = sum(
        format!(
            "SELECT coalesce(sum(coalesce(m.new_id, (p.params ->> 'llm_provider_model_id')::bigint)), 0)::bigint AS n \
             FROM pipeline_nodes p LEFT JOIN {mapping} \
             ON (p.params ->> 'llm_provider_model_id')::bigint = m.old_id"
        ),
        &mut conn,
    )?;
    let dead = array(&ids.deleted());
    let dead_strings = sum(
        format!(
            "SELECT count(*) AS n FROM pipeline_nodes \
             WHERE jsonb_typeof(params -> 'llm_provider_model_id') = 'string' \
             AND (params ->> 'llm_provider_model_id')::bigint = ANY({dead})"
        ),
        &mut conn,
    )?;
    after(&before, ids, assistants_sum, nodes_sum, dead_strings)
}

/// The state after the apply: no reference to a deleted model, the sums of
/// the referencing columns as the mapping makes them, the string ids of
/// deleted models rewritten as numbers, the deleted global rows gone.
fn after(
    before: &Fingerprint,
    ids: &ModelIds,
    assistants_sum: i64,
    nodes_sum: i64,
    dead_strings: i64,
) -> Result<Expected> {
    let deleted = i64::try_from(ids.mapping.len())?;
    Ok(Expected {
        fingerprint: Fingerprint {
            dead_assistants: 0,
            assistants_sum,
            dead_nodes: 0,
            nodes_sum,
            string_nodes: before.string_nodes - dead_strings,
            global_models: before.global_models - deleted,
        },
        repointed_rows: before.dead_assistants + before.dead_nodes,
    })
}

/// [`expected`] on MariaDB.
fn expected_mysql(conn: &mut Conn, url: &str, ids: &ModelIds) -> Result<Expected> {
    let mapping = ids.mapping_sql_mysql();
    let before = fingerprint(url, ids)?;
    let mut sum = |sql: String| -> Result<i64> { Ok(conn.get::<Count>(&sql)?.n) };
    let assistants_sum = sum(format!(
        "SELECT CAST(COALESCE(SUM(COALESCE(m.new_id, a.llm_provider_model_id)), 0) AS SIGNED) AS n \
         FROM assistants a LEFT JOIN {mapping} ON a.llm_provider_model_id = m.old_id"
    ))?;
    let nodes_sum = sum(format!(
        "SELECT CAST(COALESCE(SUM(COALESCE(m.new_id, s.model)), 0) AS SIGNED) AS n \
         FROM (SELECT {NODE_MODEL_MYSQL} AS model FROM pipeline_nodes) s \
         LEFT JOIN {mapping} ON s.model = m.old_id"
    ))?;
    let dead_strings = sum(format!(
        "SELECT COUNT(*) AS n FROM pipeline_nodes \
         WHERE JSON_TYPE(JSON_EXTRACT(params, '$.llm_provider_model_id')) = 'STRING' \
         AND {NODE_MODEL_MYSQL} IN ({})",
        list(&ids.deleted())
    ))?;
    after(&before, ids, assistants_sum, nodes_sum, dead_strings)
}
