//! `catalog!` takes a string literal.
llm_lifecycle::catalog!(models);

fn main() {}
