//! A catalogue with duplicate model: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/duplicate_model.toml");

fn main() {}
