//! `model!` of a deprecated model warns at the call, naming the replacement. On the
//! fixture catalogue of `llm_lifecycle_fixture_api` (`tests/fixtures/valid.toml`),
//! where `openai/gpt-3.5-turbo` is deprecated without sunset.
#![deny(deprecated)]

fn main() {
    let model = llm_lifecycle_fixture_api::model!("openai/gpt-3.5-turbo");
    println!("{model}");
}
