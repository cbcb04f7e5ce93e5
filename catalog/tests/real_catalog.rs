//! Mutations of the real catalogue at the repository root: whatever it lists
//! (these tests name no model and count nothing in it), one broken entry or list
//! is one diagnostic at its line. The shape of a production-size catalogue is
//! checked on a frozen copy in `frozen_catalog.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use llm_lifecycle_catalog::Catalog;

fn source(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let source = std::fs::read_to_string(&path).unwrap();
    if let Err(diagnostics) = Catalog::parse(&source, "models.toml") {
        panic!(
            "{} is invalid before any mutation:\n{diagnostics}",
            path.display()
        );
    }
    source
}

/// The real catalogue, and the frozen copy the tests own (so that each check
/// runs on a catalogue of known size even if the real one shrinks).
fn catalogues() -> [(&'static str, String); 2] {
    [
        ("models.toml", source("../models.toml")),
        (
            "production_2026_08.toml",
            source("../tests/fixtures/production_2026_08.toml"),
        ),
    ]
}

/// `source` with the last `}` of line `line` (1-based) removed.
fn without_closing_brace(source: &str, line: usize) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_owned).collect();
    let text = &mut lines[line - 1];
    let at = text.rfind('}').unwrap();
    text.remove(at);
    lines.join("\n") + "\n"
}

#[test]
fn removing_any_closing_brace_reports_that_line_only() {
    for (name, source) in catalogues() {
        let lines: Vec<usize> = source
            .lines()
            .enumerate()
            .filter(|(_, text)| text.trim_start().starts_with('{') && text.contains('}'))
            .map(|(index, _)| index + 1)
            .collect();
        assert!(!lines.is_empty(), "{name} has no entry lines");
        for line in lines {
            let broken = without_closing_brace(&source, line);
            let diagnostics = Catalog::parse(&broken, "models.toml").unwrap_err();
            let found: Vec<usize> = diagnostics.iter().map(|d| d.line).collect();
            assert_eq!(
                found,
                [line],
                "{name}: `}}` removed on line {line}:\n{diagnostics}"
            );
        }
    }
}

#[test]
fn removing_any_closing_bracket_reports_one_error_at_the_list_it_closed() {
    for (name, source) in catalogues() {
        let lines: Vec<&str> = source.lines().collect();
        let closing: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == "]").collect();
        assert!(!closing.is_empty(), "{name} has no lists");
        for at in closing {
            // The list this `]` closes: the nearest `key = [` above it.
            let opener = (0..at).rev().find(|&i| lines[i].ends_with("= [")).unwrap();
            let mut broken = lines.clone();
            broken.remove(at);
            let broken = broken.join("\n") + "\n";
            let diagnostics = Catalog::parse(&broken, "models.toml").unwrap_err();
            assert_eq!(
                diagnostics.len(),
                1,
                "{name}, line {}:\n{diagnostics}",
                at + 1
            );
            let diagnostic = &diagnostics.as_slice()[0];
            assert_eq!(
                (diagnostic.line, diagnostic.source_line.as_str()),
                (opener + 1, lines[opener]),
                "{name}: `]` removed on line {}:\n{diagnostic}",
                at + 1
            );
        }
    }
}
