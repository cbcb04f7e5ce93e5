//! A catalogue with replacement missing: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/replacement_missing.toml");

fn main() {}
