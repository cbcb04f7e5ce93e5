//! A catalogue with no default: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/no_default.toml");

fn main() {}
