//! `model!` takes a string literal.

fn main() {
    let id = "openai/gpt-4.1";
    let model = llm_lifecycle::model!(id);
    println!("{model}");
}
