//! A catalogue with invalid toml: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/invalid_toml.toml");

fn main() {}
