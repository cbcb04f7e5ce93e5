//! A catalogue with variant collision: compile errors at its line and column.
llm_lifecycle::catalog!("tests/fixtures/variant_collision.toml");

fn main() {}
