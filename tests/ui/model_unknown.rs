//! `model!` of an unknown id is an error naming the closest ids. On the fixture
//! catalogue of `llm_lifecycle_fixture_api` (`tests/fixtures/valid.toml`).

fn main() {
    let model = llm_lifecycle_fixture_api::model!("openai/gpt-4.2-mini");
    println!("{model}");
}
