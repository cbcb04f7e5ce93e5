//! Rebuilds the crate when its migrations change: `embed_migrations!` reads
//! `migrations/` at compile time, and cargo does not watch that directory on
//! its own (a migration added or edited would otherwise be missing from the
//! build until something else changed).

#![forbid(unsafe_code)]

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
