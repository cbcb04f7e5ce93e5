//! `apply-models`: converge the database on the catalogue compiled into this binary.
fn main() {}
