//! The data set: the catalogues (built as TOML text, parsed by
//! `llm_lifecycle_catalog::Catalog::parse`) and the host tables, generated
//! server-side with set-based SQL (`generate_series` on PostgreSQL, the
//! `seq_1_to_N` tables of MariaDB's SEQUENCE engine there).
//!
//! Models: `models` live models spread over [`PROVIDERS`] providers
//! (`prov{p}/model-{m}`); the new catalogue deletes the `deleted` highest ones,
//! each replaced by a live model of its provider. Host tables: `teams`,
//! `pipelines` (team, name), `assistants` (team, name, integer FK
//! `llm_provider_model_id`) and `pipeline_nodes` (JSONB `params` holding
//! `llm_provider_model_id`, a quarter as a string, the rest as a number; on
//! MariaDB a `JSON` column, which that engine stores as `LONGTEXT` with a
//! `json_valid` check, as Django's `JSONField` creates it). A share
//! `deleted_share` of the assistants and of the nodes references a deleted
//! model; the rest a live one. Both engines get the same rows, keys and
//! indexes.

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::{ApplyOptions, Database, DatabaseUrl, apply};

use crate::engine::{Conn, Engine};

/// Providers the models are spread over.
pub(crate) const PROVIDERS: usize = 5;

/// Sizes of the data set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub(crate) teams: u64,
    pub(crate) assistants: u64,
    pub(crate) pipelines: u64,
    pub(crate) nodes: u64,
    /// Live models in the old catalogue.
    pub(crate) models: usize,
    /// Of which the new catalogue deletes this many.
    pub(crate) deleted: usize,
    /// Share of the referencing rows that point at a deleted model (0..=1).
    pub(crate) deleted_share: f64,
}

impl Scale {
    /// Rejects sizes the generator cannot honour.
    pub(crate) fn check(&self) -> Result<()> {
        if self.teams == 0 || self.pipelines == 0 {
            bail!("--teams and --pipelines must be at least 1");
        }
        if self.models < PROVIDERS * 2 || self.deleted == 0 {
            bail!(
                "--models must be at least {} and --deleted at least 1",
                PROVIDERS * 2
            );
        }
        if self.models - self.deleted < PROVIDERS {
            bail!(
                "--deleted {} leaves fewer than {PROVIDERS} live models (one per provider is needed)",
                self.deleted
            );
        }
        if !(0.0..=1.0).contains(&self.deleted_share) {
            bail!("--deleted-share must be between 0 and 1");
        }
        Ok(())
    }

    /// Referencing rows per 1,000 that point at a deleted model.
    pub(crate) fn per_mille(&self) -> u64 {
        (self.deleted_share * 1000.0).round() as u64
    }

    /// Whether assistant or node `i` references a deleted model: the
    /// generators' rule, `(i * 2654435761) % 1000 < per mille`.
    pub(crate) fn references_deleted(&self, i: u64) -> bool {
        i.wrapping_mul(2_654_435_761) % 1000 < self.per_mille()
    }
}

/// Model `k` (0-based): provider and name.
fn model(k: usize) -> (String, String) {
    (
        format!("prov{}", k % PROVIDERS),
        format!("model-{}", k / PROVIDERS),
    )
}

/// Whether model `k` is deleted by the new catalogue.
fn is_deleted(scale: &Scale, k: usize) -> bool {
    k >= scale.models - scale.deleted
}

/// The replacement of deleted model `k`: a live model of the same provider.
fn replacement(scale: &Scale, k: usize) -> usize {
    let live_per_provider = (scale.models - scale.deleted) / PROVIDERS;
    let index = (k / PROVIDERS) % live_per_provider.max(1);
    index * PROVIDERS + k % PROVIDERS
}

/// How the `[[references]]` entries are declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum References {
    /// With `resource`, `team_column`, `name_column` (and `through` for the
    /// nodes): the runtime computes affected teams and writes notifications.
    WithTeams,
    /// Table and column only: the rows are repointed, nobody is notified
    /// (the runtime has no switch to turn notifications off; an entry without
    /// `team_column` is how a catalogue opts out).
    WithoutTeams,
}

/// The catalogue as TOML: every model live (`old`) or the last `deleted` ones
/// deleted with a replacement (`new`).
pub(crate) fn catalogue_toml(scale: &Scale, new: bool, references: References) -> String {
    let mut toml = String::new();
    for p in 0..PROVIDERS {
        let _ = writeln!(toml, "[providers.prov{p}]\nmodels = [");
        let mut deleted = Vec::new();
        for k in (p..scale.models).step_by(PROVIDERS) {
            let (_, name) = model(k);
            if new && is_deleted(scale, k) {
                deleted.push((name, model(replacement(scale, k)).1));
                continue;
            }
            let default = if k < PROVIDERS {
                ", default = true"
            } else {
                ""
            };
            let _ = writeln!(
                toml,
                "  {{ name = \"{name}\", token_limit = {}{default} }},",
                8_000 + k
            );
        }
        let _ = writeln!(toml, "]");
        if !deleted.is_empty() {
            let _ = writeln!(toml, "deleted = [");
            for (name, to) in deleted {
                let _ = writeln!(toml, "  {{ name = \"{name}\", replacement = \"{to}\" }},");
            }
            let _ = writeln!(toml, "]");
        }
        toml.push('\n');
    }
    match references {
        References::WithTeams => toml.push_str(
            "[[references]]\ntable = \"assistants\"\ncolumn = \"llm_provider_model_id\"\n\
             resource = \"assistant\"\nteam_column = \"team_id\"\nname_column = \"name\"\n\n\
             [[references]]\ntable = \"pipeline_nodes\"\ncolumn = \"params\"\nkind = \"json\"\n\
             key = \"llm_provider_model_id\"\nresource = \"pipeline\"\n\
             through = { table = \"pipelines\", column = \"pipeline_id\" }\n\
             team_column = \"team_id\"\nname_column = \"name\"\n",
        ),
        References::WithoutTeams => toml.push_str(
            "[[references]]\ntable = \"assistants\"\ncolumn = \"llm_provider_model_id\"\n\n\
             [[references]]\ntable = \"pipeline_nodes\"\ncolumn = \"params\"\nkind = \"json\"\n\
             key = \"llm_provider_model_id\"\n",
        ),
    }
    toml
}

/// Parses a generated catalogue.
pub(crate) fn parse(toml: &str, origin: &str) -> Result<Catalog> {
    Catalog::parse(toml, origin).map_err(|diagnostics| anyhow::anyhow!("{diagnostics}"))
}

/// A generated catalogue of `models` live models over 10 providers, 1 % of
/// them deprecated and as many deleted entries: the no-op case.
pub(crate) fn noop_catalogue_toml(models: usize) -> String {
    let providers = 10;
    let per_provider = models.div_ceil(providers);
    let mut toml = String::new();
    for p in 0..providers {
        let _ = writeln!(toml, "[providers.p{p}]\nmodels = [");
        for m in 0..per_provider {
            let extra = if m == 0 {
                ", default = true".to_owned()
            } else if m % 100 == 99 {
                format!(", deprecated = true, replacement = \"m-{}\"", m - 1)
            } else {
                String::new()
            };
            let _ = writeln!(
                toml,
                "  {{ name = \"m-{m}\", token_limit = {}{extra} }},",
                1_000 + m
            );
        }
        let _ = writeln!(toml, "]\ndeleted = [");
        for d in 0..per_provider / 100 {
            let _ = writeln!(toml, "  {{ name = \"gone-{d}\", replacement = \"m-0\" }},");
        }
        let _ = writeln!(toml, "]\n");
    }
    toml
}

#[derive(QueryableByName)]
struct ModelRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    provider: String,
    #[diesel(sql_type = Text)]
    name: String,
}

/// The model row ids after the first apply.
#[derive(Debug, Clone)]
pub(crate) struct ModelIds {
    /// Ids of the models the new catalogue keeps.
    pub(crate) live: Vec<i64>,
    /// Old id → new id for each deleted model.
    pub(crate) mapping: Vec<(i64, i64)>,
}

impl ModelIds {
    /// The deleted models' ids.
    pub(crate) fn deleted(&self) -> Vec<i64> {
        self.mapping.iter().map(|(old, _)| *old).collect()
    }

    /// The old → new mapping as SQL: `(VALUES (old, new), …) AS m(old_id, new_id)`
    /// (integers the bench generated itself, so writing them inline is safe).
    pub(crate) fn mapping_sql(&self) -> String {
        let rows: Vec<String> = self
            .mapping
            .iter()
            .map(|(old, new)| format!("({old}::bigint, {new}::bigint)"))
            .collect();
        format!("(VALUES {}) AS m(old_id, new_id)", rows.join(", "))
    }

    /// MariaDB: the same mapping as a derived table, `(SELECT old AS old_id,
    /// 'old' AS old_key, new AS new_id UNION ALL …) AS m` (MySQL 8 and MariaDB
    /// spell a `VALUES` relation differently; `old_key` is the old id as text,
    /// for matching a JSON value's text).
    pub(crate) fn mapping_sql_mysql(&self) -> String {
        let rows: Vec<String> = self
            .mapping
            .iter()
            .enumerate()
            .map(|(index, (old, new))| {
                if index == 0 {
                    format!("SELECT {old} AS old_id, '{old}' AS old_key, {new} AS new_id")
                } else {
                    format!("SELECT {old}, '{old}', {new}")
                }
            })
            .collect();
        format!("({}) AS m", rows.join(" UNION ALL "))
    }

    /// MariaDB: `CASE <value> WHEN old THEN new … END`, the old ids written as
    /// text when `text` (to match a JSON value's text), the new ones as integers.
    pub(crate) fn case_sql_mysql(&self, value: &str, text: bool) -> String {
        let arms: Vec<String> = self
            .mapping
            .iter()
            .map(|(old, new)| {
                if text {
                    format!("WHEN '{old}' THEN {new}")
                } else {
                    format!("WHEN {old} THEN {new}")
                }
            })
            .collect();
        format!("CASE {value} {} END", arms.join(" "))
    }
}

/// Builds the base database at `url`: host tables, the old catalogue applied
/// by the runtime (schema and model rows), the generated rows, keys and
/// indexes as a Django platform has them, `VACUUM ANALYZE` (`ANALYZE TABLE`
/// on MariaDB).
pub(crate) fn build(url: &str, scale: &Scale) -> Result<ModelIds> {
    let mut conn = Conn::establish(url)?;
    match conn.engine() {
        Engine::Postgres => build_pg(&mut conn, url, scale),
        Engine::Mariadb => build_mysql(&mut conn, url, scale),
    }
}

/// Applies the old catalogue with the runtime (its schema and the model rows).
fn apply_old_catalogue(url: &str, scale: &Scale) -> Result<()> {
    let old = parse(
        &catalogue_toml(scale, false, References::WithTeams),
        "old-catalogue.toml",
    )?;
    let mut db = Database::connect(&DatabaseUrl::parse(url)?)?;
    apply(&mut db, &old, &ApplyOptions::default()).context("applying the old catalogue")?;
    Ok(())
}

fn build_pg(conn: &mut Conn, url: &str, scale: &Scale) -> Result<ModelIds> {
    conn.batch(
        "CREATE TABLE teams (id bigint NOT NULL, name text NOT NULL);
         CREATE TABLE pipelines (id bigint NOT NULL, team_id bigint NOT NULL, name text NOT NULL);
         CREATE TABLE assistants (id bigint NOT NULL, team_id bigint NOT NULL, name text NOT NULL,
                                  llm_provider_model_id bigint);
         CREATE TABLE pipeline_nodes (id bigint NOT NULL, pipeline_id bigint NOT NULL,
                                      params jsonb NOT NULL DEFAULT '{}');",
    )
    .context("creating the host tables")?;

    apply_old_catalogue(url, scale)?;
    let ids = model_ids(conn, scale)?;

    let live = array(&ids.live);
    let dead = array(&ids.deleted());
    let (live_n, dead_n) = (ids.live.len(), ids.mapping.len());
    let per_mille = scale.per_mille();
    // Row i references a deleted model when (i * 2654435761) % 1000 < per mille:
    // 761 is prime to 1000, so exactly that share of every 1,000 rows.
    let model_of = |i: &str| {
        format!(
            "CASE WHEN ({i} * 2654435761) % 1000 < {per_mille} \
             THEN ({dead})[1 + ({i} * 40503) % {dead_n}] \
             ELSE ({live})[1 + ({i} * 40503) % {live_n}] END"
        )
    };
    let Scale {
        teams,
        assistants,
        pipelines,
        nodes,
        ..
    } = *scale;
    let assistant_model = model_of("i");
    let node_model = model_of("i");
    conn.batch(&format!(
        "INSERT INTO teams SELECT i, 'team ' || i FROM generate_series(1::bigint, {teams}) i;
         INSERT INTO pipelines SELECT i, 1 + (i * 7919) % {teams}, 'pipeline ' || i
           FROM generate_series(1::bigint, {pipelines}) i;
         INSERT INTO assistants SELECT i, 1 + (i * 104729) % {teams}, 'assistant ' || i, {assistant_model}
           FROM generate_series(1::bigint, {assistants}) i;
         INSERT INTO pipeline_nodes
           SELECT i, 1 + ((i - 1) * {pipelines}) / greatest({nodes}, 1),
             jsonb_build_object(
               'llm_provider_model_id', CASE WHEN i % 4 = 0 THEN to_jsonb(m::text) ELSE to_jsonb(m) END,
               'temperature', 0.7, 'max_tokens', 1024,
               'prompt', 'You are a helpful assistant. Node ' || i || ' answers questions.')
           FROM (SELECT i, {node_model} AS m FROM generate_series(1::bigint, {nodes}) i) s;
         ALTER TABLE teams ADD PRIMARY KEY (id);
         ALTER TABLE pipelines ADD PRIMARY KEY (id),
           ADD FOREIGN KEY (team_id) REFERENCES teams (id);
         ALTER TABLE assistants ADD PRIMARY KEY (id),
           ADD FOREIGN KEY (team_id) REFERENCES teams (id),
           ADD FOREIGN KEY (llm_provider_model_id) REFERENCES llm_provider_models (id);
         ALTER TABLE pipeline_nodes ADD PRIMARY KEY (id),
           ADD FOREIGN KEY (pipeline_id) REFERENCES pipelines (id);
         CREATE INDEX ON pipelines (team_id);
         CREATE INDEX ON assistants (team_id);
         CREATE INDEX ON assistants (llm_provider_model_id);
         CREATE INDEX ON pipeline_nodes (pipeline_id);"
    ))
    .context("generating the host rows")?;
    conn.batch("VACUUM ANALYZE")
        .context("VACUUM ANALYZE of the base database")?;
    Ok(ids)
}

/// Reads the model row ids (of the base data set or a copy) by name.
pub(crate) fn model_ids(conn: &mut Conn, scale: &Scale) -> Result<ModelIds> {
    let rows: Vec<ModelRow> = conn
        .load("SELECT id, provider, name FROM llm_provider_models WHERE team_id IS NULL")
        .context("reading the model row ids")?;
    let by_name: HashMap<(String, String), i64> = rows
        .into_iter()
        .map(|row| ((row.provider, row.name), row.id))
        .collect();
    let id = |k: usize| {
        by_name
            .get(&model(k))
            .copied()
            .with_context(|| format!("model {:?} has no row after the first apply", model(k)))
    };
    let mut ids = ModelIds {
        live: Vec::new(),
        mapping: Vec::new(),
    };
    for k in 0..scale.models {
        if is_deleted(scale, k) {
            ids.mapping.push((id(k)?, id(replacement(scale, k))?));
        } else {
            ids.live.push(id(k)?);
        }
    }
    Ok(ids)
}

/// `ARRAY[1,2,3]::bigint[]` (the ids were read from the database: integers).
pub(crate) fn array(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
    format!("ARRAY[{}]::bigint[]", list.join(","))
}

/// `1,2,3`, for an `IN (…)` list on MariaDB (integers read from the database).
pub(crate) fn list(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
    list.join(",")
}

/// `'1','2','3'`: the ids as the text a JSON value's `JSON_VALUE` gives.
pub(crate) fn text_list(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    list.join(",")
}

/// `ELT(1 + (i * 40503) % n, id1, id2, …)`: the `(i * 40503) % n`-th id, as the
/// PostgreSQL generator indexes its arrays.
fn elt(i: &str, ids: &[i64]) -> String {
    format!("ELT(1 + MOD({i} * 40503, {}), {})", ids.len(), list(ids))
}

/// The MariaDB data set, row for row the PostgreSQL one: the same sizes,
/// team, pipeline and model of every row, the same JSON keys and values
/// (written as text in one `CONCAT`, the model id first as PostgreSQL's
/// `jsonb_build_object` gets it), the same primary keys, foreign keys and
/// indexes. Tables are created with their primary keys (InnoDB clusters rows
/// by it, so adding it later would rebuild the table) and loaded in key order
/// with `unique_checks` and `foreign_key_checks` off (InnoDB's bulk load into
/// an empty table); the secondary indexes and foreign keys follow (with checks
/// off: the generated rows satisfy them), then `ANALYZE TABLE`.
fn build_mysql(conn: &mut Conn, url: &str, scale: &Scale) -> Result<ModelIds> {
    conn.batch(
        "CREATE TABLE teams (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL)
           ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
         CREATE TABLE pipelines (id BIGINT NOT NULL PRIMARY KEY, team_id BIGINT NOT NULL,
                                 name VARCHAR(255) NOT NULL)
           ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
         CREATE TABLE assistants (id BIGINT NOT NULL PRIMARY KEY, team_id BIGINT NOT NULL,
                                  name VARCHAR(255) NOT NULL, llm_provider_model_id BIGINT NULL)
           ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
         CREATE TABLE pipeline_nodes (id BIGINT NOT NULL PRIMARY KEY, pipeline_id BIGINT NOT NULL,
                                      params JSON NOT NULL DEFAULT '{}')
           ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;",
    )
    .context("creating the host tables")?;

    apply_old_catalogue(url, scale)?;
    let ids = model_ids(conn, scale)?;

    let per_mille = scale.per_mille();
    let dead = ids.deleted();
    let model_of = |i: &str| {
        format!(
            "CAST(CASE WHEN MOD({i} * 2654435761, 1000) < {per_mille} THEN {} ELSE {} END AS SIGNED)",
            elt(i, &dead),
            elt(i, &ids.live)
        )
    };
    let Scale {
        teams,
        assistants,
        pipelines,
        nodes,
        ..
    } = *scale;
    let assistant_model = model_of("seq");
    let node_model = model_of("seq");
    conn.batch(&format!(
        "SET SESSION unique_checks = 0, foreign_key_checks = 0;
         INSERT INTO teams SELECT seq, CONCAT('team ', seq) FROM seq_1_to_{teams};
         INSERT INTO pipelines SELECT seq, 1 + MOD(seq * 7919, {teams}), CONCAT('pipeline ', seq)
           FROM seq_1_to_{pipelines};
         INSERT INTO assistants SELECT seq, 1 + MOD(seq * 104729, {teams}), CONCAT('assistant ', seq),
             {assistant_model}
           FROM seq_1_to_{assistants};
         INSERT INTO pipeline_nodes
           SELECT i, 1 + ((i - 1) * {pipelines}) DIV GREATEST({nodes}, 1),
             CONCAT('{{\"llm_provider_model_id\": ',
                    IF(MOD(i, 4) = 0, CONCAT('\"', m, '\"'), m),
                    ', \"temperature\": 0.7, \"max_tokens\": 1024, ',
                    '\"prompt\": \"You are a helpful assistant. Node ', i, ' answers questions.\"}}')
           FROM (SELECT seq AS i, {node_model} AS m FROM seq_1_to_{nodes}) s;
         ALTER TABLE pipelines ADD INDEX pipelines_team_id (team_id),
           ADD CONSTRAINT pipelines_team_fk FOREIGN KEY (team_id) REFERENCES teams (id);
         ALTER TABLE assistants ADD INDEX assistants_team_id (team_id),
           ADD INDEX assistants_model_id (llm_provider_model_id),
           ADD CONSTRAINT assistants_team_fk FOREIGN KEY (team_id) REFERENCES teams (id),
           ADD CONSTRAINT assistants_model_fk FOREIGN KEY (llm_provider_model_id)
             REFERENCES llm_provider_models (id);
         ALTER TABLE pipeline_nodes ADD INDEX pipeline_nodes_pipeline_id (pipeline_id),
           ADD CONSTRAINT pipeline_nodes_pipeline_fk FOREIGN KEY (pipeline_id)
             REFERENCES pipelines (id);
         SET SESSION unique_checks = 1, foreign_key_checks = 1;"
    ))
    .context("generating the host rows")?;
    conn.batch("ANALYZE TABLE teams, pipelines, assistants, pipeline_nodes, llm_provider_models")
        .context("ANALYZE TABLE of the base database")?;
    Ok(ids)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn scale() -> Scale {
        Scale {
            teams: 10,
            assistants: 10,
            pipelines: 10,
            nodes: 10,
            models: 100,
            deleted: 20,
            deleted_share: 0.15,
        }
    }

    #[test]
    fn the_catalogues_parse_and_the_new_one_deletes_the_requested_models() {
        let scale = scale();
        for references in [References::WithTeams, References::WithoutTeams] {
            let old = parse(&catalogue_toml(&scale, false, references), "old").unwrap();
            assert_eq!(old.models().count(), 100);
            assert_eq!(old.deleted().count(), 0);
            let new = parse(&catalogue_toml(&scale, true, references), "new").unwrap();
            assert_eq!(new.models().count(), 80);
            assert_eq!(new.deleted().count(), 20);
            assert_eq!(new.references.len(), 2);
        }
    }

    #[test]
    fn replacements_are_live_models_of_the_same_provider() {
        let scale = scale();
        for k in 80..100 {
            let to = replacement(&scale, k);
            assert!(!is_deleted(&scale, to), "{k} → {to}");
            assert_eq!(k % PROVIDERS, to % PROVIDERS);
        }
    }

    #[test]
    fn the_mariadb_mapping_reads_as_a_derived_table_and_a_case() {
        let ids = ModelIds {
            live: vec![1, 2],
            mapping: vec![(7, 1), (8, 2)],
        };
        assert_eq!(
            ids.mapping_sql_mysql(),
            "(SELECT 7 AS old_id, '7' AS old_key, 1 AS new_id UNION ALL SELECT 8, '8', 2) AS m"
        );
        assert_eq!(
            ids.case_sql_mysql("v", true),
            "CASE v WHEN '7' THEN 1 WHEN '8' THEN 2 END"
        );
        assert_eq!(
            ids.case_sql_mysql("v", false),
            "CASE v WHEN 7 THEN 1 WHEN 8 THEN 2 END"
        );
        assert_eq!(text_list(&ids.deleted()), "'7','8'");
        assert_eq!(elt("i", &ids.live), "ELT(1 + MOD(i * 40503, 2), 1,2)");
    }

    #[test]
    fn the_rule_for_deleted_references_picks_the_share() {
        let scale = scale();
        let hits = (1..=10_000u64)
            .filter(|&i| scale.references_deleted(i))
            .count();
        assert_eq!(hits, 1_500);
    }

    #[test]
    fn the_noop_catalogue_parses_with_the_requested_size() {
        let catalogue = parse(&noop_catalogue_toml(5_000), "noop").unwrap();
        assert_eq!(catalogue.models().count(), 5_000);
        assert_eq!(catalogue.deleted().count(), 50);
    }
}
