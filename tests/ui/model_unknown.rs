//! `model!` of an unknown id is an error naming the closest ids.

fn main() {
    let model = llm_lifecycle::model!("openai/gpt-4.2-mini");
    println!("{model}");
}
