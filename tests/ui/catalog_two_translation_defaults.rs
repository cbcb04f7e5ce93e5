//! A catalogue with two translation defaults: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/two_translation_defaults.toml");

fn main() {}
