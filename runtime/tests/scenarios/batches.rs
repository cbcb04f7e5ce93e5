//! `apply --batch-size N`: references move batch by batch before the final
//! transaction and end exactly where one transaction would have put them;
//! a run stopped between batches leaves every reference on a live row and
//! the next apply finishes the job. Every scenario runs on each backend,
//! against a twin database applied in one transaction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::num::NonZeroU64;

use crate::common::*;
use llm_lifecycle_runtime::{ApplyOptions, ApplyReport, Error, FailPoint, PlanOptions};
use llm_lifecycle_test_support::{Backend, TestDb};

/// Rows per batch: small, so the data below takes several.
pub(crate) const BATCH: u64 = 4;

/// A second database of `db`'s engine.
pub(crate) fn twin(db: &TestDb) -> TestDb {
    match db.backend() {
        Backend::Sqlite => TestDb::sqlite(),
        Backend::Postgres => TestDb::postgres().expect("the first one started"),
        Backend::Mysql => TestDb::mysql().expect("the first one started"),
    }
}

/// The usual references, 40 more assistants and 40 more pipeline nodes
/// spread over the three deleted models; with `replacement_exists` the
/// replacement `openai/gpt-4.1` is there before the apply (row 110), so its
/// references can move in batches.
pub(crate) fn prepared(db: &TestDb, replacement_exists: bool) {
    migrate(db);
    host_schema(db);
    seed_references(db);
    if replacement_exists {
        seed_model(db, 110, None, "openai/gpt-4.1", 1_000_000, false);
    }
    let mut assistants = Vec::new();
    let mut nodes = Vec::new();
    for i in 0..40_i64 {
        let model = 101 + i % 3;
        assistants.push(format!(
            "({}, {}, 'A{i}', FALSE, {model})",
            100 + i,
            1 + i % 2
        ));
        let value = if i % 4 == 0 {
            format!("\"{model}\"")
        } else {
            model.to_string()
        };
        nodes.push(format!(
            "({}, {}, '{{\"llm_provider_model_id\": {value}, \"n\": {i}}}')",
            100 + i,
            1 + i % 2
        ));
    }
    db.execute(&format!(
        "INSERT INTO assistants (id, team_id, name, archived, llm_provider_model_id) VALUES {};
         INSERT INTO pipeline_nodes (id, pipeline_id, params) VALUES {};",
        assistants.join(", "),
        nodes.join(", ")
    ));
}

pub(crate) fn batched() -> ApplyOptions {
    ApplyOptions {
        batch_size: NonZeroU64::new(BATCH),
        ..ApplyOptions::default()
    }
}

pub(crate) fn apply_with(db: &TestDb, options: &ApplyOptions) -> Result<ApplyReport, Error> {
    llm_lifecycle_runtime::apply(&mut connect(db), &full_catalog(), options)
}

/// The snapshot without the journal's size (batches add rows to it).
pub(crate) fn state(db: &TestDb) -> Vec<Option<String>> {
    let mut state = snapshot(db);
    state.pop();
    state.extend(db.strings(&format!(
        "SELECT {} AS v FROM evaluators ORDER BY id",
        db.text_cast("params")
    )));
    state
}

/// Every notice, without ids and runs.
pub(crate) fn notices(db: &TestDb) -> Vec<Option<String>> {
    db.strings(&format!(
        "SELECT {} AS v FROM llm_model_notifications ORDER BY team_id, slug, model",
        db.concat(&[
            &db.text_cast("team_id"),
            "':'",
            "slug",
            "':'",
            "model",
            "':'",
            "message"
        ])
    ))
}

/// The journal's `batched` rows: how many, and the rows they moved.
fn batched_events(db: &TestDb) -> (i64, i64) {
    let rows = db.string(&format!(
        "SELECT {} AS v FROM llm_lifecycle_events WHERE action = 'batched'",
        db.text_cast("COALESCE(SUM(row_count), 0)")
    ));
    (
        count(db, "llm_lifecycle_events WHERE action = 'batched'"),
        rows.parse().unwrap(),
    )
}

/// `plan --batch-size 4` as text.
fn batched_plan(db: &TestDb, catalog: &llm_lifecycle_catalog::Catalog) -> String {
    let options = PlanOptions {
        batch_size: NonZeroU64::new(BATCH),
        ..PlanOptions::default()
    };
    let plan = llm_lifecycle_runtime::plan_with(&mut connect(db), catalog, &options).unwrap();
    llm_lifecycle_runtime::plan::render::text(&plan)
}

fn sorted_updates(report: &ApplyReport) -> Vec<String> {
    let mut updates: Vec<String> = report
        .plan
        .reference_updates
        .iter()
        .map(|update| {
            format!(
                "{}.{} {} -> {:?}: {}",
                update.table, update.column, update.from, update.to, update.rows
            )
        })
        .collect();
    updates.sort();
    updates
}

fn references_move_in_batches_to_where_one_transaction_puts_them(db: &TestDb) {
    prepared(db, true);
    let single = twin(db);
    prepared(&single, true);

    let text = batched_plan(db, &full_catalog());
    assert!(
        text.contains(
            "⇉ batch 44 rows in assistants.llm_provider_model_id: 11 batches of at most 4 by id"
        ),
        "{text}"
    );
    assert!(text.contains("in pipeline_nodes.params: "), "{text}");

    let report = apply_with(db, &batched()).unwrap();
    let reference = apply(&single, &full_catalog()).unwrap();

    assert_eq!(state(db), state(&single), "the same end state");
    assert_eq!(notices(db), notices(&single), "the same notices");
    assert!(!notices(db).is_empty());
    assert_eq!(sorted_updates(&report), sorted_updates(&reference));
    assert_eq!(
        report.counts.repointed_rows,
        reference.counts.repointed_rows
    );
    assert_eq!(report.counts.cleared_rows, reference.counts.cleared_rows);
    assert_eq!(report.counts.deleted, 3);
    assert_eq!(report.counts.notified, reference.counts.notified);
    let batching = report
        .plan
        .batching
        .as_ref()
        .expect("the report says how it batched");
    let early: u64 = batching.columns.iter().map(|column| column.rows).sum();
    // assistants 44 + JSON nodes 43 (two of the seed's five are not references)
    // + evaluators 1 + experiments 2, all to a row that exists or cleared.
    assert_eq!(early, 90, "{batching:?}");
    let (events, rows) = batched_events(db);
    assert_eq!(
        rows, 90,
        "every row moved early is journalled with its batch"
    );
    assert!(events >= 22, "11 batches per big column at least: {events}");
    assert_eq!(batched_events(&single), (0, 0));
    // The ledger row is the one the batches started, finished by the final transaction.
    assert_eq!(count(db, "llm_lifecycle_runs"), 1);
    assert_eq!(
        count(db, "llm_lifecycle_runs WHERE status = 'succeeded'"),
        1
    );
    // And nothing is left to do.
    assert!(apply_with(db, &batched()).unwrap().plan.is_noop());
}

/// With `progress` (a terminal) PostgreSQL's plan counts the rows too, for
/// the bar: the apply moves, counts and tells exactly what one without does.
fn an_apply_with_a_progress_bar_does_what_one_without_does(db: &TestDb) {
    prepared(db, true);
    let quiet = twin(db);
    prepared(&quiet, true);
    let drawn = ApplyOptions {
        progress: true,
        ..ApplyOptions::default()
    };
    let report = apply_with(db, &drawn).unwrap();
    let reference = apply_with(&quiet, &ApplyOptions::default()).unwrap();
    assert_eq!(state(db), state(&quiet), "the same end state");
    assert_eq!(notices(db), notices(&quiet), "the same notices");
    assert_eq!(sorted_updates(&report), sorted_updates(&reference));
    assert_eq!(report.counts, reference.counts);
    assert!(report.counts.repointed_rows > 0);
}

fn a_run_stopped_between_batches_leaves_every_reference_on_a_live_row(db: &TestDb) {
    prepared(db, true);
    let single = twin(db);
    prepared(&single, true);
    let failing = ApplyOptions {
        fail_at: Some(FailPoint::BetweenBatches),
        ..batched()
    };
    let result = apply_with(db, &failing);
    assert!(
        matches!(result, Err(Error::Injected(FailPoint::BetweenBatches))),
        "{result:?}"
    );
    // The first batch stayed: 4 assistants moved (to 110, or cleared)…
    let ids = |sql: &str| -> Vec<i64> {
        db.strings(sql)
            .into_iter()
            .flatten()
            .map(|v| v.parse().unwrap())
            .collect()
    };
    let models = ids(&format!(
        "SELECT {} AS v FROM llm_provider_models",
        db.text_cast("id")
    ));
    for id in [101, 102, 103, 110] {
        assert!(
            models.contains(&id),
            "no model row is deleted before the final transaction"
        );
    }
    let moved = count(
        db,
        "assistants WHERE llm_provider_model_id = 110 OR (llm_provider_model_id IS NULL AND id <> 5)",
    );
    assert_eq!(moved, i64::try_from(BATCH).unwrap(), "one batch committed");
    // …and every reference names a model row that exists.
    let referenced = ids(&format!(
        "SELECT {} AS v FROM assistants WHERE llm_provider_model_id IS NOT NULL",
        db.text_cast("llm_provider_model_id")
    ));
    assert!(
        referenced.iter().all(|id| models.contains(id)),
        "{referenced:?}"
    );
    for node in [1, 2, 3, 100, 101, 102, 103, 139] {
        let value = json_value(db, "pipeline_nodes", node);
        let id: i64 = value.trim_matches('"').parse().unwrap();
        assert!(models.contains(&id), "node {node}: {value}");
    }
    // The run is recorded as failed, with what it moved; its notices were
    // written before the first batch, so the teams that moved are told.
    assert_eq!(count(db, "llm_lifecycle_runs WHERE status = 'failed'"), 1);
    let repointed: i64 = db
        .string(&format!(
            "SELECT {} AS v FROM llm_lifecycle_runs",
            db.text_cast("repointed_rows + cleared_rows")
        ))
        .parse()
        .unwrap();
    assert_eq!(repointed, i64::try_from(BATCH).unwrap());
    assert!(count(db, "llm_model_notifications") > 0);

    // The next apply finishes the job: the end state and the notices are
    // those of one transaction, no notice twice.
    apply_with(db, &batched()).unwrap();
    apply(&single, &full_catalog()).unwrap();
    assert_eq!(state(db), state(&single));
    assert_eq!(notices(db), notices(&single));
}

fn references_to_a_model_the_apply_creates_wait_for_the_final_transaction(db: &TestDb) {
    prepared(db, false);
    let single = twin(db);
    prepared(&single, false);
    let text = batched_plan(db, &full_catalog());
    assert!(
        text.contains(
            "  the final transaction moves 30 rows of assistants.llm_provider_model_id, \
             to a model row it creates"
        ),
        "{text}"
    );
    // Only the clears (o1-mini: 1 + 13 assistants) batch.
    assert!(
        text.contains("⇉ batch 14 rows in assistants.llm_provider_model_id: 4 batches"),
        "{text}"
    );
    let report = apply_with(db, &batched()).unwrap();
    apply(&single, &full_catalog()).unwrap();
    assert_eq!(state(db), state(&single));
    assert_eq!(notices(db), notices(&single));
    assert_eq!(report.counts.deleted, 3);
    // The report says what moved where: the plan did not count (no bar), the
    // batches and the final transaction did.
    let reported = llm_lifecycle_runtime::plan::render::text(&report.plan);
    assert!(
        reported.contains(
            "⇉ batch 14 rows in assistants.llm_provider_model_id: 4 batches of at most 4 by id"
        ),
        "{reported}"
    );
    assert!(
        reported.contains(
            "  the final transaction moves 30 rows of assistants.llm_provider_model_id, \
             to a model row it creates"
        ),
        "{reported}"
    );
}

/// Deleted models nothing refers to: the probes find no row to batch, so the
/// apply is one transaction, as without `--batch-size`.
fn with_nothing_to_move_a_batched_apply_is_one_transaction(db: &TestDb) {
    migrate(db);
    host_schema(db);
    seed_model(db, 101, None, "openai/gpt-4", 8_192, false);
    seed_model(db, 102, None, "openai/o1-mini", 128_000, false);
    let report = apply_with(db, &batched()).unwrap();
    assert_eq!(report.counts.deleted, 2);
    assert_eq!(report.batches, 0);
    assert!(report.plan.batching.is_none(), "{:?}", report.plan.batching);
    assert_eq!(batched_events(db), (0, 0));
    assert_eq!(count(db, "llm_lifecycle_runs"), 1);
    assert!(apply_with(db, &batched()).unwrap().plan.is_noop());
}

fn a_table_without_an_integer_key_moves_in_the_final_transaction(db: &TestDb) {
    migrate(db);
    db.execute(
        "CREATE TABLE prompts (slug VARCHAR(40) PRIMARY KEY, llm TEXT NULL);
         INSERT INTO prompts (slug, llm) VALUES ('a', 'openai/o1-mini'), ('b', 'openai/gpt-4.1');",
    );
    seed_model(db, 102, None, "openai/o1-mini", 128_000, false);
    let catalog = catalog(&format!(
        "{MODELS}\n[[references]]\ntable = \"prompts\"\ncolumn = \"llm\"\nkind = \"text\"\nresource = \"prompt\"\n"
    ));
    let text = batched_plan(db, &catalog);
    assert!(
        text.contains(
            "! no batches in prompts.llm: it has no primary key of one integer column, \
             so the final transaction moves its 1 row"
        ),
        "{text}"
    );
    let report = llm_lifecycle_runtime::apply(&mut connect(db), &catalog, &batched()).unwrap();
    assert_eq!(report.counts.cleared_rows, 1);
    assert_eq!(report.batches, 0, "nothing else to move: no batch");
    assert_eq!(
        db.strings("SELECT COALESCE(llm, 'null') AS v FROM prompts ORDER BY slug"),
        [Some("null".to_owned()), Some("openai/gpt-4.1".to_owned())]
    );
    assert_eq!(batched_events(db), (0, 0));
}

fn a_refused_batched_plan_moves_nothing(db: &TestDb) {
    prepared(db, true);
    let before = state(db);
    // The catalogue names a table that does not exist: refused.
    let catalog = catalog(&format!(
        "{MODELS}\n{REFERENCES}\n[[references]]\ntable = \"missing\"\ncolumn = \"model_id\"\nresource = \"thing\"\n"
    ));
    let result = llm_lifecycle_runtime::apply(&mut connect(db), &catalog, &batched());
    assert!(matches!(result, Err(Error::Refused(_))), "{result:?}");
    assert_eq!(state(db), before, "a refused plan moves nothing");
    assert_eq!(batched_events(db), (0, 0));
    assert_eq!(count(db, "llm_model_notifications"), 0);
    assert_eq!(count(db, "llm_lifecycle_runs WHERE status = 'refused'"), 1);
}

/// `apply-models ARGS` through `cli::run`: the exit code and stdout.
fn cli(args: &[&str]) -> (u8, String) {
    cli_with(&full_catalog(), args)
}

/// `apply-models ARGS` through `cli::run` with `catalog` compiled in.
fn cli_with(catalog: &llm_lifecycle_catalog::Catalog, args: &[&str]) -> (u8, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["apply-models"];
    argv.extend_from_slice(args);
    let code = llm_lifecycle_runtime::cli::run(catalog, argv, &mut out, &mut err);
    let out = String::from_utf8(out).unwrap();
    assert!(
        code == llm_lifecycle_runtime::cli::exit::OK,
        "{code}: {out}{}",
        String::from_utf8_lossy(&err)
    );
    (code, out)
}

fn the_command_line_batches_with_batch_size(db: &TestDb) {
    prepared(db, true);
    let url = db.url();
    let (_, planned) = cli(&["--database-url", url, "--batch-size", "4", "plan"]);
    assert!(
        planned.contains(
            "⇉ batch 44 rows in assistants.llm_provider_model_id: 11 batches of at most 4 by id, \
             each committed before the final transaction"
        ),
        "{planned}"
    );
    let (_, json) = cli(&[
        "--database-url",
        url,
        "--batch-size",
        "4",
        "--format",
        "json",
        "plan",
    ]);
    assert!(json.contains("\"batching\""), "{json}");
    // 0: no batches.
    let (_, unbatched) = cli(&["--database-url", url, "--batch-size", "0", "plan"]);
    assert!(!unbatched.contains("⇉"), "{unbatched}");
    assert!(!cli(&["--database-url", url, "plan"]).1.contains("⇉"));
    let (_, applied) = cli(&["--database-url", url, "--batch-size", "4"]);
    assert!(applied.contains("⇉ batch 44 rows"), "{applied}");
    assert!(
        applied.contains("29 rows cleared (24 batches before the final transaction);"),
        "{applied}"
    );
    assert_eq!(batched_events(db).1, 90);
}

/// `[apply] batch_size = 2` in the catalogue is the default of `--batch-size`
/// for `plan` and `apply`; `--batch-size N` wins, `--batch-size 0` turns it
/// off. The choice is the command line's, not the engine's: SQLite only.
#[test]
fn the_catalogue_sets_the_default_batch_size() {
    let db = TestDb::sqlite();
    prepared(&db, true);
    let catalog = catalog(&format!(
        "{MODELS}\n{REFERENCES}\n[apply]\nbatch_size = 2\n"
    ));
    let url = db.url();
    let (_, planned) = cli_with(&catalog, &["--database-url", url, "plan"]);
    assert!(
        planned.contains(
            "⇉ batch 44 rows in assistants.llm_provider_model_id: 22 batches of at most 2 by id, \
             each committed before the final transaction"
        ),
        "{planned}"
    );
    let (_, unbatched) = cli_with(
        &catalog,
        &["--database-url", url, "--batch-size", "0", "plan"],
    );
    assert!(!unbatched.contains("⇉"), "{unbatched}");
    let (_, four) = cli_with(
        &catalog,
        &["--database-url", url, "--batch-size", "4", "plan"],
    );
    assert!(
        four.contains(
            "⇉ batch 44 rows in assistants.llm_provider_model_id: 11 batches of at most 4"
        ),
        "{four}"
    );
    // `apply` batches at the catalogue's size too.
    let (_, applied) = cli_with(&catalog, &["--database-url", url]);
    assert!(applied.contains("22 batches of at most 2"), "{applied}");
    assert!(
        applied.contains("batches before the final transaction);"),
        "{applied}"
    );
    assert_eq!(batched_events(&db).1, 90);
}

/// The journal's `batched` rows of `table`: each batch's last key and rows,
/// in the order they ran (a batch writes a row per model it moved).
fn batches_of(db: &TestDb, table: &str) -> Vec<(i64, i64)> {
    let rows = db.strings(&format!(
        "SELECT {} AS v FROM llm_lifecycle_events WHERE action = 'batched' AND table_name = '{table}' \
         ORDER BY id",
        db.concat(&["detail", "'|'", &db.text_cast("row_count")])
    ));
    let mut batches: Vec<(String, i64, i64)> = Vec::new();
    for row in rows.into_iter().map(Option::unwrap) {
        // "batch 3: id in (2, 5]|4"
        let (detail, count) = row.split_once('|').unwrap();
        let count: i64 = count.parse().unwrap();
        let through: i64 = detail[detail.rfind(", ").unwrap() + 2..detail.len() - 1]
            .parse()
            .unwrap();
        match batches.last_mut() {
            Some((last, _, sum)) if *last == detail => *sum += count,
            _ => batches.push((detail.to_owned(), through, count)),
        }
    }
    batches
        .into_iter()
        .map(|(_, through, rows)| (through, rows))
        .collect()
}

/// PostgreSQL: a table's batches start at 1,000 rows, grow (at most twice
/// per batch, up to the batch size) while each takes under 100 ms, and
/// shrink back to 1,000 once they take longer, and the references still all
/// move, as one transaction moves them. The host's trigger here makes each
/// update of an assistant from id 4,000 on sleep 0.2 ms, so a batch of
/// 1,000 of those takes 200 ms at least; the ones before are quick.
#[test]
fn a_tables_batches_grow_while_quick_and_shrink_when_slow_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    prepared(&db, true);
    let single = twin(&db);
    prepared(&single, true);
    for db in [&db, &single] {
        db.execute(
            "INSERT INTO assistants (id, team_id, name, archived, llm_provider_model_id) \
             SELECT i, 1 + i % 2, 'B' || i, FALSE, 101 FROM generate_series(1000, 10999) i;
             CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS \
               $$ BEGIN PERFORM pg_sleep(0.0002); RETURN NEW; END $$;
             CREATE TRIGGER slow_down BEFORE UPDATE ON assistants \
               FOR EACH ROW WHEN (OLD.id >= 4000) EXECUTE FUNCTION slow_down();",
        );
    }
    let moving = count(
        &db,
        "assistants WHERE llm_provider_model_id IN (101, 102, 103)",
    );
    assert_eq!(moving, 10_044);
    let options = ApplyOptions {
        batch_size: NonZeroU64::new(4_000),
        ..ApplyOptions::default()
    };
    apply_with(&db, &options).unwrap();
    // (One transaction, in CI's batched pass too.)
    apply_with(&single, &ApplyOptions::default()).unwrap();
    assert_eq!(state(&db), state(&single), "the same end state");
    assert_eq!(notices(&db), notices(&single), "the same notices");

    let batches = batches_of(&db, "assistants");
    assert_eq!(
        batches.iter().map(|(_, rows)| rows).sum::<i64>(),
        moving,
        "{batches:?}"
    );
    assert_eq!(batches[0].1, 1_000, "the first batch: {batches:?}");
    assert!(
        batches.iter().all(|&(_, rows)| rows <= 4_000),
        "never more than the batch size: {batches:?}"
    );
    let slow = batches
        .iter()
        .position(|&(through, _)| through >= 4_000)
        .unwrap();
    assert!(
        batches[..slow].iter().any(|&(_, rows)| rows > 1_000),
        "quick batches grow: {batches:?}"
    );
    let (last, after) = batches[slow + 1..].split_last().unwrap();
    assert!(
        after.iter().all(|&(_, rows)| rows == 1_000) && last.1 <= 1_000,
        "after a slow batch, 1,000 rows each: {batches:?}"
    );
}

/// PostgreSQL: a batch commits without waiting for the disk
/// (`synchronous_commit` off, for its own transaction only), and the final
/// transaction, which deletes the model rows, commits as the session says.
/// Host triggers note the setting each moved row and each deleted model
/// row was written under.
#[test]
fn batches_commit_without_a_flush_and_the_final_transaction_with_one_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    prepared(&db, true);
    db.execute(
        "CREATE TABLE commit_modes (what TEXT NOT NULL, mode TEXT NOT NULL);
         CREATE FUNCTION note_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
           INSERT INTO commit_modes VALUES (TG_TABLE_NAME || ' ' || TG_OP,
             current_setting('synchronous_commit'));
           RETURN NULL; END $$;
         CREATE TRIGGER note_commit_mode AFTER UPDATE ON assistants
           FOR EACH ROW EXECUTE FUNCTION note_commit_mode();
         CREATE TRIGGER note_commit_mode AFTER DELETE ON llm_provider_models
           FOR EACH ROW EXECUTE FUNCTION note_commit_mode();",
    );
    let report = apply_with(&db, &batched()).unwrap();
    assert!(report.batches > 1, "{}", report.batches);
    assert_eq!(
        db.strings(
            "SELECT what || ': ' || mode || ' ' || COUNT(*) AS v FROM commit_modes \
             GROUP BY what, mode ORDER BY 1"
        ),
        [
            Some("assistants UPDATE: off 44".to_owned()),
            Some("llm_provider_models DELETE: on 3".to_owned()),
        ]
    );
}

llm_lifecycle_test_support::backend_tests!(
    the_command_line_batches_with_batch_size,
    an_apply_with_a_progress_bar_does_what_one_without_does,
    references_move_in_batches_to_where_one_transaction_puts_them,
    a_run_stopped_between_batches_leaves_every_reference_on_a_live_row,
    references_to_a_model_the_apply_creates_wait_for_the_final_transaction,
    a_table_without_an_integer_key_moves_in_the_final_transaction,
    a_refused_batched_plan_moves_nothing,
    with_nothing_to_move_a_batched_apply_is_one_transaction,
);
