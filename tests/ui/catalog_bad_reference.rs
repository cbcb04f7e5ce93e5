//! A catalogue with bad reference: compile errors at its line and column.
llm_lifecycle_macros::catalog!("tests/fixtures/bad_reference.toml");

fn main() {}
