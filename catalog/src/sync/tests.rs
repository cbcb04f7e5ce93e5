#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const SOURCE: &str = r#"[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1_047_576, default = true },
  { name = "gpt-4o", token_limit = 128_000 },
  { name = "gpt-4o-mini", token_limit = 128_000, deprecated = true },
  { name = "o3", token_limit = 128_000 },
  { name = "davinci-002", token_limit = 16_384 },
]
deleted = [{ name = "o1-mini" }]

[providers.anthropic]
models = [
  { name = "claude-sonnet-4-5", token_limit = 200_000, default = true },
  { name = "claude-3-5-haiku", token_limit = 200_000, translation_default = true },
]

[providers.google_vertex_ai]
models = [
  { name = "gemini-2.5-pro", token_limit = 1_048_576, default = true },
]

[providers.minimax]
models = [
  { name = "MiniMax-M2", token_limit = 200_000, default = true },
]
"#;

fn fixture() -> ModelsDev {
    let json = include_str!("../../tests/fixtures/models-dev-api.json");
    parse_models_dev(json, "api.json").unwrap()
}

fn report(provider: Option<&str>) -> SyncReport {
    let catalog = Catalog::parse(SOURCE, "models.toml").unwrap();
    compare(&catalog, &fixture(), provider).unwrap()
}

fn ids<'a>(refs: impl IntoIterator<Item = &'a ModelRef>) -> Vec<&'a str> {
    refs.into_iter().map(|model| model.id.as_str()).collect()
}

#[test]
fn the_fixture_parses_ignoring_unknown_keys() {
    let upstream = fixture();
    assert_eq!(upstream.providers.len(), 4);
    let gpt = &upstream.providers["openai"].models["gpt-4.1"];
    assert_eq!(gpt.limit.context, 1_047_576);
    assert_eq!(gpt.status, None);
    assert_eq!(
        upstream.providers["openai"].models["gpt-4o"]
            .status
            .as_deref(),
        Some("deprecated")
    );
    // Everything but the shape is optional.
    let minimal = parse_models_dev(r#"{ "x": { "models": { "m": {} } } }"#, "api.json").unwrap();
    assert_eq!(minimal.providers["x"].models["m"], UpstreamModel::default());
}

#[test]
fn json_that_is_not_models_dev_is_an_error_with_its_position() {
    let error = parse_models_dev("{ \"openai\": { \"models\": [1] } }", "api.json").unwrap_err();
    assert_eq!(
        error.to_string(),
        "api.json is not a models.dev api.json: invalid type: sequence, expected a map at line 1 column 24"
    );
    assert!(parse_models_dev("not json", "api.json").is_err());
}

#[test]
fn compare_finds_each_kind_of_difference() {
    let report = report(None);
    assert_eq!(
        ids(&report.deprecated_upstream),
        ["openai/gpt-4o", "anthropic/claude-3-5-haiku"]
    );
    assert_eq!(
        ids(report.gone_upstream.iter().map(|g| &g.model)),
        ["openai/davinci-002"]
    );
    assert_eq!(
        report
            .token_limits
            .iter()
            .map(|c| (c.model.id.as_str(), c.catalogue, c.upstream))
            .collect::<Vec<_>>(),
        [("openai/o3", 128_000, 200_000)]
    );
    // o1-mini is deleted here, gemini-1.5-flash deprecated upstream: neither is new.
    assert_eq!(
        ids(report.new_upstream.iter().map(|n| &n.model)),
        [
            "openai/gpt-5",
            "anthropic/claude-opus-4-1",
            "google_vertex_ai/gemini-3-pro-preview"
        ]
    );
    assert_eq!(
        report.providers,
        [
            ProviderMatch {
                key: "openai".into(),
                upstream: Some("openai".into())
            },
            ProviderMatch {
                key: "anthropic".into(),
                upstream: Some("anthropic".into())
            },
            ProviderMatch {
                key: "google_vertex_ai".into(),
                upstream: Some("google-vertex".into())
            },
            ProviderMatch {
                key: "minimax".into(),
                upstream: None
            },
        ]
    );
    assert!(!report.is_empty());
}

#[test]
fn compare_one_provider() {
    let report = report(Some("anthropic"));
    assert_eq!(report.providers.len(), 1);
    assert_eq!(
        ids(&report.deprecated_upstream),
        ["anthropic/claude-3-5-haiku"]
    );
    assert!(report.token_limits.is_empty() && report.gone_upstream.is_empty());
    let catalog = Catalog::parse(SOURCE, "models.toml").unwrap();
    assert_eq!(
        compare(&catalog, &fixture(), Some("anthropik"))
            .unwrap_err()
            .to_string(),
        "the catalogue has no provider `anthropik`: did you mean `anthropic`?"
    );
    assert_eq!(
        compare(&catalog, &fixture(), Some("minimax"))
            .unwrap_err()
            .to_string(),
        "models.dev lists no provider `minimax` for the catalogue's `minimax`"
    );
}

#[test]
fn the_report_serializes_as_json() {
    let json = serde_json::to_value(report(Some("openai"))).unwrap();
    assert_eq!(
        json["token_limits"],
        serde_json::json!([{ "id": "openai/o3", "provider": "openai", "name": "o3", "catalogue": 128000, "upstream": 200000 }])
    );
    assert_eq!(
        json["gone_upstream"][0]["deprecated"],
        serde_json::json!(false)
    );
    assert_eq!(
        json["providers"][0]["upstream"],
        serde_json::json!("openai")
    );
}

#[test]
fn snapshot_text_report() {
    insta::assert_snapshot!(report(None).render_text());
}

#[test]
fn an_agreeing_catalogue_says_so() {
    let source = "[providers.openai]\nmodels = [{ name = \"gpt-4.1\", token_limit = 1_047_576, default = true }]\n";
    let catalog = Catalog::parse(source, "models.toml").unwrap();
    let upstream = parse_models_dev(
        r#"{ "openai": { "models": { "gpt-4.1": { "limit": { "context": 1047576 } } } } }"#,
        "api.json",
    )
    .unwrap();
    let report = compare(&catalog, &upstream, None).unwrap();
    assert!(report.is_empty());
    assert_eq!(
        report.render_text(),
        "Compared with models.dev: openai\nThe catalogue agrees with models.dev.\n"
    );
    assert!(
        apply_report(source, "models.toml", &report)
            .unwrap()
            .is_noop()
    );
}

#[test]
fn apply_deprecates_and_sets_limits_and_notes_what_it_skips() {
    let edit = apply_report(SOURCE, "models.toml", &report(None)).unwrap();
    assert_eq!(
        edit.diff,
        "models.toml:4 [providers.openai]\n\
         -  { name = \"gpt-4o\", token_limit = 128_000 },\n\
         +  { name = \"gpt-4o\", token_limit = 128_000, deprecated = true },\n\
         models.toml:6 [providers.openai]\n\
         -  { name = \"o3\", token_limit = 128_000 },\n\
         +  { name = \"o3\", token_limit = 200_000 },\n"
    );
    assert_eq!(
        edit.notes,
        [
            "not deprecated anthropic/claude-3-5-haiku: `anthropic/claude-3-5-haiku` is the translation default of `[providers.anthropic]`: make another model the translation default first"
        ]
    );
    Catalog::parse(&edit.text, "models.toml").unwrap();
}

#[test]
fn apply_notes_an_invalid_step_and_a_limit_out_of_range() {
    // gpt-4o-mini's chain goes through gpt-4o: deprecating gpt-4o without a
    // replacement would end it at a deprecated model.
    let source = SOURCE.replace(
        "{ name = \"gpt-4o-mini\", token_limit = 128_000, deprecated = true }",
        "{ name = \"gpt-4o-mini\", token_limit = 128_000, deprecated = true, replacement = \"gpt-4o\" }",
    );
    let mut report = report(Some("openai"));
    report.token_limits[0].upstream = u64::from(u32::MAX) + 1;
    let edit = apply_report(&source, "models.toml", &report).unwrap();
    assert!(edit.is_noop(), "{}", edit.diff);
    assert_eq!(
        edit.notes,
        [
            "not deprecated openai/gpt-4o: the result would be invalid: models.toml:5:83: the replacement chain of `openai/gpt-4o-mini` dead-ends at `gpt-4o`, which is deprecated and has no replacement",
            "token limit of openai/o3 not changed: 4294967296 is above the largest token_limit, 4294967295",
        ]
    );
}
