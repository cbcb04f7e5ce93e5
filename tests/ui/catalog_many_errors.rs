//! A catalogue with many errors: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/many_errors.toml");

fn main() {}
