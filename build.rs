//! Validates `models.toml` before the `catalog!` macro expands it, so that a bad
//! catalogue fails the build with one `cargo::error=` per problem
//! (`models.toml:LINE:COL: message`, then its fix hint).

use std::process::ExitCode;

use llm_lifecycle_catalog::Catalog;

const CATALOGUE: &str = "models.toml";

fn main() -> ExitCode {
    println!("cargo::rerun-if-changed={CATALOGUE}");
    let lines = match std::fs::read_to_string(CATALOGUE) {
        Ok(source) => error_directives(&source, CATALOGUE),
        Err(error) => vec![format!(
            "cargo::error=cannot read the model catalogue {CATALOGUE}: {error}: \
             it must sit next to Cargo.toml"
        )],
    };
    for line in &lines {
        println!("{line}");
    }
    if lines.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The `cargo::error=` lines for a catalogue: for each problem its headline
/// (`models.toml:LINE:COL: message`), then its fix hint. None when it is valid.
pub(crate) fn error_directives(source: &str, origin: &str) -> Vec<String> {
    let Err(diagnostics) = Catalog::parse(source, origin) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for diagnostic in diagnostics.iter() {
        lines.push(format!("cargo::error={}", diagnostic.headline()));
        if let Some(help) = &diagnostic.help {
            lines.push(format!("cargo::error=  help: {help}"));
        }
    }
    lines
}
