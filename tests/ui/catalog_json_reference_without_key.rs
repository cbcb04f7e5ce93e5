//! A catalogue with json reference without key: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/json_reference_without_key.toml");

fn main() {}
