//! Compile-fail tests: every diagnostic a user can get from `catalog!`,
//! `model!` and deprecated variants, snapshotted in `tests/ui/*.stderr`.

#[test]
fn compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
