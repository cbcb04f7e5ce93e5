//! A catalogue with replacement self: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/replacement_self.toml");

fn main() {}
