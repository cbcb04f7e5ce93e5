//! Using a deprecated variant is a `deprecated` lint naming the replacement.
#![deny(deprecated)]

fn main() {
    let model = llm_lifecycle::LlmModel::OpenaiGpt4_1Nano;
    println!("{model}");
}
