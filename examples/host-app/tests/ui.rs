//! What the application's compiler says about models: a deprecated one warns
//! (an error under `#![deny(deprecated)]`), naming its replacement; a deleted
//! one does not compile, naming its replacement. One failure kind per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
