//! A catalogue with sunset not deprecated: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/sunset_not_deprecated.toml");

fn main() {}
