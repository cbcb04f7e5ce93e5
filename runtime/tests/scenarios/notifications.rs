//! Team notifications: who is affected (counted before repointing, through
//! joins, filtered), the exact texts and links, told once, recipients, sinks.
//! Every scenario runs on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{apply, catalog, connect, count, global_id, options, plan, seed_model};
use crate::notifications_support::*;
use llm_lifecycle_catalog::Catalog;
use llm_lifecycle_runtime::notify::{ModelChange, SLUG_DELETED, SLUG_DEPRECATED};
use llm_lifecycle_runtime::{Error, Refusal, apply_and_notify, history};
use llm_lifecycle_test_support::{Backend, TestDb};

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
                 updated to use 'openai/gpt-4o'."
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
        db.strings(&format!(
            "SELECT DISTINCT {} AS v FROM llm_model_notifications",
            db.concat(&["level", "' '", "permission"])
        )),
        [Some(
            "warning service_providers.change_llmprovidermodel".to_owned()
        )]
    );
    // The filter only limits who is told: the archived chatbot was repointed too.
    let target = global_id(db, "openai/gpt-4o").unwrap();
    assert_eq!(
        db.string(&format!(
            "SELECT {} AS v FROM chatbots WHERE id = 2",
            db.text_cast("llm_provider_model_id")
        )),
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
         1 chatbot(s) are still using it. Please update to 'openai/gpt-4o' before it is removed."
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
                "The model 'openai/gpt-3.5' has been deprecated and will be removed on 2027-01-31. \
                 1 pipeline(s) are still using it."
                    .to_owned(),
            )
        ]
    );
    // Journal and ledger agree with what was written: one `notified` row per
    // model told about, the number of teams in `row_count`.
    assert_eq!(
        notified_journal(db),
        [
            "openai/gpt-4o-mini llm-model-deprecated 1 gpt-4o",
            "openai/gpt-4 llm-model-deleted 1 gpt-4o",
            "openai/o1-mini llm-model-deleted 1 -",
            "openai/gpt-3.5 llm-model-deprecated 1 -",
        ]
    );
    let runs = history(&mut connect(db), None, 10).unwrap();
    let notified: Vec<i64> = runs.iter().rev().map(|run| run.notified).collect();
    assert_eq!(notified, [3, 0, 1]);
    // Each notice names the run that wrote it.
    let run_ids: Vec<i64> = runs.iter().rev().map(|run| run.id).collect();
    assert_eq!(
        count(
            db,
            &format!(
                "llm_model_notifications WHERE run_id = {} AND model = 'openai/gpt-3.5'",
                run_ids[2]
            )
        ),
        1
    );
    assert_eq!(
        count(
            db,
            &format!("llm_model_notifications WHERE run_id = {}", run_ids[0])
        ),
        3
    );

    // Nothing else changes, but two teams start using a deprecated model: the
    // plan is not a no-op, and the apply tells those teams (and only them).
    assert!(plan(db, &full(MODELS_LATER, "")).is_noop());
    db.execute(
        "INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) \
         VALUES (7, 3, 'New', FALSE, 103), (8, 4, 'Newer', FALSE, 103)",
    );
    let pending = plan(db, &full(MODELS_LATER, ""));
    assert!(!pending.is_noop());
    assert_eq!(
        llm_lifecycle_runtime::plan::render::summary(&pending),
        "Plan: 2 team notifications to write."
    );
    let fourth = apply(db, &full(MODELS_LATER, "")).unwrap();
    assert_eq!(fourth.counts.notified, 2);
    assert_eq!(
        count(
            db,
            "llm_model_notifications WHERE team_id IN (3, 4) AND model = 'openai/gpt-4o-mini'"
        ),
        2
    );
    // One journal row for the model, counting both teams.
    assert_eq!(
        notified_journal(db).last().map(String::as_str),
        Some("openai/gpt-4o-mini llm-model-deprecated 2 gpt-4o")
    );
    assert_eq!(notified_journal(db).len(), 5);
    assert!(plan(db, &full(MODELS_LATER, "")).is_noop());
}

/// PostgreSQL: the resources of a model the journal says was told about
/// are checked against the notices written, so the teams told before are
/// never aggregated again; a model it knows nothing about is not checked,
/// and the once-per-team key still writes each notice once. A host `BEFORE
/// INSERT` trigger notes every notice proposed (it fires before the
/// conflict is found).
#[test]
fn teams_told_before_are_left_out_when_the_journal_knows_them_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let db = &db;
    prepared(db);
    apply(db, &full(MODELS, "")).unwrap();
    db.execute(
        "CREATE TABLE proposed (team_id BIGINT NOT NULL, model TEXT NOT NULL);
         CREATE FUNCTION note_proposed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
           INSERT INTO proposed VALUES (NEW.team_id, NEW.model); RETURN NEW; END $$;
         CREATE TRIGGER note_proposed BEFORE INSERT ON llm_model_notifications
           FOR EACH ROW EXECUTE FUNCTION note_proposed();",
    );
    let proposed = |db: &TestDb| {
        let teams = db.strings(
            "SELECT string_agg(CAST(team_id AS TEXT), ',' ORDER BY team_id) AS v \
             FROM proposed WHERE model = 'openai/gpt-4o-mini'",
        );
        db.execute("DELETE FROM proposed");
        teams.into_iter().flatten().collect::<Vec<_>>()
    };
    // Team 3 starts using the deprecated model team 1 was told about: the
    // journal says so, and only team 3's notice is proposed.
    db.execute(
        "INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) \
         VALUES (7, 3, 'New', FALSE, 103)",
    );
    assert_eq!(apply(db, &full(MODELS, "")).unwrap().counts.notified, 1);
    assert_eq!(proposed(db), ["3"]);
    // The journal forgets (a host trimmed it): team 4's apply proposes every
    // team's notice, and writes team 4's alone.
    db.execute("DELETE FROM llm_lifecycle_events WHERE action = 'notified'");
    db.execute(
        "INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) \
         VALUES (8, 4, 'Newer', FALSE, 103)",
    );
    assert_eq!(apply(db, &full(MODELS, "")).unwrap().counts.notified, 1);
    assert_eq!(proposed(db), ["1,3,4"]);
    assert_eq!(
        db.strings(
            "SELECT string_agg(CAST(team_id AS TEXT), ',' ORDER BY team_id) AS v \
             FROM llm_model_notifications WHERE model = 'openai/gpt-4o-mini'"
        ),
        [Some("1,3,4".to_owned())]
    );
    assert_eq!(
        notified_journal(db),
        ["openai/gpt-4o-mini llm-model-deprecated 1 gpt-4o"]
    );
    // The journal knows again: nothing is proposed.
    assert_eq!(apply(db, &full(MODELS, "")).unwrap().counts.notified, 0);
    assert_eq!(proposed(db), Vec::<String>::new());
}

/// `provider/name slug teams replacement` of every `notified` journal row, in order.
fn notified_journal(db: &TestDb) -> Vec<String> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_lifecycle_events WHERE action = 'notified' ORDER BY id",
        db.concat(&[
            "provider",
            "'/'",
            "name",
            "' '",
            "detail",
            "' '",
            &db.text_cast("row_count"),
            "' '",
            "COALESCE(target_name, '-')",
        ])
    ))
    .into_iter()
    .map(Option::unwrap_or_default)
    .collect()
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
    // The engine's own bind placeholder: `?` on SQLite and MySQL, `$1` on
    // PostgreSQL (where `?` is a JSON operator and allowed).
    let (bind, named) = match db.backend() {
        Backend::Postgres => ("name <> $1", "`$1`"),
        Backend::Sqlite | Backend::Mysql => ("name <> ?", "`?`"),
    };
    let placeholder = catalog(&format!("{MODELS}\n{REFERENCES}").replace("archived = FALSE", bind));
    let plan = plan(db, &placeholder);
    assert!(
        matches!(plan.refusals.as_slice(), [Refusal::InvalidFilter { reason, .. }] if reason.contains(named)),
        "{:?}",
        plan.refusals
    );
    assert_eq!(count(db, "llm_model_notifications"), 0);
    assert_eq!(global_id(db, "openai/gpt-4"), Some(101), "nothing written");
}

/// A filter is the engine's SQL, not ours: a quote inside a comment and
/// PostgreSQL's `?` operator mean what they mean to the engine.
fn a_filter_with_comments_and_engine_operators_counts_like_the_plain_one(db: &TestDb) {
    prepared(db);
    let teams = |catalog: &Catalog| {
        let plan = plan(db, catalog);
        assert!(plan.refusals.is_empty(), "{:?}", plan.refusals);
        plan.affected
            .iter()
            .map(|model| {
                (
                    model.model.to_string(),
                    model.teams.iter().map(|t| t.team_id).collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>()
    };
    let plain = teams(&full(MODELS, ""));
    let source = format!("{MODELS}\n{REFERENCES}").replace(
        "archived = FALSE",
        "archived = FALSE /* don't count drafts */ -- nor 'these'",
    );
    assert!(!plain.is_empty());
    assert_eq!(teams(&catalog(&source)), plain);
    if db.backend() == Backend::Postgres {
        // Only nodes whose params hold the key: all of them here.
        let source = format!("{MODELS}\n{REFERENCES}").replace(
            "through = { table = \"pipelines\", column = \"pipeline_id\" }",
            "through = { table = \"pipelines\", column = \"pipeline_id\" }\nfilter = \"params ? 'llm_provider_model_id'\"",
        );
        assert!(source.contains("params ?"));
        assert_eq!(teams(&catalog(&source)), plain);
    }
    // The same in the recipients query, with a comment at its very end.
    let recipients = RECIPIENTS.replace(
        "permission = $permission\"",
        "/* who's */ permission = $permission -- isn't it\"",
    );
    assert!(recipients.contains("isn't"));
    let applied = apply(db, &full(MODELS, &recipients)).unwrap();
    assert!(applied.counts.notified > 0);
    assert!(count(db, "llm_model_notification_recipients") > 0);
}

fn recipients_are_one_row_per_user_per_notification(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, RECIPIENTS)).unwrap();
    let rows = recipient_rows(db);
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

fn a_failing_notifier_is_retried_and_never_resent(db: &TestDb) {
    prepared(db);
    let sink = Flaky::failing();
    let catalog = full(MODELS, RECIPIENTS);
    let options = options();
    let (_, first) = apply_and_notify(&mut connect(db), &catalog, &options, &[&sink]).unwrap();
    assert_eq!((first.delivered, first.failed), (0, 3));
    assert_eq!(
        db.string(&format!(
            "SELECT {} AS v FROM llm_model_notification_deliveries WHERE delivered_at IS NULL",
            db.concat(&[&db.text_cast("MIN(attempts)"), "' '", "MIN(last_error)"])
        )),
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

/// Counts what it is handed, slowly, from any thread.
struct SlowCountingSink {
    accepted: std::sync::Mutex<Vec<i64>>,
}

impl llm_lifecycle_runtime::Notifier for SlowCountingSink {
    fn name(&self) -> &str {
        "slow"
    }

    fn deliver(
        &self,
        notice: &llm_lifecycle_runtime::Notice,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // Widens the window in which a second deployer could pick the same notice.
        std::thread::sleep(std::time::Duration::from_millis(30));
        self.accepted.lock().unwrap().push(notice.id);
        Ok(())
    }
}

/// Two deploys delivering at the same moment hand each notice over once.
fn concurrent_deliveries_hand_each_notice_over_once(db: &TestDb) {
    prepared(db);
    apply(db, &full(MODELS, RECIPIENTS)).unwrap();
    let sink = SlowCountingSink {
        accepted: std::sync::Mutex::new(Vec::new()),
    };
    let reports: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    llm_lifecycle_runtime::notify::deliver(&mut connect(db), &[&sink]).unwrap()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut accepted = sink.accepted.lock().unwrap().clone();
    accepted.sort_unstable();
    assert_eq!(
        accepted.len(),
        3,
        "each of the 3 notices once: {accepted:?}"
    );
    accepted.dedup();
    assert_eq!(accepted.len(), 3, "no notice twice");
    let delivered: u64 = reports.iter().map(|r| r.delivered).sum();
    assert_eq!(delivered, 3);
    assert!(reports.iter().all(|r| r.failed == 0));
}

/// The same two deliverers on a database whose default isolation level is
/// REPEATABLE READ: the delivery lock's transaction still sees what the
/// previous holder committed, so no notice is handed over twice.
fn concurrent_deliveries_under_repeatable_read_hand_each_notice_over_once(db: &TestDb) {
    match db.backend() {
        Backend::Postgres => {
            db.execute(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation = %L', \
                 current_database(), 'repeatable read'); END $$",
            );
            assert_eq!(
                db.string("SELECT current_setting('default_transaction_isolation') AS v"),
                "repeatable read"
            );
        }
        // InnoDB's default (MySQL has no per-database setting). `tx_isolation`
        // is MariaDB's name for it (MySQL 8: `transaction_isolation`).
        Backend::Mysql => assert_eq!(
            db.string("SELECT CAST(@@tx_isolation AS CHAR) AS v"),
            "REPEATABLE-READ"
        ),
        Backend::Sqlite => {}
    }
    concurrent_deliveries_hand_each_notice_over_once(db);
}

/// More models told about than one read-back statement lists (200), one of
/// them with more teams than a report lists (20): the apply's report gives
/// each model's first teams, with their counts and links, and how many
/// more, as the plan computed them before it.
fn the_report_lists_the_first_teams_of_every_model_told_as_the_plan_does(db: &TestDb) {
    prepared(db);
    const LEGACY: i64 = 210;
    let mut entries = String::new();
    let mut bots = Vec::new();
    for i in 0..LEGACY {
        entries.push_str(&format!(
            "  {{ name = \"legacy-{i}\", token_limit = 8_000, deprecated = true, \
             replacement = \"gpt-4o\" }},\n"
        ));
        seed_model(
            db,
            1000 + i,
            None,
            &format!("openai/legacy-{i}"),
            8_000,
            false,
        );
        // legacy-0: teams 100..=124; every other model: team 200 + i.
        let teams: Vec<i64> = if i == 0 {
            (100..125).collect()
        } else {
            vec![200 + i]
        };
        for team in teams {
            let id = 100 + bots.len();
            bots.push(format!("({id}, {team}, 'Bot {i}', FALSE, {})", 1000 + i));
        }
    }
    db.execute(&format!(
        "INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) VALUES {}",
        bots.join(", ")
    ));
    let anchor = "  { name = \"gpt-3.5\", token_limit = 16_000 },\n";
    assert!(MODELS.contains(anchor));
    let models = MODELS.replace(anchor, &format!("{anchor}{entries}"));
    let catalog = full(&models, "");
    let planned = plan(db, &catalog);
    let report = apply(db, &catalog).unwrap();
    let key = |m: &llm_lifecycle_runtime::plan::AffectedModel| {
        (m.model.to_string(), m.change, m.reminder)
    };
    assert_eq!(planned.affected.len(), usize::try_from(LEGACY).unwrap() + 3);
    assert_eq!(report.plan.affected.len(), planned.affected.len());
    for expected in &planned.affected {
        let got = report
            .plan
            .affected
            .iter()
            .find(|m| key(m) == key(expected))
            .unwrap_or_else(|| panic!("{} is not in the report", expected.model));
        let listed = expected
            .teams
            .len()
            .min(llm_lifecycle_runtime::plan::AffectedModel::LISTED);
        assert_eq!(got.teams, expected.teams[..listed], "{}", expected.model);
        assert_eq!(
            got.more_teams,
            expected.teams.len() - listed,
            "{}",
            expected.model
        );
    }
    let legacy = report
        .plan
        .affected
        .iter()
        .find(|m| m.model.to_string() == "openai/legacy-0")
        .unwrap();
    assert_eq!(
        (
            legacy.teams.first().map(|t| t.team_id),
            legacy.teams.len(),
            legacy.more_teams
        ),
        (Some(100), 20, 5)
    );
    assert_eq!(
        report.counts.notified,
        i64::try_from(
            planned
                .affected
                .iter()
                .map(|m| m.teams.len())
                .sum::<usize>()
        )
        .unwrap()
    );
}

/// More teams than one statement holds (10,000 per `INSERT` on SQLite): every
/// team is told once, one journal row counts them all.
fn more_teams_than_one_statement_holds_are_all_told_once(db: &TestDb) {
    prepared(db);
    if db.backend() == Backend::Mysql {
        // The same rows listed: MariaDB stops a recursive CTE at
        // max_recursive_iterations (1,000), MySQL at cte_max_recursion_depth.
        let rows: Vec<String> = (1000..=11_499)
            .map(|n| format!("({n}, {n}, 'Bot {n}', FALSE, 103)"))
            .collect();
        db.execute(&format!(
            "INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) VALUES {}",
            rows.join(", ")
        ));
    } else {
        db.execute(
            "WITH RECURSIVE g(n) AS (SELECT 1000 UNION ALL SELECT n + 1 FROM g WHERE n < 11499) \
             INSERT INTO chatbots (id, team_id, name, archived, llm_provider_model_id) \
             SELECT n, n, 'Bot ' || CAST(n AS TEXT), FALSE, 103 FROM g",
        );
    }
    let first = apply(db, &full(MODELS, "")).unwrap();
    // 10,500 new teams and team 1 about gpt-4o-mini; gpt-4 and o1-mini as before.
    assert_eq!(first.counts.notified, 10_503);
    assert_eq!(
        count(
            db,
            "llm_model_notifications WHERE model = 'openai/gpt-4o-mini'"
        ),
        10_501
    );
    assert_eq!(
        notified_journal(db),
        [
            "openai/gpt-4o-mini llm-model-deprecated 10501 gpt-4o",
            "openai/gpt-4 llm-model-deleted 1 gpt-4o",
            "openai/o1-mini llm-model-deleted 1 -",
        ]
    );
    let last = notifications(db)
        .into_iter()
        .find(|n| n.0 == 11_499)
        .expect("the last team is told");
    assert_eq!(
        last.4,
        "The model 'openai/gpt-4o-mini' has been deprecated and will be removed soon. \
         1 chatbot(s) are still using it. Please update to 'openai/gpt-4o' before it is removed."
    );
    assert_eq!(
        links(db, 11_499, "openai/gpt-4o-mini"),
        map(&[("Bot 11499", "/a/11499/chatbots/11499/")])
    );
    let second = apply(db, &full(MODELS, "")).unwrap();
    assert_eq!(second.counts.notified, 0);
    assert_eq!(notified_journal(db).len(), 3);
}

llm_lifecycle_test_support::backend_tests!(
    deletion_notices_have_the_exact_texts_counts_and_links,
    teams_without_references_get_nothing,
    resources_reached_through_a_join_belong_to_the_joined_rows_team,
    a_deprecated_model_notifies_its_team_once,
    plan_shows_affected_teams_and_writes_no_notification,
    an_invalid_filter_refuses_the_plan,
    an_invalid_recipients_query_or_a_placeholder_in_a_filter_refuses_the_plan,
    a_filter_with_comments_and_engine_operators_counts_like_the_plain_one,
    recipients_are_one_row_per_user_per_notification,
    a_failing_notifier_is_retried_and_never_resent,
    more_teams_than_one_statement_holds_are_all_told_once,
    the_report_lists_the_first_teams_of_every_model_told_as_the_plan_does,
    concurrent_deliveries_hand_each_notice_over_once,
    concurrent_deliveries_under_repeatable_read_hand_each_notice_over_once,
);
