//! A catalogue with bad provider key: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/bad_provider_key.toml");

fn main() {}
