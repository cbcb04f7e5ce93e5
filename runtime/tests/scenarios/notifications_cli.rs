//! `apply-models` and notifications: the plan as a pull-request comment
//! (`--format markdown`, snapshot), affected teams in JSON, host sinks.
//! Every scenario runs on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{catalog, count, plan};
use crate::notifications_support::*;
use llm_lifecycle_test_support::TestDb;

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
    let sink = Flaky::failing();
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
    the_plan_renders_as_a_pull_request_comment,
    apply_models_plan_prints_the_comment_with_format_markdown,
    apply_models_delivers_to_host_notifiers_and_shows_affected_teams_in_json,
);
