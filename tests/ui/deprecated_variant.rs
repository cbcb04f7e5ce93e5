//! Using a deprecated variant is a `deprecated` lint naming the replacement. On the
//! fixture catalogue of `llm_lifecycle_fixture_api` (`tests/fixtures/valid.toml`),
//! where `openai/gpt-3.5-turbo` is deprecated without sunset.
#![deny(deprecated)]

fn main() {
    let model = llm_lifecycle_fixture_api::LlmModel::OpenaiGpt3_5Turbo;
    println!("{model}");
}
