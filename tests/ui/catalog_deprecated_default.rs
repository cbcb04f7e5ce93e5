//! A catalogue with deprecated default: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/deprecated_default.toml");

fn main() {}
