//! Helpers shared by the unit tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{Catalog, Diagnostic};

/// A valid first provider that tests append to.
pub(crate) const OPENAI: &str = "\
[providers.openai]
models = [
  { name = \"gpt-4.1\", token_limit = 1_000_000, translation_default = true },
  { name = \"gpt-4.1-mini\", token_limit = 1_000_000, default = true },
]
";

/// The diagnostics of `source` as `(line, column, message)`; panics if it parses.
pub(crate) fn errors(source: &str) -> Vec<(usize, usize, String)> {
    match Catalog::parse(source, "models.toml") {
        Ok(_) => panic!("expected errors, but it parsed:\n{source}"),
        Err(diagnostics) => diagnostics
            .iter()
            .map(|d| (d.line, d.column, d.message.clone()))
            .collect(),
    }
}

/// The only diagnostic of `source`; panics unless there is exactly one.
pub(crate) fn single(source: &str) -> Diagnostic {
    match Catalog::parse(source, "models.toml") {
        Ok(_) => panic!("expected an error, but it parsed:\n{source}"),
        Err(diagnostics) => {
            assert_eq!(
                diagnostics.len(),
                1,
                "expected one error, got:\n{diagnostics}"
            );
            diagnostics.into_iter().next().unwrap()
        }
    }
}

/// Asserts the only diagnostic of `source` is at `line:column` with `message`
/// and the given help; returns it.
pub(crate) fn assert_single(
    source: &str,
    line: usize,
    column: usize,
    message: &str,
    help: Option<&str>,
) -> Diagnostic {
    let diagnostic = single(source);
    assert_eq!(
        (
            diagnostic.line,
            diagnostic.column,
            diagnostic.message.as_str()
        ),
        (line, column, message),
        "\n{diagnostic}"
    );
    assert_eq!(diagnostic.help.as_deref(), help, "\n{diagnostic}");
    diagnostic
}

/// Parses a source that must be valid.
pub(crate) fn valid(source: &str) -> Catalog {
    match Catalog::parse(source, "models.toml") {
        Ok(catalog) => catalog,
        Err(diagnostics) => panic!("expected a valid catalogue:\n{diagnostics}"),
    }
}
