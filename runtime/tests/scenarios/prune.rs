//! `apply-models prune` against a temporary git repository with back-dated
//! commits and two environments (SQLite "staging", PostgreSQL "prod"), one of
//! which has not applied every deletion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{apply, catalog, migrate, seed_model};
use crate::prune_support;
use crate::prune_support::{TestRepo, apply_models, row, without_lines};
use llm_lifecycle_test_support::TestDb;

/// Version 1 (200 days ago): no deleted entries yet; `text-davinci-003` is a
/// live model and other names only appear in a comment (false `git log -S` hits).
const V1: &str = r#"# Test catalogue for prune. Soon gone: "o1-mini", "gpt-4-turbo".
[providers.openai]
label = "OpenAI"
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000 },  # the cheap one
  { name = "text-davinci-003", token_limit = 4_096 },
]

[providers.anthropic]
models = [{ name = "claude-sonnet-4-6", token_limit = 1_000_000, default = true }]
"#;

/// Version 2 (90 days ago): five deletions.
const V2: &str = r#"# Test catalogue for prune.
[providers.openai]
label = "OpenAI"
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000 },  # the cheap one
]
deleted = [
  # Retired in the spring.
  { name = "gpt-4-turbo", replacement = "gpt-4.1" },  # safe everywhere
  { name = "o1-mini" },                               # prod still has the row
  { name = "gpt-3.5-turbo", replacement = "gpt-4.1-mini" },
  { name = "text-davinci-003" },
]

[providers.anthropic]
models = [{ name = "claude-sonnet-4-6", token_limit = 1_000_000, default = true }]
deleted = [{ name = "claude-2.0" }]

[[references]]
table = "experiments"
column = "llm"
kind = "text"
resource = "experiment"
"#;

/// Version 3 (10 days ago): two recent deletions; `claude-2.1` has an old
/// `deleted_on`, which git history overrides.
const V3: &str = r#"# Test catalogue for prune.
[providers.openai]
label = "OpenAI"
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000 },  # the cheap one
]
deleted = [
  # Retired in the spring.
  { name = "gpt-4-turbo", replacement = "gpt-4.1" },  # safe everywhere
  { name = "o1-mini" },                               # prod still has the row
  { name = "gpt-3.5-turbo", replacement = "gpt-4.1-mini" },
  { name = "gpt-3.5-turbo-16k", replacement = "gpt-3.5-turbo" },  # recent
  { name = "text-davinci-003" },
]

[providers.anthropic]
models = [{ name = "claude-sonnet-4-6", token_limit = 1_000_000, default = true }]
deleted = [{ name = "claude-2.0" }, { name = "claude-2.1", deleted_on = 2020-01-01 }]

[[references]]
table = "experiments"
column = "llm"
kind = "text"
resource = "experiment"
"#;

/// Version 4 (5 days ago): only a comment changes.
fn v4() -> String {
    V3.replace(
        "# Test catalogue for prune.",
        "# Test catalogue for prune (v4).",
    )
}

/// What prod applied: like the file, but `o1-mini` is still a live model there.
fn prod_catalog_text() -> String {
    v4().replace(
        "  { name = \"o1-mini\" },                               # prod still has the row\n",
        "",
    )
    .replace(
        "  { name = \"gpt-4.1-mini\", token_limit = 1_000_000 },  # the cheap one\n",
        "  { name = \"gpt-4.1-mini\", token_limit = 1_000_000 },\n  { name = \"o1-mini\", token_limit = 128_000 },\n",
    )
}

fn history() -> TestRepo {
    let repo = TestRepo::new();
    repo.commit(V1, 200, "first catalogue");
    repo.commit(V2, 90, "delete five models");
    repo.commit(V3, 10, "delete two more");
    repo.commit(&v4(), 5, "reword the heading");
    repo
}

/// Rows for every deleted model that existed, and the text-reference table.
fn seed(db: &TestDb) {
    migrate(db);
    db.execute("CREATE TABLE experiments (id BIGINT PRIMARY KEY, team_id BIGINT, name TEXT, llm TEXT NULL)");
    for (id, model) in [
        (101, "openai/gpt-4-turbo"),
        (102, "openai/o1-mini"),
        (103, "openai/gpt-3.5-turbo"),
        (104, "openai/gpt-3.5-turbo-16k"),
        (105, "anthropic/claude-2.0"),
    ] {
        seed_model(db, id, None, model, 8_192, false);
    }
}

/// staging (SQLite) applied the file; prod (PostgreSQL) applied a catalogue where
/// `o1-mini` is live, and a prod experiment still names `anthropic/claude-2.1`.
fn environments(repo: &TestRepo) -> Option<(TestDb, TestDb)> {
    let staging = TestDb::sqlite();
    let prod = TestDb::postgres()?;
    seed(&staging);
    seed(&prod);
    let file = std::fs::read_to_string(repo.catalog()).unwrap();
    apply(&staging, &catalog(&file)).unwrap();
    apply(&prod, &catalog(&prod_catalog_text())).unwrap();
    prod.execute(
        "INSERT INTO experiments (id, team_id, name, llm) VALUES (1, 1, 'Old', 'anthropic/claude-2.1')",
    );
    Some((staging, prod))
}

fn env_args<'a>(staging: &'a str, prod: &'a str) -> Vec<String> {
    vec![
        "--env".into(),
        format!("staging={staging}"),
        "--env".into(),
        format!("prod={prod}"),
    ]
}

fn prune(repo: &TestRepo, envs: &[String], extra: &[&str]) -> prune_support::Outcome {
    let catalog = repo.catalog().to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["prune", "--catalog", &catalog];
    args.extend(envs.iter().map(String::as_str));
    args.extend_from_slice(extra);
    apply_models(&args)
}

#[test]
fn verdicts_follow_environments_history_and_replacements() {
    let repo = history();
    let Some((staging, prod)) = environments(&repo) else {
        return;
    };
    let outcome = prune(&repo, &env_args(staging.url(), prod.url()), &[]);
    println!("{}", outcome.out);
    assert_eq!(outcome.code, 0, "{}\n{}", outcome.out, outcome.err);
    assert!(outcome.err.is_empty(), "{}", outcome.err);
    assert!(
        outcome.out.contains("git history of branch main"),
        "{}",
        outcome.out
    );
    let header = outcome
        .out
        .lines()
        .find(|l| l.starts_with("ENTRY"))
        .unwrap();
    assert!(
        header.contains("staging") && header.contains("prod"),
        "{header}"
    );

    let turbo = row(&outcome, "openai/gpt-4-turbo");
    assert!(turbo.ends_with("  safe"), "{turbo}");
    assert!(turbo.contains("90 days (git"), "{turbo}");
    assert_eq!(
        turbo.matches("applied 20").count(),
        2,
        "journal dates: {turbo}"
    );

    let o1 = row(&outcome, "openai/o1-mini");
    assert!(o1.contains("pending (row present)"), "{o1}");
    assert!(o1.ends_with("pending in: prod"), "{o1}");

    let gpt35 = row(&outcome, "openai/gpt-3.5-turbo");
    assert!(
        gpt35.ends_with("needed by openai/gpt-3.5-turbo-16k"),
        "{gpt35}"
    );

    let gpt35_16k = row(&outcome, "openai/gpt-3.5-turbo-16k");
    assert!(gpt35_16k.ends_with("too recent (10 days)"), "{gpt35_16k}");

    // A live model in version 1: its age counts from its move to `deleted`.
    let davinci = row(&outcome, "openai/text-davinci-003");
    assert_eq!(davinci.matches("applied (absent)").count(), 2, "{davinci}");
    assert!(davinci.contains("90 days (git"), "{davinci}");
    assert!(davinci.ends_with("  safe"), "{davinci}");

    assert!(row(&outcome, "anthropic/claude-2.0").ends_with("  safe"));

    // Absent row but a text reference left: pending; git (10 days) beats deleted_on.
    let claude21 = row(&outcome, "anthropic/claude-2.1");
    assert!(claude21.contains("pending (1 reference(s))"), "{claude21}");
    assert!(claude21.contains("10 days (git"), "{claude21}");
    assert!(claude21.ends_with("pending in: prod"), "{claude21}");

    assert!(outcome.out.contains(
        "3 safe to remove: openai/gpt-4-turbo, openai/text-davinci-003, anthropic/claude-2.0"
    ));

    // Same conclusions as JSON.
    let json = prune(
        &repo,
        &env_args(staging.url(), prod.url()),
        &["--format", "json"],
    );
    assert_eq!(json.code, 0, "{}", json.err);
    let value: serde_json::Value = serde_json::from_str(&json.out).unwrap();
    let verdicts: Vec<(String, String)> = value["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["verdict"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("openai/gpt-4-turbo", "safe"),
        ("openai/o1-mini", "pending"),
        ("openai/gpt-3.5-turbo", "needed_by"),
        ("openai/gpt-3.5-turbo-16k", "too_recent"),
        ("openai/text-davinci-003", "safe"),
        ("anthropic/claude-2.0", "safe"),
        ("anthropic/claude-2.1", "pending"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(verdicts, expected);
    let o1 = &value["entries"][1];
    assert_eq!(o1["environments"][1]["environment"], "prod");
    assert_eq!(o1["environments"][1]["status"], "pending");
    assert_eq!(o1["environments"][0]["evidence"], "journal");
    assert_eq!(value["entries"][0]["age"]["source"], "git");
    assert_eq!(value["entries"][0]["age"]["days"], 90);
    assert_eq!(value["history"]["branch"], "main");
    assert_eq!(value["removed"], serde_json::json!([]));
}

#[test]
fn write_removes_exactly_the_safe_lines() {
    let repo = history();
    let Some((staging, prod)) = environments(&repo) else {
        return;
    };
    let before = std::fs::read_to_string(repo.catalog()).unwrap();
    let outcome = prune(&repo, &env_args(staging.url(), prod.url()), &["--write"]);
    assert_eq!(outcome.code, 0, "{}\n{}", outcome.out, outcome.err);
    assert!(
        outcome.out.contains(&format!(
            "Removed from {}: openai/gpt-4-turbo, openai/text-davinci-003, anthropic/claude-2.0",
            repo.catalog().display()
        )),
        "{}",
        outcome.out
    );
    let after = std::fs::read_to_string(repo.catalog()).unwrap();
    let expected = without_lines(&before, &["\"gpt-4-turbo\"", "\"text-davinci-003\""]).replace(
        "deleted = [{ name = \"claude-2.0\" }, { name = \"claude-2.1\", deleted_on = 2020-01-01 }]",
        "deleted = [{ name = \"claude-2.1\", deleted_on = 2020-01-01 }]",
    );
    assert_eq!(after, expected);
    assert!(llm_lifecycle_catalog::Catalog::parse(&after, "models.toml").is_ok());

    // The edit is now uncommitted: a second write is refused and changes nothing.
    let again = prune(&repo, &env_args(staging.url(), prod.url()), &["--write"]);
    assert_eq!(again.code, 1);
    assert!(again.err.contains("uncommitted changes"), "{}", again.err);
    assert!(again.err.contains("--allow-dirty"), "{}", again.err);
    assert_eq!(std::fs::read_to_string(repo.catalog()).unwrap(), after);
}

#[test]
fn a_dirty_file_is_refused_without_allow_dirty() {
    let repo = TestRepo::new();
    let text = "[providers.p]\nmodels = [{ name = \"m\", token_limit = 1, default = true }]\ndeleted = [\n  { name = \"old\" },\n]\n";
    repo.commit(text, 100, "one deletion");
    let env = TestDb::sqlite();
    migrate(&env);
    apply(&env, &catalog(text)).unwrap();
    let dirty = text.replace("[providers.p]", "# local edit\n[providers.p]");
    std::fs::write(repo.catalog(), &dirty).unwrap();
    let envs = vec!["--env".to_owned(), format!("only={}", env.url())];

    let refused = prune(&repo, &envs, &["--write"]);
    assert_eq!(refused.code, 1);
    assert_eq!(refused.err.lines().count(), 1, "{}", refused.err);
    assert!(
        refused.err.contains("has uncommitted changes"),
        "{}",
        refused.err
    );
    assert_eq!(std::fs::read_to_string(repo.catalog()).unwrap(), dirty);

    let forced = prune(&repo, &envs, &["--write", "--allow-dirty"]);
    assert_eq!(forced.code, 0, "{}\n{}", forced.out, forced.err);
    assert_eq!(
        std::fs::read_to_string(repo.catalog()).unwrap(),
        "# local edit\n[providers.p]\nmodels = [{ name = \"m\", token_limit = 1, default = true }]\ndeleted = [\n]\n"
    );
}

#[test]
fn an_unreachable_environment_is_reported_never_applied() {
    let repo = history();
    let staging = TestDb::sqlite();
    seed(&staging);
    let file = std::fs::read_to_string(repo.catalog()).unwrap();
    apply(&staging, &catalog(&file)).unwrap();
    let envs = env_args(staging.url(), "postgres://app:hunter2@127.0.0.1:1/app");
    let outcome = prune(&repo, &envs, &[]);
    println!("{}", outcome.out);
    assert_eq!(outcome.code, 1, "{}", outcome.out);
    assert!(
        outcome.err.starts_with("error: could not decide"),
        "{}",
        outcome.err
    );
    assert!(outcome.err.contains("unreachable environment(s): prod"));
    assert_eq!(outcome.err.lines().count(), 1, "{}", outcome.err);
    for entry in [
        "openai/gpt-4-turbo",
        "anthropic/claude-2.0",
        "openai/gpt-3.5-turbo-16k",
    ] {
        let line = row(&outcome, entry);
        assert!(line.contains("unreachable"), "{line}");
        assert!(line.ends_with("unreachable: prod"), "{line}");
    }
    assert!(!outcome.out.contains("safe to remove:"), "{}", outcome.out);
    let error_line = outcome
        .out
        .lines()
        .find(|l| l.starts_with("! prod unreachable"))
        .unwrap();
    assert!(
        error_line.contains("postgres://app:***@127.0.0.1:1/app"),
        "{error_line}"
    );
    assert!(!outcome.out.contains("hunter2") && !outcome.err.contains("hunter2"));

    // --write removes nothing when nothing is safe.
    let before = std::fs::read_to_string(repo.catalog()).unwrap();
    let write = prune(&repo, &envs, &["--write"]);
    assert_eq!(write.code, 1);
    assert!(write.out.contains("Nothing removed."), "{}", write.out);
    assert_eq!(std::fs::read_to_string(repo.catalog()).unwrap(), before);

    // A SQLite file that does not exist is not created, and is unreachable too.
    let missing = staging.dir().unwrap().join("nope.db");
    let envs = vec!["--env".to_owned(), format!("ghost={}", missing.display())];
    let ghost = prune(&repo, &envs, &["--format", "json"]);
    assert_eq!(ghost.code, 1);
    let value: serde_json::Value = serde_json::from_str(&ghost.out).unwrap();
    assert!(
        value["environments"][0]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
    assert_eq!(
        value["entries"][0]["environments"][0]["status"],
        "unreachable"
    );
    assert!(!missing.exists());
}

#[test]
fn without_history_deleted_on_counts_and_nothing_else_is_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("models.toml");
    let text = "[providers.p]\nmodels = [{ name = \"m\", token_limit = 1, default = true }]\n\
                deleted = [\n  { name = \"dated\", deleted_on = 2020-02-02 },\n  { name = \"recent\", deleted_on = 2999-01-01 },\n  { name = \"undated\" },\n]\n";
    std::fs::write(&path, text).unwrap();
    let env = TestDb::sqlite();
    migrate(&env);
    apply(&env, &catalog(text)).unwrap();
    let path_arg = path.to_string_lossy().into_owned();
    let env_arg = format!("only={}", env.url());
    let outcome = apply_models(&["prune", "--catalog", &path_arg, "--env", &env_arg]);
    assert_eq!(outcome.code, 1, "{}", outcome.out);
    assert!(outcome.out.contains("deleted_on only ("), "{}", outcome.out);
    assert!(
        outcome
            .out
            .contains("not in a usable git repository: not a git repository"),
        "{}",
        outcome.out
    );
    let dated = row(&outcome, "p/dated");
    assert!(dated.contains("(deleted_on 2020-02-02)"), "{dated}");
    assert!(dated.ends_with("  safe"), "{dated}");
    assert!(row(&outcome, "p/recent").ends_with("too recent (0 days)"));
    let undated = row(&outcome, "p/undated");
    assert!(undated.contains("unknown"), "{undated}");
    assert!(undated.ends_with("unknown age"), "{undated}");
    assert_eq!(
        outcome.err.trim(),
        "error: could not decide for every entry: unknown age (no git history on the branch, no deleted_on): p/undated"
    );

    // --write outside git: the safe entry goes, the unknown one stays.
    let write = apply_models(&[
        "prune",
        "--catalog",
        &path_arg,
        "--env",
        &env_arg,
        "--write",
    ]);
    assert_eq!(write.code, 1);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        without_lines(text, &["\"dated\""])
    );
}

#[test]
fn the_branch_is_origin_head_then_main_and_must_exist() {
    let repo = TestRepo::new();
    let v1 = "[providers.p]\nmodels = [{ name = \"m\", token_limit = 1, default = true }]\ndeleted = [\n  { name = \"old\" },\n]\n";
    // Provider q's `new` is deleted from the start: it must not date p's `new`.
    let v1 = &format!(
        "{v1}\n[providers.q]\nmodels = [{{ name = \"m\", token_limit = 1, default = true }}]\ndeleted = [{{ name = \"new\" }}]\n"
    );
    let first = repo.commit(v1, 100, "old deletion");
    let v2 = v1.replace(
        "  { name = \"old\" },\n",
        "  { name = \"old\" },\n  { name = \"new\" },\n",
    );
    repo.commit(&v2, 50, "new deletion");
    let env = TestDb::sqlite();
    migrate(&env);
    apply(&env, &catalog(&v2)).unwrap();
    let env_arg = vec!["--env".to_owned(), format!("only={}", env.url())];

    let on_main = prune(&repo, &env_arg, &[]);
    assert_eq!(on_main.code, 0, "{}", on_main.err);
    assert!(
        on_main
            .out
            .contains("branch main (no origin/HEAD; `main` exists)"),
        "{}",
        on_main.out
    );
    assert!(row(&on_main, "p/new").ends_with("safe"));

    // origin/HEAD points at a remote branch that has only the first commit.
    repo.git(&["update-ref", "refs/remotes/origin/main", &first]);
    repo.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/main",
    ]);
    let on_origin = prune(&repo, &env_arg, &[]);
    assert_eq!(on_origin.code, 0, "{}", on_origin.err);
    assert!(
        on_origin.out.contains("branch origin/main (origin/HEAD)"),
        "{}",
        on_origin.out
    );
    let new = row(&on_origin, "p/new");
    // One story: not on the branch yet, so too recent, without a day count.
    assert!(new.contains("not on branch yet"), "{new}");
    assert!(new.ends_with("too recent (not on branch yet)"), "{new}");
    assert!(!new.contains("days"), "{new}");
    assert!(row(&on_origin, "p/old").contains("100 days (git"));

    let explicit = prune(&repo, &env_arg, &["--branch", "main", "--min-age", "60d"]);
    assert!(row(&explicit, "p/new").ends_with("too recent (50 days)"));
    assert!(row(&explicit, "p/old").ends_with("safe"));
    assert!(row(&explicit, "q/new").ends_with("safe"));

    let unknown = prune(&repo, &env_arg, &["--branch", "nope"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.err.contains("branch `nope` does not exist"),
        "{}",
        unknown.err
    );
}

#[test]
fn min_age_and_env_arguments_are_checked() {
    let bad_age = apply_models(&["prune", "--min-age", "a month"]);
    assert_eq!(bad_age.code, 2);
    assert!(
        bad_age.err.contains("is not a number of days"),
        "{}",
        bad_age.err
    );
    let bad_env = apply_models(&["prune", "--env", "postgres://x"]);
    assert_eq!(bad_env.code, 2);
    assert!(bad_env.err.contains("expected NAME=URL"), "{}", bad_env.err);
    let dirty_without_write = apply_models(&["prune", "--allow-dirty"]);
    assert_eq!(dirty_without_write.code, 2);
}

/// On every engine: `prune` reads the history of the database in use.
fn without_env_the_database_in_use_is_checked_under_the_environment_name(env: &TestDb) {
    let repo = TestRepo::new();
    let text = "[providers.p]\nmodels = [{ name = \"m\", token_limit = 1, default = true }]\ndeleted = [{ name = \"old\" }]\n";
    repo.commit(text, 40, "one deletion");
    seed_model_db(env);
    apply(env, &catalog(text)).unwrap();
    let outcome = prune(
        &repo,
        &[],
        &["--database-url", env.url(), "--environment", "staging"],
    );
    assert_eq!(outcome.code, 0, "{}\n{}", outcome.out, outcome.err);
    let header = outcome
        .out
        .lines()
        .find(|l| l.starts_with("ENTRY"))
        .unwrap();
    assert!(header.contains("staging"), "{header}");
    let old = row(&outcome, "p/old");
    assert!(old.contains("applied 20"), "{old}");
    assert!(old.contains("40 days (git"), "{old}");
    assert!(old.ends_with("safe"), "{old}");
}

fn seed_model_db(db: &TestDb) {
    migrate(db);
    seed_model(db, 100, None, "p/old", 10, false);
}

/// A live deprecated model whose replacement is a deleted entry
/// (itself replaced) keeps that entry in the catalogue: removing it would leave
/// the live model's `replacement` dangling, and `--write` would refuse the run.
#[test]
fn a_deleted_entry_a_live_model_replaces_with_is_needed_by_it() {
    let repo = TestRepo::new();
    let text = "[providers.p]\nmodels = [\n  { name = \"m\", token_limit = 1, default = true },\n  \
                { name = \"old\", token_limit = 1, deprecated = true, replacement = \"gone\" },\n]\n\
                deleted = [\n  { name = \"gone\", replacement = \"m\" },\n  { name = \"other\" },\n]\n";
    repo.commit(text, 100, "two deletions");
    let env = TestDb::sqlite();
    migrate(&env);
    seed_model(&env, 100, None, "p/gone", 10, false);
    seed_model(&env, 101, None, "p/other", 10, false);
    apply(&env, &catalog(text)).unwrap();
    let envs = vec!["--env".to_owned(), format!("only={}", env.url())];

    let outcome = prune(&repo, &envs, &[]);
    assert_eq!(outcome.code, 0, "{}\n{}", outcome.out, outcome.err);
    let gone = row(&outcome, "p/gone");
    assert!(gone.ends_with("needed by p/old"), "{gone}");
    assert!(
        row(&outcome, "p/other").ends_with("  safe"),
        "{}",
        outcome.out
    );

    // --write removes only the entry nothing needs, and the result is valid.
    let write = prune(&repo, &envs, &["--write"]);
    assert_eq!(write.code, 0, "{}\n{}", write.out, write.err);
    let after = std::fs::read_to_string(repo.catalog()).unwrap();
    assert_eq!(after, without_lines(text, &["\"other\""]));
    assert!(llm_lifecycle_catalog::Catalog::parse(&after, "models.toml").is_ok());
}

llm_lifecycle_test_support::backend_tests!(
    without_env_the_database_in_use_is_checked_under_the_environment_name,
);
