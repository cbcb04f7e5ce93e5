//! The shape of the document: syntax, top-level keys, provider tables, model and
//! deleted entries, with exact positions and messages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::test_util::{OPENAI, assert_single, errors, valid};

fn with_model(entry: &str) -> String {
    format!(
        "{OPENAI}[providers.azure]\nmodels = [\n  {{ name = \"m\", token_limit = 8, default = true }},\n  {entry},\n]\n"
    )
}

#[test]
fn syntax_errors_are_reported_at_their_position() {
    let diagnostics =
        errors("[providers.openai]\nmodels = [\n  { name = \"a\" token_limit = 1 },\n]\n");
    assert_eq!(diagnostics[0].0, 3);
    assert!(
        diagnostics[0].2.starts_with("invalid TOML: "),
        "{diagnostics:?}"
    );
    assert_single(
        "[providers.openai]\nlabel = \"a\"\nlabel = \"b\"\n",
        3,
        1,
        "invalid TOML: duplicate key",
        None,
    );
}

#[test]
fn empty_document_has_no_providers() {
    assert_single(
        "",
        1,
        1,
        "the catalogue declares no providers",
        Some("add a `[providers.KEY]` table with `models = [...]`"),
    );
    assert_single(
        "providers = {}\n",
        1,
        13,
        "the catalogue declares no providers",
        Some("add a `[providers.KEY]` table with `models = [...]`"),
    );
}

#[test]
fn unknown_top_level_key_suggests_the_closest() {
    let source = format!("{OPENAI}[[refrences]]\ntable = \"a\"\n");
    assert_single(
        &source,
        6,
        3,
        "unknown top-level key `refrences`",
        Some("did you mean `references`?"),
    );
}

#[test]
fn providers_must_be_tables() {
    assert_single(
        "providers = 3\n",
        1,
        13,
        "`providers` must be a table of provider tables, found an integer",
        Some("declare each provider as `[providers.KEY]`"),
    );
    let source = format!("{OPENAI}[providers]\nazure = \"x\"\n");
    assert_single(
        &source,
        7,
        9,
        "provider `azure` must be a table, found a string",
        Some("declare it as `[providers.azure]` with `models = [...]`"),
    );
}

#[test]
fn provider_keys_are_lowercase_identifiers() {
    let source = format!(
        "{OPENAI}[providers.Open-AI]\nmodels = [{{ name = \"m\", token_limit = 1, default = true }}]\n"
    );
    assert_single(
        &source,
        6,
        12,
        "invalid provider key `Open-AI`",
        Some(
            "a provider key starts with a lowercase ASCII letter, followed by lowercase letters, digits, `_` or `-`",
        ),
    );
    valid(&format!(
        "{OPENAI}[providers.a0_b-c]\nmodels = [{{ name = \"m\", token_limit = 1, default = true }}]\n"
    ));
}

#[test]
fn unknown_provider_key_suggests_the_closest() {
    let source = format!("{OPENAI}deletd = []\n");
    assert_single(
        &source,
        6,
        1,
        "unknown key `deletd` in provider `openai`",
        Some("did you mean `deleted`?"),
    );
    let source = format!("{OPENAI}colour = 1\n");
    assert_single(
        &source,
        6,
        1,
        "unknown key `colour` in provider `openai`",
        Some("the keys of provider `openai` are `label`, `models`, `deleted`"),
    );
}

#[test]
fn label_defaults_to_the_key() {
    let catalog = valid(&format!("{OPENAI}label = \"OpenAI\"\n"));
    assert_eq!(catalog.providers[0].label, "OpenAI");
    let catalog = valid(OPENAI);
    assert_eq!(catalog.providers[0].label, "openai");
    assert_single(
        &format!("{OPENAI}label = true\n"),
        6,
        9,
        "`label` must be a string, found a boolean",
        None,
    );
    assert_single(
        &format!("{OPENAI}label = \" \"\n"),
        6,
        9,
        "`label` cannot be empty",
        Some("remove `label` to show the provider key instead"),
    );
}

#[test]
fn models_must_be_an_array_of_inline_tables() {
    assert_single(
        "[providers.openai]\nmodels = \"gpt-4\"\n",
        2,
        10,
        "`models` must be an array of inline tables, found a string",
        Some("write `models = [ { name = \"...\" } ]`"),
    );
    assert_single(
        "[providers.openai]\nmodels = [{ name = \"a\", token_limit = 1, default = true }, \"gpt-4\"]\n",
        2,
        60,
        "each entry of `models` must be a model table, found a string",
        Some("write it as an inline table: `{ name = \"...\" }`"),
    );
    assert_single(
        &format!("{OPENAI}deleted = [1]\n"),
        6,
        12,
        "each entry of `deleted` must be a deleted model table, found an integer",
        Some("write it as an inline table: `{ name = \"...\" }`"),
    );
}

#[test]
fn unknown_model_key_suggests_the_closest() {
    let source = with_model("{ name = \"old\", token_limit = 8, deprecate = true }");
    assert_single(
        &source,
        9,
        36,
        "unknown key `deprecate` in model `azure/old`",
        Some("did you mean `deprecated`?"),
    );
}

#[test]
fn model_needs_a_name_and_a_token_limit() {
    assert_single(
        &with_model("{ token_limit = 8 }"),
        9,
        3,
        "a model has no `name`",
        Some("add `name = \"...\"`: the provider's model id"),
    );
    assert_single(
        &with_model("{ name = \"x\" }"),
        9,
        3,
        "model `azure/x` has no `token_limit`",
        Some("add `token_limit = 128_000`: the context window in tokens"),
    );
}

#[test]
fn model_names_are_non_empty_without_whitespace() {
    assert_single(
        &with_model("{ name = \"\", token_limit = 8 }"),
        9,
        12,
        "a model name cannot be empty",
        None,
    );
    assert_single(
        &with_model("{ name = \"gpt 4\", token_limit = 8 }"),
        9,
        12,
        "model name `gpt 4` contains ' '",
        Some(
            "a model name is the provider's id: no whitespace or control characters (`/ : . @` are fine)",
        ),
    );
    let catalog = valid(&with_model(
        "{ name = \"openai/gpt-oss:20b@v1.2\", token_limit = 8 }",
    ));
    assert_eq!(
        catalog.providers[1].models[1].name,
        "openai/gpt-oss:20b@v1.2"
    );
    assert_single(
        &with_model("{ name = 4, token_limit = 8 }"),
        9,
        12,
        "`name` must be a string, found an integer",
        None,
    );
}

#[test]
fn token_limits_are_positive_u32() {
    let catalog = valid(&with_model("{ name = \"x\", token_limit = 4_294_967_295 }"));
    assert_eq!(catalog.providers[1].models[1].token_limit, u32::MAX);
    let catalog = valid(&with_model("{ name = \"x\", token_limit = 0x10 }"));
    assert_eq!(catalog.providers[1].models[1].token_limit, 16);
    assert_single(
        &with_model("{ name = \"x\", token_limit = 0 }"),
        9,
        31,
        "`token_limit` must be between 1 and 4294967295, found 0",
        None,
    );
    assert_single(
        &with_model("{ name = \"x\", token_limit = -5 }"),
        9,
        31,
        "`token_limit` must be between 1 and 4294967295, found -5",
        None,
    );
    assert_single(
        &with_model("{ name = \"x\", token_limit = 4_294_967_296 }"),
        9,
        31,
        "`token_limit` must be between 1 and 4294967295, found 4294967296",
        None,
    );
    assert_single(
        &with_model("{ name = \"x\", token_limit = 1.5e6 }"),
        9,
        31,
        "`token_limit` must be an integer, found a float",
        None,
    );
    assert_single(
        &with_model("{ name = \"x\", token_limit = \"8\" }"),
        9,
        31,
        "`token_limit` must be an integer, found a string",
        None,
    );
}

#[test]
fn flags_are_booleans() {
    assert_single(
        &with_model("{ name = \"x\", token_limit = 8, deprecated = \"yes\" }"),
        9,
        47,
        "`deprecated` must be `true` or `false`, found a string",
        None,
    );
    assert_single(
        &with_model("{ name = \"x\", token_limit = 8, translation_default = 1 }"),
        9,
        56,
        "`translation_default` must be `true` or `false`, found an integer",
        None,
    );
}

#[test]
fn sunset_is_an_unquoted_local_date() {
    let catalog = valid(&with_model(
        "{ name = \"x\", token_limit = 8, deprecated = true, replacement = \"m\", sunset = 2027-01-31 }",
    ));
    let sunset = catalog.providers[1].models[1].sunset.unwrap();
    assert_eq!(sunset.to_string(), "2027-01-31");
    assert_single(
        &with_model(
            "{ name = \"x\", token_limit = 8, deprecated = true, sunset = \"2027-01-31\" }",
        ),
        9,
        62,
        "`sunset` must be a date, found a string",
        Some("write the date without quotes: `sunset = 2027-01-31`"),
    );
    assert_single(
        &with_model("{ name = \"x\", token_limit = 8, deprecated = true, sunset = \"soon\" }"),
        9,
        62,
        "`sunset` must be a date, found a string",
        Some("write the date without quotes: `sunset = 2027-01-31`"),
    );
    assert_single(
        &with_model(
            "{ name = \"x\", token_limit = 8, deprecated = true, sunset = 2027-01-31T10:00:00Z }",
        ),
        9,
        62,
        "`sunset` must be a date, found a date with a time",
        Some("write just the date: `sunset = 2027-01-31`"),
    );
    assert_single(
        &with_model("{ name = \"x\", token_limit = 8, deprecated = true, sunset = 10:00:00 }"),
        9,
        62,
        "`sunset` must be a date, found a time of day",
        Some("write a date: `sunset = 2027-01-31`"),
    );
    assert_single(
        &with_model("{ name = \"x\", token_limit = 8, deprecated = true, sunset = 20270131 }"),
        9,
        62,
        "`sunset` must be a date (`2027-01-31`), found an integer",
        None,
    );
}

#[test]
fn ident_is_a_rust_identifier() {
    let catalog = valid(&with_model(
        "{ name = \"x\", token_limit = 8, ident = \"AzureX\" }",
    ));
    assert_eq!(
        catalog.providers[1].models[1].ident.as_deref(),
        Some("AzureX")
    );
    let help = Some(
        "use letters, digits and `_`, starting with a letter and not a Rust keyword; UpperCamelCase like `OpenaiGpt4o` is recommended",
    );
    for bad in ["4o", "Self", "a-b", "", "_"] {
        let source = with_model(&format!(
            "{{ name = \"x\", token_limit = 8, ident = \"{bad}\" }}"
        ));
        assert_single(
            &source,
            9,
            42,
            &format!("`ident` must be a Rust identifier, found `{bad}`"),
            help,
        );
    }
}

#[test]
fn deleted_entries_have_their_own_keys() {
    let catalog = valid(&format!(
        "{OPENAI}deleted = [{{ name = \"gpt-4\", replacement = \"gpt-4.1\", deleted_on = 2026-03-04 }}, {{ name = \"o1\" }}]\n"
    ));
    let deleted = &catalog.providers[0].deleted;
    assert_eq!(deleted.len(), 2);
    assert_eq!(
        deleted[0].deleted_on.map(|d| d.to_string()).as_deref(),
        Some("2026-03-04")
    );
    assert_eq!(deleted[1].replacement, None);
    assert_single(
        &format!("{OPENAI}deleted = [{{ name = \"o1\", token_limit = 5 }}]\n"),
        6,
        27,
        "unknown key `token_limit` in deleted model `openai/o1`",
        Some("the keys of deleted model `openai/o1` are `name`, `replacement`, `deleted_on`"),
    );
    assert_single(
        &format!("{OPENAI}deleted = [{{ name = \"o1\", deleted_on = \"2026-03-04\" }}]\n"),
        6,
        40,
        "`deleted_on` must be a date, found a string",
        Some("write the date without quotes: `deleted_on = 2026-03-04`"),
    );
    assert_single(
        &format!("{OPENAI}deleted = [{{ replacement = \"gpt-4.1\" }}]\n"),
        6,
        12,
        "a deleted model has no `name`",
        Some("add `name = \"...\"`: the provider's model id"),
    );
}

#[test]
fn every_error_is_reported_at_once_in_source_order() {
    let source = format!(
        "{OPENAI}colour = 1\n[providers.azure]\nmodels = [\n  {{ name = \"a\", token_limit = 0, default = true, deprecate = true }},\n]\n[x]\n"
    );
    let found = errors(&source);
    let expected = vec![
        (6, 1, "unknown key `colour` in provider `openai`".to_owned()),
        (
            9,
            31,
            "`token_limit` must be between 1 and 4294967295, found 0".to_owned(),
        ),
        (
            9,
            50,
            "unknown key `deprecate` in model `azure/a`".to_owned(),
        ),
        (11, 2, "unknown top-level key `x`".to_owned()),
    ];
    assert_eq!(found, expected);
}

#[test]
fn providers_keep_declaration_order() {
    let source = format!(
        "[providers.zeta]\nmodels = [{{ name = \"z\", token_limit = 1, default = true }}]\n{}",
        OPENAI
    );
    let catalog = valid(&source);
    let keys: Vec<&str> = catalog.providers.iter().map(|p| &*p.key).collect();
    assert_eq!(keys, ["zeta", "openai"]);
    let names: Vec<&str> = catalog.providers[1]
        .models
        .iter()
        .map(|m| &*m.name)
        .collect();
    assert_eq!(names, ["gpt-4.1", "gpt-4.1-mini"]);
}

#[test]
fn a_leading_byte_order_mark_is_not_a_column() {
    // TOML allows the mark; it is neither counted nor shown.
    let source = format!("\u{FEFF}colour = 1\n{OPENAI}");
    let diagnostic = assert_single(
        &source,
        1,
        1,
        "unknown top-level key `colour`",
        Some(
            "models.toml has `[providers.KEY]` tables, `[[references]]` entries and optional \
             `[notifications]`, `[model_table]` and `[apply]` tables",
        ),
    );
    assert_eq!(diagnostic.source_line, "colour = 1");
    assert_eq!(diagnostic.span, 3..9, "spans stay offsets into the file");
    assert!(
        diagnostic.to_string().starts_with(
            "models.toml:1:1: unknown top-level key `colour`\n  |\n1 | colour = 1\n  | ^^^^^^\n"
        ),
        "{diagnostic}"
    );
    // A TOML error on line 1 (located by toml), and one at the very start.
    let syntax = crate::test_util::single("\u{FEFF}a = = 1\n");
    assert_eq!((syntax.line, syntax.column), (1, 5), "{syntax}");
    let empty = assert_single(
        "\u{FEFF}",
        1,
        1,
        "the catalogue declares no providers",
        Some("add a `[providers.KEY]` table with `models = [...]`"),
    );
    assert_eq!((empty.span, empty.source_line.as_str()), (3..3, ""));
    // Other lines are as without the mark, and so is a valid catalogue.
    let later = errors(&format!("\u{FEFF}{OPENAI}colour = 1\n"));
    assert_eq!(
        later,
        [(6, 1, "unknown key `colour` in provider `openai`".to_owned())]
    );
    valid(&format!("\u{FEFF}{OPENAI}"));
}

/// The bytes of `OPENAI` and then `label = "caf` with `é` in Latin-1 (0xE9).
fn latin1_label() -> (Vec<u8>, usize) {
    let mut bytes = format!("{OPENAI}label = \"caf").into_bytes();
    let offset = bytes.len();
    bytes.extend_from_slice(b"\xE9\"\n");
    (bytes, offset)
}

#[test]
fn a_file_that_is_not_utf8_is_one_diagnostic_at_the_first_invalid_byte() {
    let (bytes, offset) = latin1_label();
    let diagnostics = crate::Catalog::parse_bytes(&bytes, "models.toml").unwrap_err();
    assert_eq!(diagnostics.len(), 1, "{diagnostics}");
    let diagnostic = diagnostics.iter().next().unwrap();
    assert_eq!((diagnostic.line, diagnostic.column), (6, 13));
    assert_eq!(diagnostic.span, offset..offset + 1);
    assert_eq!(
        diagnostic.to_string(),
        format!(
            "models.toml:6:13: the file is not valid UTF-8 (byte 0xE9 at offset {offset})\n  \
             |\n6 | label = \"caf\n  |             ^\n  = help: save the file as UTF-8 (TOML \
             allows no other encoding), or remove the bytes at the caret"
        )
    );
    // UTF-8 bytes parse as the text does.
    assert_eq!(
        crate::Catalog::parse_bytes(OPENAI.as_bytes(), "models.toml").ok(),
        crate::Catalog::parse(OPENAI, "models.toml").ok()
    );
}

#[test]
fn invalid_utf8_is_located_after_a_byte_order_mark_at_the_end_and_in_utf16() {
    let at = |bytes: &[u8]| {
        let diagnostics = crate::Catalog::parse_bytes(bytes, "models.toml").unwrap_err();
        assert_eq!(diagnostics.len(), 1, "{diagnostics}");
        diagnostics.into_iter().next().unwrap()
    };
    // After a UTF-8 byte order mark: it is no column.
    let bom = at(b"\xEF\xBB\xBFa\xFF = 1\n");
    assert_eq!((bom.line, bom.column, bom.span), (1, 2, 4..5));
    assert_eq!(bom.source_line, "a");
    assert_eq!(
        bom.message,
        "the file is not valid UTF-8 (byte 0xFF at offset 4)"
    );
    // A character cut by the end of the file: the span runs to the end.
    let cut = at(b"a = 1\nb = \"\xE2\x82");
    assert_eq!((cut.line, cut.column, cut.span), (2, 6, 11..13));
    assert_eq!(cut.source_line, "b = \"");
    // UTF-16 gets its own hint.
    let utf16 = at(b"\xFF\xFEa\x00 \x00=\x00");
    assert_eq!((utf16.line, utf16.column, utf16.span.clone()), (1, 1, 0..1));
    assert!(utf16.help.as_deref().unwrap().contains("UTF-16"), "{utf16}");
}

#[test]
fn load_reports_a_file_that_is_not_utf8_like_parse_bytes() {
    let dir = std::env::temp_dir().join(format!("llm-lifecycle-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("models.toml");
    let (bytes, _) = latin1_label();
    std::fs::write(&path, &bytes).unwrap();
    let loaded = crate::Catalog::load(&path);
    let _ = std::fs::remove_dir_all(&dir);
    let Err(crate::LoadError::Invalid(diagnostics)) = loaded else {
        panic!("{loaded:?}")
    };
    let origin = path.display().to_string();
    assert_eq!(
        diagnostics,
        crate::Catalog::parse_bytes(&bytes, &origin).unwrap_err()
    );
    assert!(
        diagnostics.to_string().starts_with(&format!(
            "{origin}:6:13: the file is not valid UTF-8 (byte 0xE9"
        )),
        "{diagnostics}"
    );
}
