//! A catalogue with replacement other provider: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/replacement_other_provider.toml");

fn main() {}
