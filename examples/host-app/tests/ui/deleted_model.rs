// A model v2 deleted does not compile; the error names its replacement.
fn main() {
    let model = host_app::model!("openai/gpt-4-turbo");
    println!("{model}");
}
