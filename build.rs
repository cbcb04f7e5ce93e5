//! Validates `models.toml` before the `catalog!` macro expands it, so that a bad
//! catalogue fails the build with every problem rendered once, the way the
//! macro and rustc render theirs (`models.toml:LINE:COL: message`, the offending
//! line with a caret, the fix hint).
//!
//! Cargo shows a build script's stderr only when the script fails, and keeps a
//! `cargo::error=` directive to one line (then repeats the script's stdout under
//! `--- stdout`). So the rendered diagnostics go to stderr, stdout carries a
//! single short summary, and the script exits with an error.

use std::process::ExitCode;

use llm_lifecycle_catalog::Catalog;

const CATALOGUE: &str = "models.toml";

fn main() -> ExitCode {
    println!("cargo::rerun-if-changed={CATALOGUE}");
    let report = match std::fs::read(CATALOGUE) {
        Ok(bytes) => report(&bytes, CATALOGUE),
        Err(error) => {
            // The script runs in the package's directory: a missing file is
            // one that is not next to Cargo.toml.
            let hint = if error.kind() == std::io::ErrorKind::NotFound {
                ": it must sit next to Cargo.toml"
            } else {
                ""
            };
            Some(Report {
                rendered: String::new(),
                directive: format!(
                    "cargo::error=cannot read the model catalogue {CATALOGUE}: {error}{hint}"
                ),
            })
        }
    };
    match report {
        None => ExitCode::SUCCESS,
        Some(report) => {
            eprint!("{}", report.rendered);
            println!("{}", report.directive);
            ExitCode::FAILURE
        }
    }
}

/// What the build script prints for an invalid catalogue.
#[derive(Debug)]
pub(crate) struct Report {
    /// Every problem rendered in full, for stderr.
    pub(crate) rendered: String,
    /// The one `cargo::error=` line for stdout: how many problems, and where they are shown.
    pub(crate) directive: String,
}

/// The report for a catalogue (the file's bytes, or its text), or none when it
/// is valid. A file that is not UTF-8 is one located problem, worded as the
/// macro words it ([`Catalog::parse_bytes`]).
pub(crate) fn report(source: impl AsRef<[u8]>, origin: &str) -> Option<Report> {
    let diagnostics = Catalog::parse_bytes(source.as_ref(), origin).err()?;
    let mut rendered = String::new();
    for diagnostic in &diagnostics {
        rendered.push_str(&format!("error: {diagnostic}\n\n"));
    }
    let count = match diagnostics.len() {
        1 => "1 problem".to_owned(),
        n => format!("{n} problems"),
    };
    Some(Report {
        rendered,
        directive: format!(
            "cargo::error={origin} is not a valid model catalogue: {count}, shown under \
             `--- stderr` below"
        ),
    })
}
