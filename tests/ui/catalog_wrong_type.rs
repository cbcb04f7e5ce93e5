//! A catalogue with wrong type: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/wrong_type.toml");

fn main() {}
