use super::*;

#[test]
fn design_examples() {
    assert_eq!(model_variant("openai", "gpt-4.1-mini"), "OpenaiGpt4_1Mini");
    assert_eq!(
        model_variant("anthropic", "claude-3-5-haiku-latest"),
        "AnthropicClaude3_5HaikuLatest"
    );
    assert_eq!(
        model_variant("groq", "openai/gpt-oss-20b"),
        "GroqOpenaiGptOss20b"
    );
    assert_eq!(
        model_variant("google_vertex_ai", "gemini-2.5-flash"),
        "GoogleVertexAiGemini2_5Flash"
    );
    assert_eq!(
        model_variant("minimax", "MiniMax-M2.7"),
        "MinimaxMiniMaxM2_7"
    );
}

#[test]
fn provider_variants() {
    assert_eq!(provider_variant("openai"), "Openai");
    assert_eq!(provider_variant("google_vertex_ai"), "GoogleVertexAi");
    assert_eq!(provider_variant("a-b_c"), "ABC");
}

#[test]
fn digits_are_separated_only_between_numeric_neighbours() {
    assert_eq!(model_variant("openai", "gpt-4o"), "OpenaiGpt4o");
    assert_eq!(model_variant("openai", "o3"), "OpenaiO3");
    assert_eq!(model_variant("x2", "3b"), "X2_3b");
    assert_eq!(model_variant("openai", "gpt-5.4-pro"), "OpenaiGpt5_4Pro");
    assert_eq!(model_variant("p", "a:1@2..3"), "PA1_2_3");
}

#[test]
fn ids_split_at_the_first_slash() {
    assert_eq!(
        split_id("groq/openai/gpt-oss-20b"),
        Some(("groq", "openai/gpt-oss-20b"))
    );
    assert_eq!(split_id("openai/gpt-4.1"), Some(("openai", "gpt-4.1")));
    assert_eq!(split_id("nothing"), None);
    assert_eq!(
        model_id("groq", "openai/gpt-oss-20b"),
        "groq/openai/gpt-oss-20b"
    );
}

#[test]
fn identifiers() {
    assert!(is_valid_ident("OpenaiGpt4o"));
    assert!(is_valid_ident("_x"));
    assert!(!is_valid_ident("_"));
    assert!(!is_valid_ident("Self"));
    assert!(!is_valid_ident("4o"));
    assert!(!is_valid_ident("gpt-4"));
    assert!(!is_valid_ident(""));
}
