//! `model!` of a deleted model without replacement is an error saying so. On the
//! fixture catalogue of `llm_lifecycle_fixture_api` (`tests/fixtures/valid.toml`),
//! where `openai/o1-mini` is deleted without replacement.

fn main() {
    let model = llm_lifecycle_fixture_api::model!("openai/o1-mini");
    println!("{model}");
}
