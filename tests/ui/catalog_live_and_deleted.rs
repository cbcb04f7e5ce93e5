//! A catalogue with live and deleted: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/live_and_deleted.toml");

fn main() {}
