//! `llm_lifecycle_macros::catalog!` called directly (a crate depending on the
//! proc-macro crate instead of llm-lifecycle): one error giving the dependency
//! line and the call to make instead.
llm_lifecycle_macros::catalog!("tests/fixtures/valid.toml");

fn main() {}
