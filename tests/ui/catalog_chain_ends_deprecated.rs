//! A catalogue with chain ends deprecated: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/chain_ends_deprecated.toml");

fn main() {}
