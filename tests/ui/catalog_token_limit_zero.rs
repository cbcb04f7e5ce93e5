//! A catalogue with token limit zero: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/token_limit_zero.toml");

fn main() {}
