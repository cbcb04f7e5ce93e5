//! `model!` of a deprecated model warns at the call, naming the replacement.
#![deny(deprecated)]

fn main() {
    let model = llm_lifecycle::model!("openai/gpt-4.1-nano");
    println!("{model}");
}
