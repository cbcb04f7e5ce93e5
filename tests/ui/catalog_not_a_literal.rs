//! `catalog!` takes a string literal.
llm_lifecycle_macros::catalog!(models);

fn main() {}
