//! The deprecation note names the replacement and the sunset date when the
//! catalogue declares one.
#![deny(deprecated)]

llm_lifecycle::catalog!("tests/fixtures/valid.toml");

fn main() {
    let model = LlmModel::OpenaiGpt4_1Nano;
    println!("{model}");
}
