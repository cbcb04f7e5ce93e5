#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::unbalanced_delimiter;
use crate::test_util::{OPENAI, errors, single};

#[test]
fn a_missing_closing_brace_is_reported_once_at_its_opening_brace() {
    let source = "[providers.openai]\nmodels = [\n  { name = \"a\", token_limit = 1,\n  { name = \"b\", token_limit = 1, default = true },\n]\n";
    let diagnostic = single(source);
    assert_eq!(
        (diagnostic.line, diagnostic.column),
        (3, 3),
        "\n{diagnostic}"
    );
    assert_eq!(
        diagnostic.message,
        "invalid TOML: this inline table is never closed, expected `}`"
    );
}

#[test]
fn the_last_entry_missing_its_brace_is_reported_on_its_line() {
    let source = "[providers.openai]\nmodels = [\n  { name = \"a\", token_limit = 1, default = true },\n  { name = \"b\", token_limit = 1\n]\n";
    let diagnostic = single(source);
    assert_eq!(
        (diagnostic.line, diagnostic.column),
        (4, 3),
        "\n{diagnostic}"
    );
}

#[test]
fn a_missing_opening_brace_is_reported_at_the_stray_closing_one() {
    let source = "[providers.openai]\nmodels = [\n  { name = \"a\", token_limit = 1, default = true },\n  name = \"b\", token_limit = 1 },\n]\n";
    let found = errors(source);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 4, "{found:?}");
}

#[test]
fn a_missing_closing_bracket_is_reported_once_at_the_array() {
    let source = format!(
        "[providers.openai]\nmodels = [\n  {{ name = \"a\", token_limit = 1, default = true }},\n\n{}",
        &OPENAI.replace("openai", "azure")
    );
    let diagnostic = single(&source);
    assert_eq!(
        (diagnostic.line, diagnostic.column),
        (2, 10),
        "\n{diagnostic}"
    );
    assert_eq!(
        diagnostic.message,
        "invalid TOML: this array is never closed, expected `]`"
    );
}

#[test]
fn semantic_errors_do_not_pile_up_behind_a_syntax_error() {
    // An unknown key and a missing default, then a syntax error: only the latter.
    let source = "[providers.openai]\nlabl = \"x\"\nmodels = [\n  { name = \"a\", token_limit = 1 },\n  { name = \"b\" token_limit = 1 },\n]\n";
    let diagnostic = single(source);
    assert_eq!(diagnostic.line, 5, "\n{diagnostic}");
    assert!(
        diagnostic.message.starts_with("invalid TOML: "),
        "{diagnostic}"
    );
}

#[test]
fn delimiters_in_strings_comments_and_multi_line_tables_balance() {
    let source = "# a comment with { and [\n[providers.openai] # ]\nlabel = \"{[\\\"\"\nnote = '}'\ntext = \"\"\"\n]}\"\"\"\"\nraw = '''\n}'''\nmodels = [\n  {\n    name = \"a\", token_limit = 1, default = true\n  },\n]\n";
    assert_eq!(unbalanced_delimiter(source), None);
}

#[test]
fn a_stray_closing_bracket_at_top_level_is_found() {
    let found = unbalanced_delimiter("a = 1\n]\n").unwrap();
    assert_eq!(found.span, 6..7);
    assert_eq!(found.message, "invalid TOML: this `]` closes no array");
}
