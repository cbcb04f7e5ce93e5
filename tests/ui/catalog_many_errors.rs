//! A catalogue with many errors: compile errors at its line and column.
llm_lifecycle_macros::catalog!("tests/fixtures/many_errors.toml");

fn main() {}
