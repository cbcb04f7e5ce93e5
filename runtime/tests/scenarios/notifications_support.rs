//! The scenario fixture of the notification tests: a catalogue whose
//! `[[references]]` declare chatbot, pipeline (through a join) and experiment,
//! host tables with teams that share names, and a sink that can fail.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::{Notice, Notifier};
use llm_lifecycle_test_support::{Backend, TestDb};

use crate::common::{catalog, migrate, seed_model, serial};

pub const MODELS: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4o", token_limit = 128_000 },
  { name = "gpt-4o-mini", token_limit = 128_000, deprecated = true, replacement = "gpt-4o" },
  { name = "gpt-3.5", token_limit = 16_000 },
]
deleted = [
  { name = "gpt-4", replacement = "gpt-4-turbo" },
  { name = "gpt-4-turbo", replacement = "gpt-4o" },
  { name = "o1-mini" },
]
"#;

/// `gpt-3.5` deprecated too, without replacement (a later catalogue).
pub const MODELS_LATER: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4o", token_limit = 128_000 },
  { name = "gpt-4o-mini", token_limit = 128_000, deprecated = true, replacement = "gpt-4o" },
  { name = "gpt-3.5", token_limit = 16_000, deprecated = true, sunset = 2027-01-31 },
]
deleted = [
  { name = "gpt-4", replacement = "gpt-4-turbo" },
  { name = "gpt-4-turbo", replacement = "gpt-4o" },
  { name = "o1-mini" },
]
"#;

/// Declared in the order chatbot, pipeline, experiment (not alphabetical).
pub const REFERENCES: &str = r#"
[[references]]
table = "chatbots"
column = "llm_provider_model_id"
resource = "chatbot"
team_column = "team_id"
name_column = "name"
url = "/a/{team_id}/chatbots/{id}/"
filter = "archived = FALSE"

[[references]]
table = "pipeline_nodes"
column = "params"
kind = "json"
key = "llm_provider_model_id"
resource = "pipeline"
through = { table = "pipelines", column = "pipeline_id" }
team_column = "team_id"
name_column = "name"

[[references]]
table = "experiments"
column = "llm"
kind = "text"
resource = "experiment"
team_column = "team_id"
name_column = "name"
"#;

pub const RECIPIENTS: &str = r#"
[notifications]
permission = "llm.manage"
recipients_query = "SELECT user_id FROM memberships WHERE team_id = $team_id AND permission = $permission"
"#;

/// Every recipient row, as `team:model:user`, by team, model and user.
pub fn recipient_rows(db: &TestDb) -> Vec<Option<String>> {
    db.strings(&format!(
        "SELECT {} AS v \
         FROM llm_model_notification_recipients r JOIN llm_model_notifications n ON n.id = r.notification_id \
         ORDER BY n.team_id, n.model, r.user_id",
        db.concat(&[
            &db.text_cast("n.team_id"),
            "':'",
            "n.model",
            "':'",
            &db.text_cast("r.user_id"),
        ])
    ))
}

pub fn full(models: &str, extra: &str) -> Catalog {
    catalog(&format!("{models}\n{REFERENCES}\n{extra}"))
}

/// Host tables, model rows 101 (gpt-4), 102 (o1-mini), 103 (gpt-4o-mini), 104 (gpt-3.5), and:
/// - team 1: chatbot "Support" (gpt-4), archived chatbot "Old" (gpt-4), pipeline
///   "Support" with three gpt-4 nodes, experiment "A/B" naming gpt-4, chatbot "Mini" (gpt-4o-mini);
/// - team 2: two chatbots both called "Helper" (o1-mini), pipeline "Triage" (gpt-3.5);
/// - team 3: a chatbot on no model; team 4: nothing at all.
pub fn prepared(db: &TestDb) {
    migrate(db);
    let serial = serial(db);
    let json = match db.backend() {
        Backend::Postgres => "JSONB",
        Backend::Sqlite => "TEXT",
        Backend::Mysql => "JSON",
    };
    db.execute(&format!(
        "CREATE TABLE chatbots (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL, \
           archived BOOLEAN NOT NULL DEFAULT FALSE, llm_provider_model_id BIGINT NULL, \
           FOREIGN KEY (llm_provider_model_id) REFERENCES llm_provider_models (id));
         CREATE TABLE pipelines (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL);
         CREATE TABLE pipeline_nodes (id {serial}, pipeline_id BIGINT NOT NULL, params {json} NOT NULL, \
           FOREIGN KEY (pipeline_id) REFERENCES pipelines (id));
         CREATE TABLE experiments (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL, llm TEXT NULL);
         CREATE TABLE memberships (team_id BIGINT NOT NULL, user_id BIGINT NOT NULL, permission TEXT NOT NULL);"
    ));
    seed_model(db, 101, None, "openai/gpt-4", 8_192, false);
    seed_model(db, 102, None, "openai/o1-mini", 128_000, false);
    seed_model(db, 103, None, "openai/gpt-4o-mini", 128_000, false);
    seed_model(db, 104, None, "openai/gpt-3.5", 16_000, false);
    db.execute(
        "INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) VALUES \
           (1, 1, 'Support', FALSE, 101), (2, 1, 'Old', TRUE, 101), (3, 2, 'Helper', FALSE, 102), \
           (4, 2, 'Helper', FALSE, 102), (5, 3, 'Idle', FALSE, NULL), (6, 1, 'Mini', FALSE, 103);
         INSERT INTO pipelines (id, team_id, name) VALUES (1, 1, 'Support'), (2, 2, 'Triage');
         INSERT INTO pipeline_nodes (id, pipeline_id, params) VALUES \
           (1, 1, '{\"llm_provider_model_id\": 101}'), (2, 1, '{\"llm_provider_model_id\": \"101\"}'), \
           (3, 1, '{\"llm_provider_model_id\": 101, \"temperature\": 1}'), \
           (4, 2, '{\"llm_provider_model_id\": 104}');
         INSERT INTO experiments (id, team_id, name, llm) VALUES (1, 1, 'A/B', 'openai/gpt-4');
         INSERT INTO memberships (team_id, user_id, permission) VALUES \
           (1, 10, 'llm.manage'), (1, 11, 'llm.manage'), (1, 12, 'billing'), (2, 20, 'llm.manage');",
    );
}

/// `(team, slug, model, title, message)` of every notification, ordered.
pub fn notifications(db: &TestDb) -> Vec<(i64, String, String, String, String)> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_model_notifications ORDER BY team_id, slug, model",
        db.concat(&[
            &db.text_cast("team_id"),
            "'|'",
            "slug",
            "'|'",
            "model",
            "'|'",
            "title",
            "'|'",
            "message",
        ])
    ))
    .into_iter()
    .map(|v| {
        let v = v.unwrap();
        let parts: Vec<&str> = v.splitn(5, '|').collect();
        (
            parts[0].parse().unwrap(),
            parts[1].to_owned(),
            parts[2].to_owned(),
            parts[3].to_owned(),
            parts[4].to_owned(),
        )
    })
    .collect()
}

pub fn links(db: &TestDb, team: i64, model: &str) -> BTreeMap<String, String> {
    let text = db.string(&format!(
        "SELECT {} AS v FROM llm_model_notifications \
         WHERE team_id = {team} AND model = '{model}'",
        db.text_cast("links")
    ));
    serde_json::from_str(&text).unwrap()
}

pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A sink that fails while `failing` is set and records what it accepted.
pub struct Flaky {
    pub failing: Cell<bool>,
    pub accepted: RefCell<Vec<(i64, String, Vec<i64>)>>,
}

impl Notifier for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }

    fn deliver(&self, notice: &Notice) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.failing.get() {
            return Err("mail server down".into());
        }
        self.accepted.borrow_mut().push((
            notice.team_id,
            notice.model.clone(),
            notice.recipients.clone(),
        ));
        Ok(())
    }
}

impl Flaky {
    /// A sink that fails until told otherwise.
    pub fn failing() -> Self {
        Self {
            failing: Cell::new(true),
            accepted: RefCell::new(Vec::new()),
        }
    }
}
