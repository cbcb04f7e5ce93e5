//! Canonical rendering and the digest.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::Catalog;
use crate::test_util::valid;

const A: &str = r#"
# The catalogue.
[providers.openai]
label = "OpenAI"
models = [
  { name = "gpt-4.1-mini", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-nano", token_limit = 1000000, deprecated = true, replacement = "gpt-4.1-mini", sunset = 2027-01-31 },
]
deleted = [{ name = "gpt-4-turbo", replacement = "gpt-4.1-mini", deleted_on = 2026-03-04 }]

[[references]]
table = "pipeline_nodes"
column = "params"
kind = "json"
key = "llm_provider_model_id"
through = { table = "pipelines", column = "pipeline_id" }
url = "/a/{team_id}/pipelines/{id}/"

[notifications]
recipients_query = "select \"id\" from users\nwhere team = $team_id"
"#;

/// The same catalogue, written differently: other key order, spacing, comments,
/// literal strings, explicit defaults.
const A_REFORMATTED: &str = r#"
[notifications]
permission = "service_providers.change_llmprovidermodel"
recipients_query = """select "id" from users
where team = $team_id"""

[[references]]
column = 'params'
table = 'pipeline_nodes'   # comment
key = "llm_provider_model_id"
kind = "json"
url = "/a/{team_id}/pipelines/{id}/"
through.table = "pipelines"
through.column = "pipeline_id"

[providers.openai]
deleted = [ { replacement = "gpt-4.1-mini", name = "gpt-4-turbo", deleted_on = 2026-03-04 } ]
models = [
  { default = true, name = "gpt-4.1-mini", token_limit = 0xF4240, deprecated = false },
  { name = "gpt-4.1-nano", sunset = 2027-01-31, token_limit = 1_000_000, deprecated = true, replacement = "gpt-4.1-mini" },
]
label = "OpenAI"
"#;

#[test]
fn equal_catalogues_have_equal_digests_whatever_the_layout() {
    let a = valid(A);
    let b = valid(A_REFORMATTED);
    assert_eq!(a, b);
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.digest().len(), 64);
    assert!(
        a.digest()
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn any_change_changes_the_digest() {
    let a = valid(A).digest();
    for changed in [
        A.replace("1000000", "999999"),
        A.replace("label = \"OpenAI\"", "label = \"Open AI\""),
        A.replace("2027-01-31", "2027-02-01"),
        A.replace("url = \"/a/{team_id}/pipelines/{id}/\"\n", ""),
        A.replace(", deleted_on = 2026-03-04", ""),
        A.replace(
            "[notifications]\n",
            "[notifications]\nwebhook_env = \"HOOK\"\n",
        ),
        format!("{A}\n[apply]\nbatch_size = 2\n"),
    ] {
        assert_ne!(valid(&changed).digest(), a, "{changed}");
    }
}

#[test]
fn the_digest_is_stable_across_releases() {
    let catalog =
        valid("[providers.p]\nmodels = [{ name = \"m\", token_limit = 8, default = true }]\n");
    assert_eq!(
        catalog.to_toml(),
        "[providers.p]\nmodels = [\n  { name = \"m\", token_limit = 8, default = true },\n]\n"
    );
    // `sha256sum` of the text above: a change here changes every ledger's digest.
    assert_eq!(
        catalog.digest(),
        "8897486c257a0c1c1aeab22a74d12f98d2025482c490f46aff1e83394d3e0f22"
    );
}

#[test]
fn rendering_parses_back_to_the_same_catalogue() {
    let a = valid(A);
    assert_eq!(valid(&a.to_toml()), a);
    let hooked = valid(&A.replace(
        "[notifications]\n",
        "[notifications]\nwebhook_env = \"HOOK\"\n",
    ));
    assert_eq!(valid(&hooked.to_toml()), hooked);
    let real = Catalog::parse(include_str!("../../../models.toml"), "models.toml").unwrap();
    let rendered = real.to_toml();
    assert_eq!(valid(&rendered), real);
    assert_eq!(valid(&rendered).digest(), real.digest());
}

#[test]
fn apply_is_rendered_only_when_it_sets_something() {
    // An empty `[apply]` is the default: not rendered, the digest unchanged.
    let empty = valid(&format!("{A}\n[apply]\n"));
    assert_eq!(empty, valid(A));
    assert!(!empty.to_toml().contains("[apply]"), "{}", empty.to_toml());
    assert_eq!(empty.digest(), valid(A).digest());

    let batched = valid(&format!("apply = {{ batch_size = 10_000 }}\n{A}"));
    let rendered = batched.to_toml();
    assert!(
        rendered.ends_with("\n\n[apply]\nbatch_size = 10000\n"),
        "{rendered}"
    );
    assert_eq!(valid(&rendered), batched);
    assert_eq!(valid(&rendered).digest(), batched.digest());
    assert_ne!(batched.digest(), valid(A).digest());
    // With a `[model_table]` too, `[apply]` comes last.
    let tabled = valid(&format!(
        "{A}\n[apply]\nbatch_size = 3\n\n[model_table]\ntable = \"models\"\n"
    ));
    let rendered = tabled.to_toml();
    let (before, after) = rendered.split_once("[apply]").unwrap();
    assert!(before.contains("[model_table]"), "{rendered}");
    assert_eq!(after, "\nbatch_size = 3\n");
    assert_eq!(valid(&rendered), tabled);
}

#[test]
fn strings_are_escaped() {
    assert_eq!(
        super::quote("a\"b\\c\nd\te\u{1}"),
        "\"a\\\"b\\\\c\\nd\\te\\u0001\""
    );
}
