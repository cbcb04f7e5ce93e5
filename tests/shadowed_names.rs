//! `catalog!` expanded next to items that shadow the primitive and prelude
//! names generated code could use (`u16`, `u32`, `usize`, `bool`, `str`,
//! `Option`, `Result`): the generated code names them by absolute path, so it
//! compiles and behaves the same.
#![allow(non_camel_case_types, dead_code, deprecated)]

type u16 = ();
type u32 = ();
type usize = ();
type bool = ();
type str = ();
struct Option;
struct Result;

llm_lifecycle::catalog!("tests/fixtures/valid.toml");

#[test]
fn the_generated_api_ignores_shadowing_items() {
    let model = LlmModel::OpenaiGpt4_1;
    assert_eq!(model.id(), "openai/gpt-4.1");
    assert_eq!(model.token_limit(), 1_000_000);
    assert!(!model.is_deprecated());
    assert_eq!("openai/gpt-4.1".parse::<LlmModel>().ok(), Some(model));
    assert_eq!(model.provider().key(), "openai");
    assert_eq!(CATALOG.providers.len(), Provider::ALL.len());
}
