//! The links of a notice where names meet: a name two kinds share is
//! qualified with its kind, and a qualified name can then meet a resource
//! literally called that way, or one whose name differs only in case. The
//! apply writes the links in SQL, `plan` computes them in Rust: both give
//! every resource its own link, and the same ones. Every scenario runs on
//! each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{apply, plan};
use crate::notifications_support::*;
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::plan::AffectedTeam;
use llm_lifecycle_test_support::TestDb;

/// Team 1's resources on gpt-4, besides those of [`prepared`]: a chatbot
/// literally called "Support (chatbot)", one called "support" and a second
/// pipeline "Support".
fn crowded(db: &TestDb) {
    prepared(db);
    db.execute(
        "INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) VALUES \
           (7, 1, 'Support (chatbot)', FALSE, 101), (8, 1, 'support', FALSE, 101);
         INSERT INTO pipelines (id, team_id, name) VALUES (3, 1, 'Support');
         INSERT INTO pipeline_nodes (id, pipeline_id, params) VALUES \
           (5, 3, '{\"llm_provider_model_id\": 101}');",
    );
}

/// Team 1's entry for gpt-4 in `plan`'s affected teams (the links computed in Rust).
fn planned_gpt4_team1(db: &TestDb, catalog: &Catalog) -> AffectedTeam {
    plan(db, catalog)
        .affected
        .iter()
        .find(|model| model.model.to_string() == "openai/gpt-4")
        .and_then(|model| model.teams.iter().find(|team| team.team_id == 1))
        .expect("team 1 uses gpt-4")
        .clone()
}

/// Applies `catalog` and checks team 1's notice about gpt-4: its links are
/// `expected`, as `plan` computed them before, and its message counts `counts`.
fn applied_team1_gpt4(db: &TestDb, catalog: &Catalog, expected: &[(&str, &str)], counts: &str) {
    let team = planned_gpt4_team1(db, catalog);
    apply(db, catalog).unwrap();
    let expected = map(expected);
    assert_eq!(links(db, 1, "openai/gpt-4"), expected);
    assert_eq!(team.links, expected);
    let message = gpt4_message_to_team1(db);
    assert!(
        message.contains(&format!(" {counts} were affected.")),
        "{message}"
    );
}

/// The message of the notice the apply wrote for team 1 about gpt-4.
fn gpt4_message_to_team1(db: &TestDb) -> String {
    notifications(db)
        .into_iter()
        .find(|notice| notice.0 == 1 && notice.2 == "openai/gpt-4")
        .expect("team 1 is told about gpt-4")
        .4
}

fn a_qualified_name_meeting_a_literal_one_keeps_both_links(db: &TestDb) {
    crowded(db);
    applied_team1_gpt4(
        db,
        &full(MODELS, ""),
        &[
            ("A/B", "experiments#1"),
            ("Support (chatbot) #1", "/a/1/chatbots/1/"),
            ("Support (chatbot) #7", "/a/1/chatbots/7/"),
            ("Support (pipeline) #1", "pipelines#1"),
            ("Support (pipeline) #3", "pipelines#3"),
            ("support", "/a/1/chatbots/8/"),
        ],
        "3 chatbot(s), 2 pipeline(s), 1 experiment(s)",
    );
}

fn teams_without_shared_names_keep_plain_names(db: &TestDb) {
    prepared(db);
    db.execute(
        "INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) VALUES \
           (7, 2, 'helper', FALSE, 102), (8, 2, 'Helper (chatbot)', FALSE, 102);",
    );
    apply(db, &full(MODELS, "")).unwrap();
    assert_eq!(
        links(db, 2, "openai/o1-mini"),
        map(&[
            ("Helper #3", "/a/2/chatbots/3/"),
            ("Helper #4", "/a/2/chatbots/4/"),
            ("Helper (chatbot)", "/a/2/chatbots/8/"),
            ("helper", "/a/2/chatbots/7/"),
        ])
    );
}

/// A second reference to chatbots (their versions name a model as text):
/// chatbot 1 is reached through both and is one chatbot, with one link.
const VERSIONS: &str = r#"
[[references]]
table = "chatbot_versions"
column = "llm"
kind = "text"
resource = "chatbot"
through = { table = "chatbots", column = "chatbot_id" }
team_column = "team_id"
name_column = "name"
url = "/a/{team_id}/chatbots/{id}/"
"#;

fn a_resource_two_references_reach_is_counted_and_linked_once(db: &TestDb) {
    prepared(db);
    db.execute(
        "CREATE TABLE chatbot_versions (id BIGINT PRIMARY KEY, chatbot_id BIGINT NOT NULL, \
           llm TEXT NULL, FOREIGN KEY (chatbot_id) REFERENCES chatbots (id));
         INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) VALUES \
           (9, 1, 'Draft', FALSE, NULL);
         INSERT INTO chatbot_versions (id, chatbot_id, llm) VALUES \
           (1, 1, 'openai/gpt-4'), (2, 9, 'openai/gpt-4');",
    );
    applied_team1_gpt4(
        db,
        &full(MODELS, VERSIONS),
        &[
            ("A/B", "experiments#1"),
            ("Draft", "/a/1/chatbots/9/"),
            ("Support (chatbot)", "/a/1/chatbots/1/"),
            ("Support (pipeline)", "pipelines#1"),
        ],
        "2 chatbot(s), 1 pipeline(s), 1 experiment(s)",
    );
}

/// Assistants in a table with no key (a copy a host keeps, say): `id` is
/// not known to be unique there, so each assistant is found once however
/// many of its rows name the model.
const ASSISTANTS: &str = r#"
[[references]]
table = "assistants"
column = "llm"
kind = "text"
resource = "assistant"
team_column = "team_id"
name_column = "name"
"#;

fn rows_sharing_an_id_in_a_table_without_a_key_are_one_resource(db: &TestDb) {
    prepared(db);
    db.execute(
        "CREATE TABLE assistants (id BIGINT NOT NULL, team_id BIGINT NOT NULL, \
           name TEXT NOT NULL, llm TEXT NULL);
         INSERT INTO assistants (id, team_id, name, llm) VALUES \
           (5, 1, 'Scribe', 'openai/gpt-4'), (5, 1, 'Scribe', 'openai/gpt-4'), \
           (6, 1, 'Critic', 'openai/gpt-4');",
    );
    applied_team1_gpt4(
        db,
        &full(MODELS, ASSISTANTS),
        &[
            ("A/B", "experiments#1"),
            ("Critic", "assistants#6"),
            ("Scribe", "assistants#5"),
            ("Support (chatbot)", "/a/1/chatbots/1/"),
            ("Support (pipeline)", "pipelines#1"),
        ],
        "1 chatbot(s), 1 pipeline(s), 1 experiment(s), 2 assistant(s)",
    );
    // Both copies of assistant 5 were repointed.
    assert_eq!(
        db.strings("SELECT llm AS v FROM assistants WHERE id = 5"),
        [
            Some("openai/gpt-4o".to_owned()),
            Some("openai/gpt-4o".to_owned())
        ]
    );
}

llm_lifecycle_test_support::backend_tests!(
    rows_sharing_an_id_in_a_table_without_a_key_are_one_resource,
    a_qualified_name_meeting_a_literal_one_keeps_both_links,
    teams_without_shared_names_keep_plain_names,
    a_resource_two_references_reach_is_counted_and_linked_once,
);
