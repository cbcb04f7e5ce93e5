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

/// `n` dotted keys: `a.a.…`.
fn keys(n: usize) -> String {
    vec!["a"; n].join(".")
}

fn deep_message(what: &str, keys: usize) -> String {
    format!(
        "invalid TOML: this {what} is nested more than 80 levels deep ({keys} keys); \
         models.toml needs at most 3"
    )
}

#[test]
fn toml_still_stops_keys_at_the_limit_without_a_span() {
    // What `deep_key` relies on: 80 keys parse, 81 give a span-less error.
    let (_, errors) = toml::de::DeTable::parse_recoverable(&format!("{} = 1\n", keys(80)));
    assert!(errors.is_empty(), "{errors:?}");
    let (_, errors) = toml::de::DeTable::parse_recoverable(&format!("{} = 1\n", keys(81)));
    let found: Vec<_> = errors
        .iter()
        .map(|error| (error.span(), error.message().trim()))
        .collect();
    assert_eq!(found, [(None, super::RECURSION_LIMIT)]);
    assert_eq!(super::KEY_DEPTH_LIMIT, 80);
}

#[test]
fn a_dotted_key_past_the_limit_is_reported_at_the_key() {
    let source = format!("{OPENAI}{} = 1\n", keys(81));
    let diagnostic = single(&source);
    assert_eq!(
        (diagnostic.line, diagnostic.column),
        (6, 1),
        "\n{diagnostic}"
    );
    assert_eq!(diagnostic.message, deep_message("dotted key", 81));
    assert_eq!(
        diagnostic.help.as_deref(),
        Some(
            "shorten it to 3 keys at most: a provider is `[providers.KEY]`, its fields are \
             `label = …` under it or `providers.KEY.label = …`"
        )
    );
    let start = OPENAI.len();
    assert_eq!(diagnostic.span, start..start + keys(81).len());
    // Indented, quoted and spaced keys count as toml counts them.
    let quoted = format!("{OPENAI}  \"a.b\" . 'c'.{} = 1\n", keys(79));
    let diagnostic = single(&quoted);
    assert_eq!(
        (diagnostic.line, diagnostic.column),
        (6, 3),
        "\n{diagnostic}"
    );
    assert_eq!(diagnostic.message, deep_message("dotted key", 81));
    // 80 keys are TOML: the catalogue's own checks speak.
    let shallow = errors(&format!("{OPENAI}{} = 1\n", keys(80)));
    assert!(
        shallow
            .iter()
            .all(|(_, _, message)| !message.starts_with("invalid TOML")),
        "{shallow:?}"
    );
}

#[test]
fn a_table_header_past_the_limit_is_reported_at_its_key() {
    for (header, column) in [
        (format!("[{}]", keys(100)), 2),
        (format!("[[ {} ]]", keys(81)), 4),
    ] {
        let source = format!("{OPENAI}{header}\nlabel = \"x\"\n");
        let diagnostic = single(&source);
        assert_eq!(
            (diagnostic.line, diagnostic.column),
            (6, column),
            "\n{diagnostic}"
        );
        let count = if column == 2 { 100 } else { 81 };
        assert_eq!(diagnostic.message, deep_message("table header", count));
    }
}

#[test]
fn a_deep_key_is_found_past_strings_comments_and_shallow_keys() {
    // Deep keys in a comment, in strings and in an inline table before the
    // real one are not it; the first real one is, once.
    let decoys = format!(
        "# {deep}\nnote = \"{deep}\"\ntext = '''\n{deep} = 1\n'''\n{shallow} = 1\n",
        deep = keys(90),
        shallow = keys(3)
    );
    let source = format!(
        "{decoys}x = {{ y = 1, {} = 2 }}\n{} = 3\n",
        keys(85),
        keys(95)
    );
    let diagnostic = single(&source);
    assert_eq!(
        (diagnostic.line, diagnostic.column),
        (7, 14),
        "\n{diagnostic}"
    );
    assert_eq!(diagnostic.message, deep_message("dotted key", 85));
}

#[test]
fn a_deep_key_after_a_byte_order_mark_is_located_on_line_one() {
    let diagnostic = single(&format!("\u{FEFF}[{}]\n", keys(81)));
    assert_eq!(
        (diagnostic.line, diagnostic.column),
        (1, 2),
        "\n{diagnostic}"
    );
    assert_eq!(diagnostic.message, deep_message("table header", 81));
}
