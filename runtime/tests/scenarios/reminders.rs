//! Sunset reminders (`[notifications] reminders = [30, 7, 1]`) and notices
//! that reached nobody: each team still using a deprecated model hears once
//! per threshold as its sunset nears, across every deploy, and a team that
//! moved off hears nothing; the apply counts days from `--today`. A notice
//! whose `recipients_query` found no user is held back from sinks, looked at
//! again by every later apply, and delivered once it has a recipient. Every
//! scenario on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;

use crate::common::*;
use llm_lifecycle_catalog::{Catalog, Date};
use llm_lifecycle_runtime::cli::{exit, run};
use llm_lifecycle_runtime::{ApplyOptions, Notice, Notifier, apply_and_notify};
use llm_lifecycle_test_support::TestDb;

const MODELS: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4o", token_limit = 128_000, deprecated = true, replacement = "gpt-4.1", sunset = 2027-01-31 },
  { name = "o3", token_limit = 200_000, deprecated = true },
]

[[references]]
table = "assistants"
column = "llm_provider_model_id"
resource = "assistant"
team_column = "team_id"
name_column = "name"
"#;

const REMINDERS: &str = "
[notifications]
reminders = [30, 7, 1]
";

fn cli(db: &TestDb, catalog: &Catalog, args: &[&str]) -> (u8, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["apply-models", "--database-url", db.url(), "-q"];
    argv.extend_from_slice(args);
    let code = run(catalog, argv, &mut out, &mut err);
    let err = String::from_utf8(err).unwrap();
    (code, format!("{}{err}", String::from_utf8(out).unwrap()))
}

/// `apply --today DAY` through the command line; its output.
fn apply_on(db: &TestDb, catalog: &Catalog, day: &str) -> String {
    let (code, out) = cli(db, catalog, &["--today", day, "apply"]);
    assert_eq!(code, exit::OK, "{out}");
    out
}

/// `(team, reminder_days, title, message)` of every sunset reminder.
fn reminders(db: &TestDb) -> Vec<(i64, i64, String, String)> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_model_notifications WHERE slug = 'llm-model-sunset' \
         ORDER BY team_id, reminder_days DESC",
        db.concat(&[
            &db.text_cast("team_id"),
            "'|'",
            &db.text_cast("reminder_days"),
            "'|'",
            "title",
            "'|'",
            "message",
        ])
    ))
    .into_iter()
    .map(|v| {
        let v = v.unwrap();
        let parts: Vec<&str> = v.splitn(4, '|').collect();
        (
            parts[0].parse().unwrap(),
            parts[1].parse().unwrap(),
            parts[2].to_owned(),
            parts[3].to_owned(),
        )
    })
    .collect()
}

/// The schema, gpt-4o's and o3's rows; teams 1 and 2 each have an assistant
/// on gpt-4o (team 1 two), team 3 one on o3 (deprecated without a sunset).
fn seeded(db: &TestDb) -> Catalog {
    migrate(db);
    host_schema(db);
    seed_model(db, 101, None, "openai/gpt-4o", 128_000, true);
    seed_model(db, 102, None, "openai/o3", 200_000, true);
    db.execute(
        "INSERT INTO assistants (id, team_id, name, llm_provider_model_id) VALUES \
           (1, 1, 'Helper', 101), (2, 1, 'Second', 101), (3, 2, 'Quiet', 101), (4, 3, 'Other', 102)",
    );
    catalog(&format!("{MODELS}{REMINDERS}"))
}

const TITLE: &str = "LLM Model 'openai/gpt-4o' Retires on 2027-01-31";

fn message(left: &str, assistants: u32) -> String {
    format!(
        "The model 'openai/gpt-4o' retires on 2027-01-31, {left}. {assistants} assistant(s) are \
         still using it. Please update to 'openai/gpt-4.1' before then."
    )
}

fn each_team_still_using_the_model_is_reminded_once_per_threshold(db: &TestDb) {
    let catalog = seeded(db);
    // 61 days before the sunset: the deprecation notices, no reminder yet.
    apply_on(db, &catalog, "2026-12-01");
    assert_eq!(
        count(
            db,
            "llm_model_notifications WHERE slug = 'llm-model-deprecated'"
        ),
        3
    );
    assert_eq!(reminders(db), []);

    // 30 days before: the plan says who will be reminded, the apply does it.
    let (_, planned) = cli(db, &catalog, &["--today", "2027-01-01", "plan"]);
    assert!(
        planned.contains(
            "✉ notify 2 teams about openai/gpt-4o (retires on 2027-01-31, in 30 days: the \
             30-day reminder, use openai/gpt-4.1): team 1 (2 assistant(s)); team 2 (1 assistant(s))"
        ),
        "{planned}"
    );
    apply_on(db, &catalog, "2027-01-01");
    let thirty = vec![
        (1, 30, TITLE.to_owned(), message("in 30 days", 2)),
        (2, 30, TITLE.to_owned(), message("in 30 days", 1)),
    ];
    assert_eq!(reminders(db), thirty);
    // Inside the same threshold, later deploys remind nobody again.
    apply_on(db, &catalog, "2027-01-01");
    apply_on(db, &catalog, "2027-01-10");
    assert_eq!(reminders(db), thirty);
    let (_, planned) = cli(db, &catalog, &["--today", "2027-01-10", "plan"]);
    assert!(!planned.contains("✉"), "{planned}");

    // Team 2 moves off the model: it hears nothing more.
    db.execute("UPDATE assistants SET llm_provider_model_id = NULL WHERE team_id = 2");
    // 5 days before: the 7-day reminder, with the days actually left.
    apply_on(db, &catalog, "2027-01-26");
    // The day before, then on the day itself (the 1-day reminder was sent).
    apply_on(db, &catalog, "2027-01-30");
    apply_on(db, &catalog, "2027-01-31");
    // Past due: `check` fails, no reminder.
    apply_on(db, &catalog, "2027-02-01");
    assert_eq!(
        reminders(db),
        [
            (1, 30, TITLE.to_owned(), message("in 30 days", 2)),
            (1, 7, TITLE.to_owned(), message("in 5 days", 2)),
            (1, 1, TITLE.to_owned(), message("in 1 day", 2)),
            (2, 30, TITLE.to_owned(), message("in 30 days", 1)),
        ]
    );
    // o3 has no sunset: never a reminder; gpt-4o's deprecation notices stayed one per team.
    assert_eq!(
        count(db, "llm_model_notifications WHERE model = 'openai/o3'"),
        1
    );
    assert_eq!(
        count(
            db,
            "llm_model_notifications WHERE slug = 'llm-model-deprecated'"
        ),
        3
    );
    // The journal names each threshold with the number of teams told.
    assert_eq!(
        db.strings(&format!(
            "SELECT {} AS v FROM llm_lifecycle_events WHERE action = 'notified' \
             AND detail LIKE 'llm-model-sunset%' ORDER BY id",
            db.concat(&["detail", "'='", &db.text_cast("row_count")])
        )),
        [
            Some("llm-model-sunset 30d=2".to_owned()),
            Some("llm-model-sunset 7d=1".to_owned()),
            Some("llm-model-sunset 1d=1".to_owned()),
        ]
    );
}

/// A first deploy inside the 7-day threshold sends that reminder only, with
/// the deprecation notice; the 30-day one it missed is not sent afterwards.
/// Without `reminders`, nobody is reminded.
fn a_late_first_deploy_sends_the_tightest_reminder_only(db: &TestDb) {
    let catalog = seeded(db);
    let without = crate::common::catalog(MODELS);
    apply_on(db, &without, "2027-01-28");
    assert_eq!(reminders(db), []);
    apply_on(db, &catalog, "2027-01-28");
    apply_on(db, &catalog, "2027-01-29");
    assert_eq!(
        reminders(db),
        [
            (1, 7, TITLE.to_owned(), message("in 3 days", 2)),
            (2, 7, TITLE.to_owned(), message("in 3 days", 1)),
        ]
    );
    // The library API counts from `ApplyOptions::today` the same way.
    let options = ApplyOptions {
        today: Some("2027-01-31".parse::<Date>().unwrap()),
        ..ApplyOptions::default()
    };
    let report = llm_lifecycle_runtime::apply(&mut connect(db), &catalog, &options).unwrap();
    assert_eq!(report.counts.notified, 2);
    assert_eq!(
        count(
            db,
            "llm_model_notifications WHERE slug = 'llm-model-sunset' AND reminder_days = 1"
        ),
        2
    );
}

/// Records what it was handed: `(team, slug, recipients)`.
struct Recorder {
    accepted: RefCell<Vec<(i64, String, Vec<i64>)>>,
}

impl Notifier for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }

    fn deliver(&self, notice: &Notice) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.accepted.borrow_mut().push((
            notice.team_id,
            notice.slug.clone(),
            notice.recipients.clone(),
        ));
        Ok(())
    }
}

fn awaiting(db: &TestDb) -> Vec<i64> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_model_notifications WHERE awaiting_recipients ORDER BY team_id",
        db.text_cast("team_id")
    ))
    .into_iter()
    .map(|v| v.unwrap().parse().unwrap())
    .collect()
}

fn a_notice_that_reached_nobody_is_retried_and_then_delivered_once(db: &TestDb) {
    let _ = seeded(db);
    db.execute(
        "CREATE TABLE memberships (team_id BIGINT NOT NULL, user_id BIGINT NOT NULL);
         INSERT INTO memberships (team_id, user_id) VALUES (1, 10), (3, 30);",
    );
    // Team 2 has nobody yet.
    let catalog = crate::common::catalog(&format!(
        "{MODELS}
[notifications]
recipients_query = \"SELECT user_id FROM memberships WHERE team_id = $team_id\"
"
    ));
    let sink = Recorder {
        accepted: RefCell::new(Vec::new()),
    };
    let deploy = || {
        let (report, delivery) = apply_and_notify(
            &mut connect(db),
            &catalog,
            &ApplyOptions::default(),
            &[&sink],
        )
        .unwrap();
        (report, delivery.delivered)
    };
    let (first, delivered) = deploy();
    assert_eq!(first.counts.notified, 3);
    assert_eq!(delivered, 2);
    assert_eq!(awaiting(db), [2]);
    assert_eq!(
        *sink.accepted.borrow(),
        [
            (1, "llm-model-deprecated".to_owned(), vec![10]),
            (3, "llm-model-deprecated".to_owned(), vec![30]),
        ]
    );
    // Still nobody: looked at again, held again, never written twice.
    let (_, delivered) = deploy();
    assert_eq!(delivered, 0);
    assert_eq!(awaiting(db), [2]);
    assert_eq!(count(db, "llm_model_notifications WHERE team_id = 2"), 1);

    // Someone joins team 2: the next apply finds them, the notice goes out once.
    db.execute("INSERT INTO memberships (team_id, user_id) VALUES (2, 20)");
    let (third, delivered) = deploy();
    assert_eq!(third.counts.notified, 0, "no new notice");
    assert_eq!(delivered, 1);
    assert_eq!(awaiting(db), Vec::<i64>::new());
    assert_eq!(
        sink.accepted.borrow().last(),
        Some(&(2, "llm-model-deprecated".to_owned(), vec![20]))
    );
    assert_eq!(
        db.strings(&format!(
            "SELECT {} AS v FROM llm_lifecycle_events WHERE action = 'reached'",
            db.concat(&[
                "provider",
                "'/'",
                "name",
                "' '",
                "detail",
                "'='",
                &db.text_cast("row_count"),
            ])
        )),
        [Some("openai/gpt-4o llm-model-deprecated=1".to_owned())]
    );
    let (_, delivered) = deploy();
    assert_eq!(delivered, 0);
    assert_eq!(sink.accepted.borrow().len(), 3);
}

/// A team with nobody waits; once the catalogue drops `recipients_query`
/// nothing can find anyone, so its notice is delivered (without recipients).
fn dropping_the_recipients_query_releases_the_notices_that_waited(db: &TestDb) {
    let _ = seeded(db);
    db.execute("CREATE TABLE memberships (team_id BIGINT NOT NULL, user_id BIGINT NOT NULL)");
    let with = crate::common::catalog(&format!(
        "{MODELS}
[notifications]
recipients_query = \"SELECT user_id FROM memberships WHERE team_id = $team_id\"
"
    ));
    let sink = Recorder {
        accepted: RefCell::new(Vec::new()),
    };
    let options = ApplyOptions::default();
    let (_, delivery) = apply_and_notify(&mut connect(db), &with, &options, &[&sink]).unwrap();
    assert_eq!(delivery.delivered, 0);
    assert_eq!(awaiting(db), [1, 2, 3]);
    let without = crate::common::catalog(MODELS);
    let (_, delivery) = apply_and_notify(&mut connect(db), &without, &options, &[&sink]).unwrap();
    assert_eq!(delivery.delivered, 3);
    assert_eq!(awaiting(db), Vec::<i64>::new());
    assert!(
        sink.accepted
            .borrow()
            .iter()
            .all(|(_, _, to)| to.is_empty())
    );
}

llm_lifecycle_test_support::backend_tests!(
    each_team_still_using_the_model_is_reminded_once_per_threshold,
    a_late_first_deploy_sends_the_tightest_reminder_only,
    a_notice_that_reached_nobody_is_retried_and_then_delivered_once,
    dropping_the_recipients_query_releases_the_notices_that_waited
);
