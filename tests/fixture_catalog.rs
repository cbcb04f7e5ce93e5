//! The whole generated API on a small fixture catalogue, `tests/fixtures/valid.toml`,
//! expanded in this test crate: ids holding `/`, an `ident` override, a
//! replacement chain through a deprecated model, a sunset, deleted entries with
//! and without replacement, and the static catalogue with its references and
//! `[apply]`.
#![allow(deprecated)]

use llm_lifecycle_catalog::{Date, ReferenceKind, generated_support::ParseModelError};

llm_lifecycle::catalog!("tests/fixtures/valid.toml");

#[test]
fn enums_list_every_provider_and_model_in_declaration_order() {
    assert_eq!(Provider::ALL, [Provider::Openai, Provider::Groq]);
    assert_eq!(
        LlmModel::all(),
        [
            LlmModel::OpenaiGpt4_1,
            LlmModel::OpenaiGpt4_1Mini,
            LlmModel::OpenaiGpt4_1Nano,
            LlmModel::OpenaiGpt3_5Turbo,
            LlmModel::OpenaiO3Reasoning,
            LlmModel::GroqOpenaiGptOss20b,
            LlmModel::GroqGemma7bIt,
        ]
    );
    assert!(LlmModel::OpenaiGpt4_1 < LlmModel::GroqGemma7bIt);
    assert_eq!(Provider::Openai.models().len(), 5);
    assert_eq!(
        Provider::Groq.models(),
        [LlmModel::GroqOpenaiGptOss20b, LlmModel::GroqGemma7bIt]
    );
}

#[test]
fn model_metadata() {
    let model = LlmModel::GroqOpenaiGptOss20b;
    assert_eq!(model.provider(), Provider::Groq);
    assert_eq!(model.name(), "openai/gpt-oss-20b");
    assert_eq!(model.id(), "groq/openai/gpt-oss-20b");
    assert_eq!(model.token_limit(), 131_072);
    assert!(model.is_default());
    assert!(!model.is_translation_default());
    assert!(!model.is_deprecated());
    assert_eq!(model.replacement(), None);
    assert_eq!(model.resolve(), model);
    assert_eq!(model.sunset(), None);
    assert_eq!(LlmModel::OpenaiO3Reasoning.id(), "openai/o3");
    assert!(LlmModel::OpenaiGpt4_1.is_translation_default());
}

#[test]
fn deprecation_chains_resolve_to_a_live_model() {
    let nano = LlmModel::OpenaiGpt4_1Nano;
    assert_eq!(
        nano.sunset(),
        Some(Date {
            year: 2027,
            month: 1,
            day: 31
        })
    );
    assert_eq!(nano.replacement(), Some(LlmModel::OpenaiGpt4_1Mini));
    let old = LlmModel::OpenaiGpt3_5Turbo;
    assert_eq!(old.replacement(), Some(nano));
    assert_eq!(old.resolve(), LlmModel::OpenaiGpt4_1Mini);
    assert_eq!(LlmModel::GroqGemma7bIt.replacement(), None);
    assert_eq!(LlmModel::GroqGemma7bIt.resolve(), LlmModel::GroqGemma7bIt);
}

#[test]
fn display_debug_and_parsing() {
    assert_eq!(LlmModel::OpenaiGpt4_1.to_string(), "openai/gpt-4.1");
    assert_eq!(
        format!("[{:>16}]", LlmModel::OpenaiO3Reasoning),
        "[       openai/o3]"
    );
    assert_eq!(
        format!("{:?}", LlmModel::OpenaiO3Reasoning),
        "OpenaiO3Reasoning"
    );
    assert_eq!(Provider::Groq.to_string(), "groq");
    assert_eq!(
        "groq/openai/gpt-oss-20b".parse(),
        Ok(LlmModel::GroqOpenaiGptOss20b)
    );
    assert_eq!(
        "openai/gpt-4-0613".parse::<LlmModel>(),
        Err(ParseModelError::Deleted {
            id: "openai/gpt-4-0613".into(),
            replacement: Some("openai/gpt-4.1-mini")
        })
    );
    // A deleted entry whose replacement is deprecated resolves to the chain's end.
    assert_eq!(
        LlmModel::parse_lenient("openai/gpt-4-0613"),
        Ok(LlmModel::OpenaiGpt4_1Mini)
    );
    assert_eq!(
        LlmModel::parse_lenient("openai/gpt-4-turbo"),
        Ok(LlmModel::OpenaiGpt4_1)
    );
    assert_eq!(
        LlmModel::parse_lenient("openai/o1-mini"),
        Err(ParseModelError::Deleted {
            id: "openai/o1-mini".into(),
            replacement: None
        })
    );
    assert_eq!(
        "groq/gemma-7b".parse::<LlmModel>(),
        Err(ParseModelError::Unknown {
            id: "groq/gemma-7b".into(),
            suggestion: Some("groq/gemma-7b-it")
        })
    );
    assert!(matches!(
        "".parse::<LlmModel>(),
        Err(ParseModelError::Unknown { .. })
    ));
    assert!(matches!(
        "OPENAI/GPT-4.1".parse::<LlmModel>(),
        Err(ParseModelError::Unknown { .. })
    ));
}

#[test]
fn model_macro_gives_variants() {
    assert_eq!(model!("openai/gpt-4.1"), LlmModel::OpenaiGpt4_1);
    assert_eq!(
        model!("groq/openai/gpt-oss-20b"),
        LlmModel::GroqOpenaiGptOss20b
    );
    // Forms without an arm of their own go through the checked fallback.
    assert_eq!(model!("openai/o3",), LlmModel::OpenaiO3Reasoning);
    assert_eq!(model!(r"openai/gpt-4.1-mini"), LlmModel::OpenaiGpt4_1Mini);
}

#[test]
fn providers() {
    assert_eq!(Provider::Openai.key(), "openai");
    assert_eq!(Provider::Openai.label(), "OpenAI");
    assert_eq!(Provider::Groq.label(), "groq");
    assert_eq!(Provider::Openai.default_model(), LlmModel::OpenaiGpt4_1Mini);
    assert_eq!(
        Provider::Openai.translation_default(),
        Some(LlmModel::OpenaiGpt4_1)
    );
    assert_eq!(Provider::Groq.translation_default(), None);
    assert_eq!(Provider::from_key("groq"), Some(Provider::Groq));
    assert_eq!(Provider::from_key("Groq"), None);
}

#[test]
fn the_static_catalogue_equals_the_parsed_file() -> Result<(), Box<dyn std::error::Error>> {
    let source = std::fs::read_to_string("tests/fixtures/valid.toml")?;
    let parsed = llm_lifecycle_catalog::Catalog::parse(&source, "valid.toml")?;
    assert_eq!(CATALOG, parsed);
    assert_eq!(CATALOG.references.len(), 2);
    assert_eq!(CATALOG.references[1].kind, ReferenceKind::Json);
    assert_eq!(CATALOG.deleted().count(), 3);
    assert_eq!(Provider::Openai.catalog_entry().deleted.len(), 3);
    assert_eq!(CATALOG.apply.batch_size, std::num::NonZeroU64::new(500));
    Ok(())
}
