//! A catalogue with unknown key: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/unknown_key.toml");

fn main() {}
