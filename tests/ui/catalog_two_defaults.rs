//! A catalogue with two defaults: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/two_defaults.toml");

fn main() {}
