//! `model!` takes a string literal (the `model!` of `llm_lifecycle_fixture_api`).

fn main() {
    let id = "openai/gpt-4.1";
    let model = llm_lifecycle_fixture_api::model!(id);
    println!("{model}");
}
