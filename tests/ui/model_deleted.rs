//! `model!` of a deleted model is an error naming its replacement.

fn main() {
    let model = llm_lifecycle::model!("openai/gpt-4-turbo");
    println!("{model}");
}
