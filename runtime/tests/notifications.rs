//! Team notifications: who is affected (counted before repointing, through
//! joins, filtered), the exact texts and links, told once, recipients, sinks.
//! Every scenario runs on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::cell::Cell;
use std::collections::BTreeMap;

use common::{apply, catalog, connect, count, global_id, migrate, plan, seed_model};
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::notify::{ModelChange, SLUG_DELETED, SLUG_DEPRECATED};
use llm_lifecycle_runtime::{
    ApplyOptions, Error, Notice, Notifier, Refusal, apply_and_notify, history,
};
use llm_lifecycle_test_support::{Backend, TestDb};

const MODELS: &str = r#"
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
const MODELS_LATER: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4o", token_limit = 128_000 },
  { name = "gpt-4o-mini", token_limit = 128_000, deprecated = true, replacement = "gpt-4o" },
  { name = "gpt-3.5", token_limit = 16_000, deprecated = true },
]
deleted = [
  { name = "gpt-4", replacement = "gpt-4-turbo" },
  { name = "gpt-4-turbo", replacement = "gpt-4o" },
  { name = "o1-mini" },
]
"#;

/// Declared in the order chatbot, pipeline, experiment (not alphabetical).
const REFERENCES: &str = r#"
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

const RECIPIENTS: &str = r#"
[notifications]
permission = "llm.manage"
recipients_query = "SELECT user_id FROM memberships WHERE team_id = $team_id AND permission = $permission"
"#;

fn full(models: &str, extra: &str) -> Catalog {
    catalog(&format!("{models}\n{REFERENCES}\n{extra}"))
}

/// Host tables, model rows 101 (gpt-4), 102 (o1-mini), 103 (gpt-4o-mini), 104 (gpt-3.5), and:
/// - team 1: chatbot "Support" (gpt-4), archived chatbot "Old" (gpt-4), pipeline
///   "Support" with three gpt-4 nodes, experiment "A/B" naming gpt-4, chatbot "Mini" (gpt-4o-mini);
/// - team 2: two chatbots both called "Helper" (o1-mini), pipeline "Triage" (gpt-3.5);
/// - team 3: a chatbot on no model; team 4: nothing at all.
fn prepared(db: &TestDb) {
    migrate(db);
    let (serial, json) = match db.backend() {
        Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "JSONB"),
        Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT"),
    };
    db.execute(&format!(
        "CREATE TABLE chatbots (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL, \
           archived BOOLEAN NOT NULL DEFAULT FALSE, \
           llm_provider_model_id BIGINT NULL REFERENCES llm_provider_models (id));
         CREATE TABLE pipelines (id {serial}, team_id BIGINT NOT NULL, name TEXT NOT NULL);
         CREATE TABLE pipeline_nodes (id {serial}, pipeline_id BIGINT NOT NULL REFERENCES pipelines (id), \
           params {json} NOT NULL);
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
fn notifications(db: &TestDb) -> Vec<(i64, String, String, String, String)> {
    db.strings(
        "SELECT CAST(team_id AS TEXT) || '|' || slug || '|' || model || '|' || title || '|' || message AS v \
         FROM llm_model_notifications ORDER BY team_id, slug, model",
    )
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

fn links(db: &TestDb, team: i64, model: &str) -> BTreeMap<String, String> {
    let text = db.string(&format!(
        "SELECT CAST(links AS TEXT) AS v FROM llm_model_notifications \
         WHERE team_id = {team} AND model = '{model}'"
    ));
    serde_json::from_str(&text).unwrap()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn deletion_notices_have_the_exact_texts_counts_and_links(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, "")).unwrap();
    let deleted: Vec<_> = notifications(db)
        .into_iter()
        .filter(|n| n.1 == SLUG_DELETED)
        .collect();
    assert_eq!(
        deleted,
        [
            (
                1,
                SLUG_DELETED.to_owned(),
                "openai/gpt-4".to_owned(),
                "LLM Model 'openai/gpt-4' Removed".to_owned(),
                // Counted before repointing; kinds in declaration order; three nodes are one
                // pipeline; the archived chatbot is filtered out.
                "The model 'openai/gpt-4' has been removed from the platform. 1 chatbot(s), \
                 1 pipeline(s), 1 experiment(s) were affected. References have been automatically \
                 updated to use 'gpt-4o'."
                    .to_owned()
            ),
            (
                2,
                SLUG_DELETED.to_owned(),
                "openai/o1-mini".to_owned(),
                "LLM Model 'openai/o1-mini' Removed".to_owned(),
                // Two chatbots with one name are two; only the non-empty kind is listed.
                "The model 'openai/o1-mini' has been removed from the platform. 2 chatbot(s) \
                 were affected. References have been cleared and will need to be updated manually."
                    .to_owned()
            ),
        ]
    );
    // A name two kinds share is qualified; homonyms of one kind keep both links.
    assert_eq!(
        links(db, 1, "openai/gpt-4"),
        map(&[
            ("A/B", "experiments#1"),
            ("Support (chatbot)", "/a/1/chatbots/1/"),
            ("Support (pipeline)", "pipelines#1"),
        ])
    );
    assert_eq!(
        links(db, 2, "openai/o1-mini"),
        map(&[
            ("Helper #3", "/a/2/chatbots/3/"),
            ("Helper #4", "/a/2/chatbots/4/"),
        ])
    );
    // Level and permission.
    assert_eq!(
        db.strings("SELECT DISTINCT level || ' ' || permission AS v FROM llm_model_notifications"),
        [Some(
            "warning service_providers.change_llmprovidermodel".to_owned()
        )]
    );
    // The filter only limits who is told: the archived chatbot was repointed too.
    let target = global_id(db, "openai/gpt-4o").unwrap();
    assert_eq!(
        db.string("SELECT CAST(llm_provider_model_id AS TEXT) AS v FROM chatbots WHERE id = 2"),
        target.to_string()
    );
}

fn teams_without_references_get_nothing(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, "")).unwrap();
    assert_eq!(
        count(db, "llm_model_notifications WHERE team_id IN (3, 4)"),
        0
    );
    // Nothing references gpt-4-turbo: no notice about it.
    assert_eq!(
        count(
            db,
            "llm_model_notifications WHERE model = 'openai/gpt-4-turbo'"
        ),
        0
    );
}

fn resources_reached_through_a_join_belong_to_the_joined_rows_team(db: &TestDb) {
    prepared(db);
    let plan = plan(db, &full(MODELS_LATER, ""));
    let gpt35 = plan
        .affected
        .iter()
        .find(|m| m.model.to_string() == "openai/gpt-3.5")
        .expect("gpt-3.5 is used by a pipeline");
    assert_eq!(gpt35.change, ModelChange::Deprecated);
    assert_eq!(gpt35.teams.len(), 1);
    assert_eq!(gpt35.teams[0].team_id, 2);
    assert_eq!(gpt35.teams[0].resources[0].resource, "pipeline");
    assert_eq!(gpt35.teams[0].resources[0].count, 1);
    assert_eq!(gpt35.teams[0].links, map(&[("Triage", "pipelines#2")]));
}

fn a_deprecated_model_notifies_its_team_once(db: &TestDb) {
    prepared(db);
    let first = apply(db, &full(MODELS, "")).unwrap();
    let deprecated = |db: &TestDb| -> Vec<_> {
        notifications(db)
            .into_iter()
            .filter(|n| n.1 == SLUG_DEPRECATED)
            .collect()
    };
    let expected = (
        1,
        SLUG_DEPRECATED.to_owned(),
        "openai/gpt-4o-mini".to_owned(),
        "LLM Model 'openai/gpt-4o-mini' Deprecated".to_owned(),
        "The model 'openai/gpt-4o-mini' has been deprecated and will be removed soon. \
         1 chatbot(s) are still using it. Please update to 'gpt-4o' before it is removed."
            .to_owned(),
    );
    assert_eq!(deprecated(db), std::slice::from_ref(&expected));
    assert_eq!(
        links(db, 1, "openai/gpt-4o-mini"),
        map(&[("Mini", "/a/1/chatbots/6/")])
    );
    assert_eq!(first.counts.notified, 3);

    // The plan no longer lists teams already told.
    assert!(plan(db, &full(MODELS, "")).affected.is_empty());
    // Same catalogue again: nobody is told twice, nothing journalled.
    let second = apply(db, &full(MODELS, "")).unwrap();
    assert_eq!(second.counts.notified, 0);
    assert_eq!(deprecated(db), std::slice::from_ref(&expected));

    // A later catalogue deprecates another model: only its users hear about it,
    // without the last sentence since it has no replacement.
    let third = apply(db, &full(MODELS_LATER, "")).unwrap();
    assert_eq!(third.counts.notified, 1);
    assert_eq!(
        deprecated(db),
        [
            expected,
            (
                2,
                SLUG_DEPRECATED.to_owned(),
                "openai/gpt-3.5".to_owned(),
                "LLM Model 'openai/gpt-3.5' Deprecated".to_owned(),
                "The model 'openai/gpt-3.5' has been deprecated and will be removed soon. \
                 1 pipeline(s) are still using it."
                    .to_owned(),
            )
        ]
    );
    // Journal and ledger agree with what was written.
    assert_eq!(
        count(db, "llm_lifecycle_events WHERE action = 'notified'"),
        4
    );
    let runs = history(&mut connect(db), None, 10).unwrap();
    let notified: Vec<i64> = runs.iter().rev().map(|run| run.notified).collect();
    assert_eq!(notified, [3, 0, 1]);
}

fn plan_shows_affected_teams_and_writes_no_notification(db: &TestDb) {
    prepared(db);
    let plan = plan(db, &full(MODELS, ""));
    let summary: Vec<(String, Vec<i64>)> = plan
        .affected
        .iter()
        .map(|m| {
            (
                m.model.to_string(),
                m.teams.iter().map(|t| t.team_id).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("openai/gpt-4o-mini".to_owned(), vec![1]),
            ("openai/gpt-4".to_owned(), vec![1]),
            ("openai/o1-mini".to_owned(), vec![2]),
        ]
    );
    assert_eq!(count(db, "llm_model_notifications"), 0);
    assert_eq!(count(db, "llm_lifecycle_events"), 0);
}

fn an_invalid_filter_refuses_the_plan(db: &TestDb) {
    prepared(db);
    let source =
        format!("{MODELS}\n{REFERENCES}").replace("archived = FALSE", "no_such_column = 1");
    let catalog = catalog(&source);
    let plan = plan(db, &catalog);
    assert!(
        plan.refusals.iter().any(|r| matches!(
            r,
            Refusal::InvalidFilter { table, .. } if table == "chatbots"
        )),
        "{:?}",
        plan.refusals
    );
    let message = plan.refusals[0].to_string();
    assert!(message.contains("no_such_column = 1"), "{message}");
    assert!(matches!(apply(db, &catalog), Err(Error::Refused(_))));
    assert_eq!(global_id(db, "openai/gpt-4"), Some(101), "nothing written");
}

fn an_invalid_recipients_query_or_a_placeholder_in_a_filter_refuses_the_plan(db: &TestDb) {
    prepared(db);
    let two_columns = full(
        MODELS,
        &RECIPIENTS.replace("SELECT user_id FROM", "SELECT user_id, team_id FROM"),
    );
    let refused = plan(db, &two_columns);
    assert!(
        matches!(
            refused.refusals.as_slice(),
            [Refusal::InvalidRecipientsQuery { .. }]
        ),
        "{:?}",
        refused.refusals
    );
    assert!(
        refused.refusals[0]
            .to_string()
            .contains("one column of user ids")
    );
    let unknown_table = full(MODELS, &RECIPIENTS.replace("memberships", "no_such_table"));
    assert!(matches!(
        apply(db, &unknown_table),
        Err(Error::Refused(plan)) if matches!(plan.refusals.as_slice(), [Refusal::InvalidRecipientsQuery { .. }])
    ));
    let placeholder =
        catalog(&format!("{MODELS}\n{REFERENCES}").replace("archived = FALSE", "name <> ?"));
    let plan = plan(db, &placeholder);
    assert!(
        matches!(plan.refusals.as_slice(), [Refusal::InvalidFilter { reason, .. }] if reason.contains("`?`")),
        "{:?}",
        plan.refusals
    );
    assert_eq!(count(db, "llm_model_notifications"), 0);
    assert_eq!(global_id(db, "openai/gpt-4"), Some(101), "nothing written");
}

fn recipients_are_one_row_per_user_per_notification(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, RECIPIENTS)).unwrap();
    let rows = db.strings(
        "SELECT CAST(n.team_id AS TEXT) || ':' || n.model || ':' || CAST(r.user_id AS TEXT) AS v \
         FROM llm_model_notification_recipients r JOIN llm_model_notifications n ON n.id = r.notification_id \
         ORDER BY n.team_id, n.model, r.user_id",
    );
    assert_eq!(
        rows.into_iter().map(Option::unwrap).collect::<Vec<_>>(),
        [
            "1:openai/gpt-4:10",
            "1:openai/gpt-4:11",
            "1:openai/gpt-4o-mini:10",
            "1:openai/gpt-4o-mini:11",
            "2:openai/o1-mini:20",
        ]
    );
    assert_eq!(
        db.strings("SELECT DISTINCT permission AS v FROM llm_model_notifications"),
        [Some("llm.manage".to_owned())]
    );
}

/// A sink that fails while `failing` is set and records what it accepted.
struct Flaky {
    failing: Cell<bool>,
    accepted: std::cell::RefCell<Vec<(i64, String, Vec<i64>)>>,
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

fn a_failing_notifier_is_retried_and_never_resent(db: &TestDb) {
    prepared(db);
    let sink = Flaky {
        failing: Cell::new(true),
        accepted: std::cell::RefCell::new(Vec::new()),
    };
    let catalog = full(MODELS, RECIPIENTS);
    let options = ApplyOptions::default();
    let (_, first) = apply_and_notify(&mut connect(db), &catalog, &options, &[&sink]).unwrap();
    assert_eq!((first.delivered, first.failed), (0, 3));
    assert_eq!(
        db.string(
            "SELECT CAST(MIN(attempts) AS TEXT) || ' ' || MIN(last_error) AS v \
             FROM llm_model_notification_deliveries WHERE delivered_at IS NULL"
        ),
        "1 mail server down"
    );

    sink.failing.set(false);
    let (_, second) = apply_and_notify(&mut connect(db), &catalog, &options, &[&sink]).unwrap();
    assert_eq!((second.delivered, second.failed), (3, 0));
    let (_, third) = apply_and_notify(&mut connect(db), &catalog, &options, &[&sink]).unwrap();
    assert_eq!((third.delivered, third.failed), (0, 0));
    assert_eq!(
        *sink.accepted.borrow(),
        [
            (1, "openai/gpt-4o-mini".to_owned(), vec![10, 11]),
            (1, "openai/gpt-4".to_owned(), vec![10, 11]),
            (2, "openai/o1-mini".to_owned(), vec![20]),
        ]
    );
    assert_eq!(
        count(
            db,
            "llm_model_notification_deliveries WHERE delivered_at IS NOT NULL"
        ),
        3
    );
}

/// One model deprecated (`gpt-4o-mini`), one deleted (`gpt-4`): the plan as a
/// pull-request comment.
fn the_plan_renders_as_a_pull_request_comment(db: &TestDb) {
    prepared(db);
    let source = format!("{MODELS}\n{REFERENCES}")
        .replace(
            "  { name = \"gpt-3.5\", token_limit = 16_000 },",
            "  { name = \"gpt-3.5\", token_limit = 16_000 },\n  { name = \"o1-mini\", token_limit = 128_000 },",
        )
        .replace("  { name = \"o1-mini\" },\n", "");
    let plan = plan(db, &catalog(&source));
    // One snapshot for both backends: the comment must not depend on the engine.
    insta::assert_snapshot!(
        "plan_as_pull_request_comment",
        llm_lifecycle_runtime::plan::markdown::markdown(&plan)
    );
}

fn apply_models_plan_prints_the_comment_with_format_markdown(db: &TestDb) {
    prepared(db);
    let catalog = full(MODELS, "");
    let run = |args: &[&str]| {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut argv = vec!["apply-models", "--database-url", db.url()];
        argv.extend_from_slice(args);
        let code = llm_lifecycle_runtime::cli::run(&catalog, argv, &mut out, &mut err);
        (code, String::from_utf8(out).unwrap())
    };
    let (code, out) = run(&["plan", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "{}\n",
            llm_lifecycle_runtime::plan::markdown::markdown(&plan(db, &catalog))
        )
    );
    assert_eq!(count(db, "llm_model_notifications"), 0);
    let (code, out) = run(&["apply", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("## LLM model catalogue: plan"), "{out}");
    assert!(out.ends_with("3 team notification(s) written.\n"), "{out}");
}

fn apply_models_delivers_to_host_notifiers_and_shows_affected_teams_in_json(db: &TestDb) {
    prepared(db);
    let catalog = full(MODELS, "");
    let sink = Flaky {
        failing: Cell::new(true),
        accepted: std::cell::RefCell::new(Vec::new()),
    };
    let run = |args: &[&str]| {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut argv = vec!["apply-models", "--database-url", db.url()];
        argv.extend_from_slice(args);
        let code = llm_lifecycle_runtime::cli::run_with_notifiers(
            &catalog,
            argv,
            &mut out,
            &mut err,
            &[&sink],
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    };
    let (code, out, _) = run(&["plan", "--format", "json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["affected"][1]["model"]["name"], "gpt-4");
    assert_eq!(json["affected"][1]["change"], "deleted");
    assert_eq!(json["affected"][1]["teams"][0]["team_id"], 1);
    assert_eq!(
        json["affected"][1]["teams"][0]["resources"][1]["resource"],
        "pipeline"
    );
    assert!(sink.accepted.borrow().is_empty(), "plan delivers nothing");

    let (code, _, err) = run(&["apply", "--quiet"]);
    assert_eq!(code, 0, "a failed delivery does not fail the apply");
    assert!(
        err.contains("3 notification deliveries failed; they are retried on the next run"),
        "{err}"
    );
    sink.failing.set(false);
    let (code, _, err) = run(&["apply", "--quiet"]);
    assert_eq!(code, 0);
    assert!(err.is_empty(), "{err}");
    assert_eq!(sink.accepted.borrow().len(), 3);
}

llm_lifecycle_test_support::backend_tests!(
    deletion_notices_have_the_exact_texts_counts_and_links,
    teams_without_references_get_nothing,
    resources_reached_through_a_join_belong_to_the_joined_rows_team,
    a_deprecated_model_notifies_its_team_once,
    plan_shows_affected_teams_and_writes_no_notification,
    an_invalid_filter_refuses_the_plan,
    an_invalid_recipients_query_or_a_placeholder_in_a_filter_refuses_the_plan,
    recipients_are_one_row_per_user_per_notification,
    a_failing_notifier_is_retried_and_never_resent,
    the_plan_renders_as_a_pull_request_comment,
    apply_models_plan_prints_the_comment_with_format_markdown,
    apply_models_delivers_to_host_notifiers_and_shows_affected_teams_in_json,
);
