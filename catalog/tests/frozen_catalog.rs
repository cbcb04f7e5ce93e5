//! A catalogue of production size parses and has the expected shape: the tests own
//! `tests/fixtures/production_2026_08.toml`, a frozen copy of the root `models.toml`
//! of August 2026, so a routine change of the real catalogue changes nothing here
//! (`real_catalog.rs` checks what holds of the real file whatever it lists).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use llm_lifecycle_catalog::{Catalog, Lookup};

fn frozen_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/production_2026_08.toml")
}

fn frozen() -> Catalog {
    match Catalog::load(&frozen_path()) {
        Ok(catalog) => catalog,
        Err(error) => panic!("{error}"),
    }
}

#[test]
fn the_frozen_catalogue_has_9_providers_90_models_37_deleted() {
    let catalog = frozen();
    assert_eq!(catalog.providers.len(), 9);
    assert_eq!(catalog.models().count(), 90);
    assert_eq!(catalog.deleted().count(), 37);
    assert_eq!(catalog.models().filter(|(_, m)| m.deprecated).count(), 19);
}

#[test]
fn frozen_catalogue_lookups() {
    let catalog = frozen();
    assert!(
        matches!(catalog.lookup("openai/gpt-4.1-nano"), Lookup::Live { model, .. } if model.deprecated)
    );
    assert!(matches!(
        catalog.lookup("groq/openai/gpt-oss-20b"),
        Lookup::Live { .. }
    ));
    assert!(matches!(catalog.lookup("openai/nope"), Lookup::Unknown));
    for provider in catalog.providers.iter() {
        assert!(
            provider.default_model().is_some(),
            "{} has a default",
            provider.key
        );
    }
}

#[test]
fn frozen_catalogue_variant_names() {
    let catalog = frozen();
    let variants: Vec<String> = catalog
        .models()
        .map(|(p, m)| catalog.variant_name(p, m))
        .collect();
    for expected in [
        "OpenaiGpt4_1Mini",
        "AnthropicClaude3_5HaikuLatest",
        "GroqOpenaiGptOss20b",
        "GoogleVertexAiGemini2_5Flash",
        "MinimaxMiniMaxM2_7",
    ] {
        assert!(variants.iter().any(|v| v == expected), "{expected} missing");
    }
    let mut unique = variants.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), variants.len());
}

#[test]
fn design_example_parses() {
    let source = r#"
[providers.openai]
label = "OpenAI"                       # optional display label (default: the key)
models = [
  { name = "gpt-4.1",      token_limit = 1_000_000, translation_default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-nano", token_limit = 1_000_000, deprecated = true, replacement = "gpt-4.1-mini", sunset = 2027-01-31 },
]
deleted = [
  { name = "gpt-4-turbo", replacement = "gpt-4.1", deleted_on = 2026-03-04 },
  { name = "o1-mini" },
]

[[references]]                         # host tables that point at a model row (see Runtime)
table = "assistants"
column = "llm_provider_model_id"

[[references]]
table = "pipeline_nodes"
column = "params"
kind = "json"
key = "llm_provider_model_id"
resource = "pipeline"
through = { table = "pipelines", column = "pipeline_id" }   # pipeline_nodes.pipeline_id = pipelines.id
team_column = "team_id"                                     # columns of pipelines
name_column = "name"
"#;
    let catalog = Catalog::parse(source, "models.toml").unwrap();
    assert_eq!(catalog.references.len(), 2);
    assert_eq!(
        catalog.chain_end("openai", "gpt-4-turbo").map(|m| &*m.name),
        Some("gpt-4.1")
    );
    assert!(
        matches!(catalog.lookup("openai/o1-mini"), Lookup::Deleted { entry, .. } if entry.replacement.is_none())
    );
}

fn frozen_source() -> String {
    std::fs::read_to_string(frozen_path()).unwrap()
}

/// `source` with the last `}` of line `line` (1-based) removed.
fn without_closing_brace(source: &str, line: usize) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_owned).collect();
    let text = &mut lines[line - 1];
    let at = text.rfind('}').unwrap();
    text.remove(at);
    lines.join("\n") + "\n"
}

#[test]
fn one_missing_brace_is_one_diagnostic_at_its_line() {
    let source = frozen_source();
    let broken = without_closing_brace(&source, 6);
    let diagnostics = Catalog::parse(&broken, "models.toml").unwrap_err();
    insta::assert_snapshot!(diagnostics.to_string());
}

#[test]
fn a_pruned_id_suggests_live_non_deprecated_models_first() {
    let source = frozen_source();
    let pruned = source.replace(
        "  { name = \"gpt-4-turbo\", replacement = \"gpt-4.1\" },\n",
        "",
    );
    assert_ne!(
        pruned, source,
        "the frozen catalogue deletes openai/gpt-4-turbo"
    );
    let catalog = Catalog::parse(&pruned, "models.toml").unwrap();
    assert!(matches!(
        catalog.lookup("openai/gpt-4-turbo"),
        Lookup::Unknown
    ));
    let found =
        llm_lifecycle_catalog::suggest::closest_model_ids(&catalog, "openai/gpt-4-turbo", 3);
    assert!(!found.is_empty());
    for id in &found {
        let Lookup::Live { model, .. } = catalog.lookup(id) else {
            panic!("{id} is not live");
        };
        assert!(!model.deprecated, "{id} is deprecated: {found:?}");
    }
    // The deprecated `openai/gpt-3.5-turbo` is closer by edit distance.
    let ids: Vec<String> = catalog.model_ids().collect();
    let nearest = llm_lifecycle_catalog::suggest::closest(
        "openai/gpt-4-turbo",
        ids.iter().map(String::as_str),
        1,
    );
    assert_eq!(nearest, ["openai/gpt-3.5-turbo"]);
}
