// `model!` on a deprecated model: the same deprecation, at the macro call.
#![deny(deprecated)]

fn main() {
    let model = host_app::model!("openai/gpt-4o-mini");
    println!("{model}");
}
