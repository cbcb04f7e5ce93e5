//! The generated API on a catalogue of production size: the tests own
//! `tests/fixtures/production_2026_08.toml`, a frozen copy of the root `models.toml`
//! of August 2026, expanded in this test crate. The "done when" checks of the
//! catalogue issue, and invariants that hold for every model. (The real
//! `models.toml` has its own smoke test, `production_catalog.rs`.)

#![allow(clippy::unwrap_used)]

use llm_lifecycle_catalog::generated_support::ParseModelError;

llm_lifecycle::catalog!("tests/fixtures/production_2026_08.toml");

#[test]
fn deleted_ids_do_not_parse_but_parse_leniently_to_their_replacement() {
    assert_eq!(
        "openai/gpt-4-turbo".parse::<LlmModel>(),
        Err(ParseModelError::Deleted {
            id: "openai/gpt-4-turbo".to_owned(),
            replacement: Some("openai/gpt-4.1")
        })
    );
    assert_eq!(
        LlmModel::parse_lenient("openai/gpt-4-turbo"),
        Ok(LlmModel::OpenaiGpt4_1)
    );
    assert_eq!(
        LlmModel::parse_lenient("openai/o1-mini"),
        Err(ParseModelError::Deleted {
            id: "openai/o1-mini".to_owned(),
            replacement: None
        })
    );
}

#[test]
#[allow(deprecated)]
fn deprecated_models_name_their_replacement() {
    let nano = LlmModel::OpenaiGpt4_1Nano;
    assert!(nano.is_deprecated());
    assert_eq!(nano.replacement(), Some(LlmModel::OpenaiGpt4_1Mini));
    assert_eq!(nano.resolve(), LlmModel::OpenaiGpt4_1Mini);
    assert_eq!(nano.sunset(), None);
    assert_eq!(model!("openai/gpt-4.1-nano"), nano);
    let groq = LlmModel::GroqLlama3_3_70bVersatile;
    assert_eq!(groq.replacement(), Some(LlmModel::GroqOpenaiGptOss120b));
    let no_replacement = LlmModel::AnthropicClaude3_5HaikuLatest;
    assert_eq!(no_replacement.replacement(), None);
    assert_eq!(no_replacement.resolve(), no_replacement);
}

#[test]
fn variant_names_follow_the_design() {
    assert_eq!(model!("openai/gpt-4.1-mini"), LlmModel::OpenaiGpt4_1Mini);
    assert_eq!(
        model!("groq/openai/gpt-oss-20b"),
        LlmModel::GroqOpenaiGptOss20b
    );
    assert_eq!(
        model!("google_vertex_ai/gemini-3.5-flash"),
        LlmModel::GoogleVertexAiGemini3_5Flash
    );
    assert_eq!(
        format!("{:?}", LlmModel::GroqOpenaiGptOss20b),
        "GroqOpenaiGptOss20b"
    );
    assert_eq!(format!("{:?}", Provider::GoogleVertexAi), "GoogleVertexAi");
}

#[test]
fn the_frozen_catalogue_has_its_90_models_and_37_deleted_entries() {
    assert_eq!(LlmModel::all().len(), 90);
    assert_eq!(Provider::ALL.len(), 9);
    assert_eq!(
        LlmModel::all()
            .iter()
            .filter(|model| model.is_deprecated())
            .count(),
        19
    );
    assert_eq!(CATALOG.deleted().count(), 37);
    assert_eq!(CATALOG.models().count(), 90);
}

#[test]
fn every_model_round_trips_and_matches_the_static_catalogue() {
    let mut seen = std::collections::HashSet::new();
    for (position, &model) in LlmModel::all().iter().enumerate() {
        assert_eq!(model as usize, position);
        assert!(seen.insert(model.id()), "duplicate id {model}");
        assert_eq!(model.to_string(), model.id());
        assert_eq!(model.id().parse::<LlmModel>(), Ok(model));
        assert_eq!(LlmModel::parse_lenient(model.id()), Ok(model));
        assert_eq!(
            model.id(),
            format!("{}/{}", model.provider().key(), model.name())
        );
        assert!(model.provider().models().contains(&model));
        let entry = model.catalog_entry();
        assert_eq!(&*entry.name, model.name());
        assert_eq!(entry.token_limit, model.token_limit());
        let resolved = model.resolve();
        assert!(
            !resolved.is_deprecated() || resolved == model,
            "{model} resolves to {resolved}"
        );
        if let Some(replacement) = model.replacement() {
            assert_eq!(replacement.provider(), model.provider());
        }
    }
}

#[test]
fn every_deleted_id_is_a_deleted_error_and_parses_leniently_to_a_live_model() {
    for (provider, entry) in CATALOG.deleted() {
        let id = format!("{}/{}", provider.key, entry.name);
        match id.parse::<LlmModel>() {
            Err(ParseModelError::Deleted { replacement, .. }) => {
                assert_eq!(replacement.is_some(), entry.replacement.is_some(), "{id}");
                if let Some(replacement) = replacement {
                    assert_eq!(
                        LlmModel::parse_lenient(&id).map(LlmModel::id),
                        Ok(replacement)
                    );
                }
            }
            other => panic!("{id} parsed as {other:?}"),
        }
    }
}

#[test]
fn providers_expose_their_defaults() {
    for &provider in Provider::ALL {
        let default = provider.default_model();
        assert!(default.is_default());
        assert!(!default.is_deprecated());
        assert_eq!(default.provider(), provider);
        if let Some(translation) = provider.translation_default() {
            assert!(translation.is_translation_default());
            assert_eq!(translation.provider(), provider);
        }
        assert_eq!(Provider::from_key(provider.key()), Some(provider));
        assert_eq!(provider.to_string(), provider.key());
        assert_eq!(provider.catalog_entry().key, provider.key());
    }
    assert_eq!(Provider::Openai.label(), "openai");
    assert_eq!(Provider::Openai.default_model(), LlmModel::OpenaiGpt4_1Mini);
    assert_eq!(
        Provider::Openai.translation_default(),
        Some(LlmModel::OpenaiGpt4_1)
    );
    assert_eq!(Provider::Minimax.translation_default(), None);
    assert_eq!(Provider::from_key("mistral"), None);
}

#[test]
fn unknown_ids_suggest_the_closest_one() {
    let error = "openai/gpt-4.1-mimi".parse::<LlmModel>().unwrap_err();
    assert_eq!(
        error,
        ParseModelError::Unknown {
            id: "openai/gpt-4.1-mimi".to_owned(),
            suggestion: Some("openai/gpt-4.1-mini")
        }
    );
    assert_eq!(
        error.to_string(),
        "unknown LLM model `openai/gpt-4.1-mimi`: did you mean `openai/gpt-4.1-mini`?"
    );
}
