// The application denies deprecated items: naming a deprecated model is an
// error that says what to use instead.
#![deny(deprecated)]

fn main() {
    let model = host_app::LlmModel::OpenaiGpt4oMini;
    println!("{model}");
}
