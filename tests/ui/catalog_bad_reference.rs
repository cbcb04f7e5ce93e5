//! A catalogue with bad reference: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/bad_reference.toml");

fn main() {}
