//! A catalogue with missing token limit: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/missing_token_limit.toml");

fn main() {}
