//! `serde` feature: models serialize as their id, providers as their key. Every
//! model and provider of the root crate round-trips; the messages are checked on
//! the fixture `tests/fixtures/valid.toml`, expanded in this test crate under the
//! same feature, so no model of the real catalogue is named here.
#![cfg(feature = "serde")]
#![allow(clippy::unwrap_used)]

llm_lifecycle::catalog!("tests/fixtures/valid.toml");

#[test]
fn every_model_and_provider_of_the_root_crate_round_trips() -> serde_json::Result<()> {
    for &model in llm_lifecycle::LlmModel::all() {
        let json = serde_json::to_string(&model)?;
        assert_eq!(json, format!("\"{}\"", model.id()));
        assert_eq!(
            serde_json::from_str::<llm_lifecycle::LlmModel>(&json)?,
            model
        );
    }
    for &provider in llm_lifecycle::Provider::ALL {
        let json = serde_json::to_string(&provider)?;
        assert_eq!(json, format!("\"{}\"", provider.key()));
        assert_eq!(
            serde_json::from_str::<llm_lifecycle::Provider>(&json)?,
            provider
        );
    }
    Ok(())
}

#[test]
fn models_round_trip_as_their_id() -> serde_json::Result<()> {
    for &model in LlmModel::all() {
        let json = serde_json::to_string(&model)?;
        assert_eq!(json, format!("\"{}\"", model.id()));
        assert_eq!(serde_json::from_str::<LlmModel>(&json)?, model);
    }
    let list: Vec<LlmModel> =
        serde_json::from_str(r#"["openai/gpt-4.1", "groq/openai/gpt-oss-20b"]"#)?;
    assert_eq!(
        list,
        [LlmModel::OpenaiGpt4_1, LlmModel::GroqOpenaiGptOss20b]
    );
    Ok(())
}

#[test]
fn deleted_and_unknown_ids_fail_to_deserialize_with_the_fix() {
    let error = serde_json::from_str::<LlmModel>(r#""openai/gpt-4-turbo""#).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("has been deleted: use `openai/gpt-4.1` instead"),
        "{error}"
    );
    let error = serde_json::from_str::<LlmModel>(r#""openai/gpt-4.1-mimi""#).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("did you mean `openai/gpt-4.1-mini`?"),
        "{error}"
    );
    assert!(serde_json::from_str::<LlmModel>("42").is_err());
}

#[test]
fn providers_round_trip_as_their_key() -> serde_json::Result<()> {
    for &provider in Provider::ALL {
        let json = serde_json::to_string(&provider)?;
        assert_eq!(json, format!("\"{}\"", provider.key()));
        assert_eq!(serde_json::from_str::<Provider>(&json)?, provider);
    }
    let error = serde_json::from_str::<Provider>(r#""mistral""#).unwrap_err();
    assert!(
        error.to_string().contains("unknown LLM provider `mistral`"),
        "{error}"
    );
    Ok(())
}
