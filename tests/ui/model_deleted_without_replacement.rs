//! `model!` of a deleted model without replacement is an error saying so.

fn main() {
    let model = llm_lifecycle::model!("openai/o1-mini");
    println!("{model}");
}
