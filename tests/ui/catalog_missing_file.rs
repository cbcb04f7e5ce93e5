//! A catalogue path that does not exist.
llm_lifecycle::catalog!("tests/fixtures/no_such_file.toml");

fn main() {}
