//! `model!` of a deleted model is an error naming its replacement. On the fixture
//! catalogue of `llm_lifecycle_fixture_api` (`tests/fixtures/valid.toml`), where
//! `openai/gpt-4-turbo` is deleted and replaced by `openai/gpt-4.1`.

fn main() {
    let model = llm_lifecycle_fixture_api::model!("openai/gpt-4-turbo");
    println!("{model}");
}
