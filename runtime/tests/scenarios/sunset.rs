//! Sunsets: `plan` and `status` show each deprecated model's sunset and the
//! days left (past-due ones stand out), and `check` fails while a team still
//! uses a deprecated model whose sunset has passed, naming the model, the
//! date and the teams. `--today` sets the day. Every scenario on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use llm_lifecycle_catalog::{Catalog, Date};
use llm_lifecycle_runtime::PlanOptions;
use llm_lifecycle_runtime::cli::{exit, run};
use llm_lifecycle_test_support::TestDb;

const SUNSETS: &str = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000 },
  { name = "gpt-4o", token_limit = 128_000, deprecated = true, replacement = "gpt-4.1", sunset = 2027-01-31 },
  { name = "gpt-4o-mini", token_limit = 128_000, deprecated = true, replacement = "gpt-4.1-mini", sunset = 2026-06-30 },
  { name = "o3", token_limit = 200_000, deprecated = true, replacement = "gpt-4.1" },
]

[[references]]
table = "assistants"
column = "llm_provider_model_id"
resource = "assistant"
team_column = "team_id"
name_column = "name"
"#;

fn cli(db: &TestDb, catalog: &Catalog, args: &[&str]) -> (u8, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["apply-models", "--database-url", db.url(), "-q"];
    argv.extend_from_slice(args);
    let code = run(catalog, argv, &mut out, &mut err);
    let err = String::from_utf8(err).unwrap();
    (code, format!("{}{err}", String::from_utf8(out).unwrap()))
}

/// The schema, the two deprecated models' rows, and assistants of teams 1
/// and 2 on `gpt-4o-mini` (past due from 2026-07-01) and of team 3 on `gpt-4o`.
fn seeded(db: &TestDb) -> Catalog {
    migrate(db);
    host_schema(db);
    seed_model(db, 101, None, "openai/gpt-4o", 128_000, true);
    seed_model(db, 102, None, "openai/gpt-4o-mini", 128_000, true);
    db.execute(
        "INSERT INTO assistants (id, team_id, name, llm_provider_model_id) VALUES \
           (1, 1, 'Helper', 102), (2, 1, 'Second', 102), (3, 2, 'Quiet', 102), (4, 3, 'Big', 101)",
    );
    let catalog = catalog(SUNSETS);
    apply(db, &catalog).unwrap();
    catalog
}

fn plan_and_status_show_the_days_left(db: &TestDb) {
    let catalog = seeded(db);
    let (code, out) = cli(db, &catalog, &["--today", "2026-12-03", "plan"]);
    assert_eq!(code, exit::OK, "{out}");
    // Soonest first; the model without a sunset is not listed.
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("sunset:")).collect();
    assert_eq!(
        lines,
        [
            "‼ sunset: openai/gpt-4o-mini retired on 2026-06-30, 156 days ago: past due (use openai/gpt-4.1-mini)",
            "⏳ sunset: openai/gpt-4o retires on 2027-01-31: 59 days left (use openai/gpt-4.1)",
        ]
    );
    let (_, out) = cli(db, &catalog, &["--today", "2027-01-31", "status"]);
    assert!(
        out.contains("⏳ sunset: openai/gpt-4o retires today (2027-01-31) (use openai/gpt-4.1)"),
        "{out}"
    );
    let (_, out) = cli(
        db,
        &catalog,
        &["--today", "2026-12-03", "--format", "json", "plan"],
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["sunsets"][0]["model"]["name"], "gpt-4o-mini");
    assert_eq!(json["sunsets"][0]["days_left"], -156);
    assert_eq!(json["sunsets"][1]["days_left"], 59);
    let (_, out) = cli(
        db,
        &catalog,
        &["--today", "2026-12-03", "--format", "markdown", "plan"],
    );
    assert!(out.contains("### Sunsets"), "{out}");
    assert!(out.contains("**past due** (156 days ago)"), "{out}");
    // The API: PlanOptions::today.
    let options = PlanOptions {
        today: Some("2026-06-01".parse::<Date>().unwrap()),
        ..PlanOptions::default()
    };
    let plan = llm_lifecycle_runtime::plan_with(&mut connect(db), &catalog, &options).unwrap();
    let days: Vec<i64> = plan.sunsets.iter().map(|s| s.days_left).collect();
    assert_eq!(days, [29, 244]);
    // A bad --today is a usage error.
    let (code, out) = cli(db, &catalog, &["--today", "2026-02-30", "plan"]);
    assert_eq!(code, exit::USAGE, "{out}");
    assert!(out.contains("is not a date: write YYYY-MM-DD"), "{out}");
}

fn check_fails_while_a_team_uses_a_past_due_model(db: &TestDb) {
    let catalog = seeded(db);
    // On the sunset day itself nothing is past due yet.
    let (code, out) = cli(db, &catalog, &["--today", "2026-06-30", "check"]);
    assert_eq!(code, exit::OK, "{out}");
    assert!(
        out.contains("✓ no team uses a deprecated model past its sunset (as of 2026-06-30; 2 sunset(s), 0 past)"),
        "{out}"
    );
    // The day after: teams 1 and 2 are named, with their resources.
    let (code, out) = cli(db, &catalog, &["--today", "2026-07-01", "check"]);
    assert_eq!(code, exit::REFUSED, "{out}");
    assert!(
        out.contains(
            "✗ openai/gpt-4o-mini passed its sunset on 2026-06-30 (1 day(s) ago) and is still used \
             by 2 team(s): team 1 (2 assistant(s)), team 2 (1 assistant(s)); move them to \
             openai/gpt-4.1-mini"
        ),
        "{out}"
    );
    assert!(!out.contains("openai/gpt-4o passed"), "{out}");
    let (code, out) = cli(
        db,
        &catalog,
        &["--today", "2027-02-01", "--format", "json", "check"],
    );
    assert_eq!(code, exit::REFUSED);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let past: Vec<(String, u64)> = json["past_due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["sunset"]["model"]["name"].as_str().unwrap().to_owned(),
                p["teams"].as_array().unwrap().len() as u64,
            )
        })
        .collect();
    assert_eq!(
        past,
        [("gpt-4o-mini".to_owned(), 2), ("gpt-4o".to_owned(), 1)]
    );
    // Teams told about the deprecation before still count: check looks at use,
    // not at notices (the apply above wrote them).
    assert!(count(db, "llm_model_notifications") > 0);

    // The teams move off: the check passes, and it wrote nothing.
    db.execute(
        "UPDATE assistants SET llm_provider_model_id = NULL WHERE llm_provider_model_id = 102",
    );
    let (code, out) = cli(db, &catalog, &["--today", "2026-07-01", "check"]);
    assert_eq!(code, exit::OK, "{out}");
    let notices = count(db, "llm_model_notifications");
    let runs = count(db, "llm_lifecycle_runs");
    let _ = cli(db, &catalog, &["--today", "2027-02-01", "check"]);
    assert_eq!(count(db, "llm_model_notifications"), notices);
    assert_eq!(count(db, "llm_lifecycle_runs"), runs);
}

llm_lifecycle_test_support::backend_tests!(
    plan_and_status_show_the_days_left,
    check_fails_while_a_team_uses_a_past_due_model
);
