//! A catalogue with replacement cycle: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/replacement_cycle.toml");

fn main() {}
