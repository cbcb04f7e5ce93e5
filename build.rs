//! Validates `models.toml` before the `catalog!` macro expands it, so that a bad
//! catalogue fails the build with one `cargo::error=` per problem
//! (`models.toml:LINE:COL: message`, then its fix hint).

use std::process::ExitCode;

use llm_lifecycle_catalog::{Catalog, LoadError};

const CATALOGUE: &str = "models.toml";

fn main() -> ExitCode {
    println!("cargo::rerun-if-changed={CATALOGUE}");
    let source = match std::fs::read_to_string(CATALOGUE) {
        Ok(source) => source,
        Err(error) => {
            let error = LoadError::Io {
                path: CATALOGUE.into(),
                source: error,
            };
            println!("cargo::error={error}: it must sit next to Cargo.toml");
            return ExitCode::FAILURE;
        }
    };
    match Catalog::parse(&source, CATALOGUE) {
        Ok(_) => ExitCode::SUCCESS,
        Err(diagnostics) => {
            for diagnostic in diagnostics.iter() {
                println!("cargo::error={}", diagnostic.headline());
                if let Some(help) = &diagnostic.help {
                    println!("cargo::error=  help: {help}");
                }
            }
            ExitCode::FAILURE
        }
    }
}
