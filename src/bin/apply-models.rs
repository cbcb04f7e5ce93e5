//! `apply-models`: converge the database on the catalogue compiled into this binary.
//!
//! `cargo run --bin apply-models [apply|plan|status|history|migrate]`; see
//! `llm_lifecycle_runtime::cli`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    // The catalogue is embedded at compile time: the deployed binary can only
    // apply the catalogue it was built with.
    match llm_lifecycle_catalog::Catalog::parse(include_str!("../../models.toml"), "models.toml") {
        Ok(catalog) => llm_lifecycle_runtime::cli::main(&catalog),
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            ExitCode::from(1)
        }
    }
}
