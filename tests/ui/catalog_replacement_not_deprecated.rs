//! A catalogue with replacement not deprecated: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/replacement_not_deprecated.toml");

fn main() {}
