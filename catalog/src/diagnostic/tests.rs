//! Positions and rendering of diagnostics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::test_util::{OPENAI, single};
use crate::{Catalog, LoadError};

#[test]
fn headline_is_origin_line_column_message() {
    let map = SourceMap::new("a = 1\nbb = 2\n", "models.toml");
    let diagnostic = map.error(6..8, "unknown key `bb`");
    assert_eq!(diagnostic.headline(), "models.toml:2:1: unknown key `bb`");
    assert_eq!(diagnostic.source_line, "bb = 2");
}

#[test]
fn rendering_shows_the_line_a_marker_and_the_help() {
    let map = SourceMap::new("a = 1\nbb = 2\n", "models.toml");
    let diagnostic = map
        .error(6..8, "unknown key `bb`")
        .with_help("did you mean `b`?");
    assert_eq!(
        diagnostic.to_string(),
        "models.toml:2:1: unknown key `bb`\n  |\n2 | bb = 2\n  | ^^\n  = help: did you mean `b`?"
    );
    let plain = map.error(4..5, "bad");
    assert_eq!(
        plain.to_string(),
        "models.toml:1:5: bad\n  |\n1 | a = 1\n  |     ^"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let source = "[providers.openai]\nlabel = \"Öpen→AI\" ; x\n";
    let diagnostics = Catalog::parse(source, "models.toml").unwrap_err();
    let first = diagnostics.iter().next().unwrap();
    assert_eq!((first.line, first.column), (2, 19));
    let map = SourceMap::new("é = \"ü\", x", "f");
    let diagnostic = map.error(10..11, "here");
    assert_eq!(diagnostic.column, 9);
    assert!(
        diagnostic
            .to_string()
            .ends_with("1 | é = \"ü\", x\n  |         ^"),
        "{diagnostic}"
    );
}

#[test]
fn tabs_are_kept_in_the_marker() {
    let map = SourceMap::new("\tkey = 1\n", "f");
    let diagnostic = map.error(1..4, "here");
    assert_eq!(diagnostic.column, 2);
    assert!(
        diagnostic.to_string().ends_with("1 | \tkey = 1\n  | \t^^^"),
        "{diagnostic}"
    );
}

#[test]
fn windows_line_endings_are_not_shown() {
    let map = SourceMap::new("a = 1\r\nb = 2\r\n", "f");
    let diagnostic = map.error(7..8, "here");
    assert_eq!(
        (
            diagnostic.line,
            diagnostic.column,
            diagnostic.source_line.as_str()
        ),
        (2, 1, "b = 2")
    );
}

#[test]
fn a_span_across_lines_is_marked_to_the_end_of_its_first_line() {
    let map = SourceMap::new("x = [\n  1,\n]\n", "f");
    let diagnostic = map.error(4..12, "here");
    assert!(
        diagnostic.to_string().ends_with("1 | x = [\n  |     ^"),
        "{diagnostic}"
    );
    let diagnostic = map.error(0..12, "here");
    assert!(
        diagnostic.to_string().ends_with("1 | x = [\n  | ^^^^^"),
        "{diagnostic}"
    );
}

#[test]
fn empty_and_out_of_range_spans_get_one_caret() {
    let map = SourceMap::new("", "f");
    let diagnostic = map.error(0..0, "empty");
    assert_eq!(diagnostic.to_string(), "f:1:1: empty\n  |\n1 | \n  | ^");
    let map = SourceMap::new("ab\n", "f");
    let diagnostic = map.error(50..60, "past the end");
    assert_eq!((diagnostic.line, diagnostic.column), (2, 1));
    let map = SourceMap::new("é", "f");
    let diagnostic = map.error(1..2, "inside a character");
    assert_eq!((diagnostic.span.clone(), diagnostic.column), (0..2, 1));
}

#[test]
fn the_gutter_widens_with_the_line_number() {
    let source = format!("{}x\n", "\n".repeat(11));
    let map = SourceMap::new(&source, "f");
    let diagnostic = map.error(11..12, "here").with_help("fix it");
    assert_eq!(
        diagnostic.to_string(),
        "f:12:1: here\n   |\n12 | x\n   | ^\n   = help: fix it"
    );
}

#[test]
fn diagnostics_are_sorted_and_deduplicated() {
    let map = SourceMap::new("a\nb\nc\n", "f");
    let diagnostics = Diagnostics::new(vec![
        map.error(4..5, "c"),
        map.error(0..1, "a"),
        map.error(4..5, "c"),
        map.error(2..3, "b"),
    ]);
    assert_eq!(diagnostics.len(), 3);
    assert!(!diagnostics.is_empty());
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["a", "b", "c"]);
    let rendered = diagnostics.to_string();
    assert_eq!(rendered.matches("\n\n").count(), 2, "{rendered}");
    let owned: Vec<Diagnostic> = diagnostics.clone().into_iter().collect();
    assert_eq!(owned.as_slice(), diagnostics.as_slice());
    assert!(Diagnostics::default().is_empty());
}

#[test]
fn load_reports_io_errors_with_the_path() {
    let error = Catalog::load(std::path::Path::new("/nonexistent/models.toml")).unwrap_err();
    assert!(matches!(error, LoadError::Io { .. }));
    assert!(
        error
            .to_string()
            .starts_with("cannot read the model catalogue /nonexistent/models.toml: "),
        "{error}"
    );
}

#[test]
fn load_names_the_path_in_diagnostics() {
    let dir = std::env::temp_dir().join(format!("llm-lifecycle-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, format!("{OPENAI}colour = 1\n")).unwrap();
    let error = Catalog::load(&path).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    let LoadError::Invalid(diagnostics) = &error else {
        panic!("{error}")
    };
    let expected = format!(
        "{}:6:1: unknown key `colour` in provider `openai`",
        path.display()
    );
    assert_eq!(diagnostics.iter().next().unwrap().headline(), expected);
    assert!(error.to_string().starts_with(&expected));
}

#[test]
fn snapshot_unknown_key() {
    let source = "[providers.openai]\nmodels = [\n  { name = \"gpt-4.1-mini\", token_limit = 1_000_000, default = true },\n  { name = \"gpt-4.1-nano\", token_limit = 1_000_000, deprecate = true },\n]\n";
    insta::assert_snapshot!(single(source).to_string());
}

#[test]
fn snapshot_quoted_date_and_missing_replacement() {
    let source = "[providers.openai]\nmodels = [\n  { name = \"gpt-4.1-mini\", token_limit = 1_000_000, default = true },\n  { name = \"gpt-4.1-nano\", token_limit = 1_000_000, deprecated = true, replacement = \"gpt-4.1-mni\", sunset = \"2027-01-31\" },\n]\ndeleted = [\n  { name = \"gpt-4-turbo\", replacement = \"gpt-4.1\" },\n]\n";
    insta::assert_snapshot!(
        Catalog::parse(source, "models.toml")
            .unwrap_err()
            .to_string()
    );
}

#[test]
fn snapshot_variant_collision_and_cycle() {
    let source = "[providers.p]\nmodels = [\n  { name = \"main\", token_limit = 8, default = true },\n  { name = \"gpt-4.1\", token_limit = 8 },\n  { name = \"gpt-4-1\", token_limit = 8 },\n  { name = \"a\", token_limit = 8, deprecated = true, replacement = \"b\" },\n]\ndeleted = [{ name = \"b\", replacement = \"a\" }]\n";
    insta::assert_snapshot!(
        Catalog::parse(source, "models.toml")
            .unwrap_err()
            .to_string()
    );
}

#[test]
fn snapshot_syntax_error() {
    let source = "[providers.openai]\nmodels = [\n  { name = \"gpt-4.1\", token_limit = 1_000_000 default = true },\n]\n";
    insta::assert_snapshot!(
        Catalog::parse(source, "models.toml")
            .unwrap_err()
            .to_string()
    );
}
