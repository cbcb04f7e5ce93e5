#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::Date;

const SOURCE: &str = r#"# A fixture catalogue.
[providers.openai]
label = "OpenAI"
models = [
  { name = "gpt-4.1",      token_limit = 1_000_000, translation_default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000, default = true },
  { name = "gpt-4o",       token_limit = 128_000 }, # the old one
  { name = "gpt-4o-mini",  token_limit = 128_000, deprecated = true, replacement = "gpt-4o" },
  # reasoning
  { name = "o3", token_limit = 200_000 },
]
deleted = [
  { name = "gpt-4-turbo", replacement = "gpt-4.1" },
  { name = "o1", replacement = "o3" },
]

[providers.groq]
models = [
  { name = "openai/gpt-oss-120b", token_limit = 131_072, default = true },
  { name = "openai/gpt-oss-20b", token_limit = 131_072 },
]
"#;

const TODAY: Date = Date {
    year: 2026,
    month: 8,
    day: 14,
};

fn ok(result: Result<Edit, EditError>) -> Edit {
    match result {
        Ok(edit) => {
            crate::Catalog::parse(&edit.text, "models.toml").unwrap();
            edit
        }
        Err(error) => panic!("{error}"),
    }
}

fn refused(result: Result<Edit, EditError>) -> EditError {
    match result {
        Ok(edit) => panic!("expected a refusal, got:\n{}", edit.diff),
        Err(error) => error,
    }
}

/// The lines of `after` that are not in `before` and the other way round.
fn changed_lines(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let removed = old
        .iter()
        .filter(|l| !new.contains(l))
        .map(|l| (*l).to_owned())
        .collect();
    let added = new
        .iter()
        .filter(|l| !old.contains(l))
        .map(|l| (*l).to_owned())
        .collect();
    (removed, added)
}

#[test]
fn deprecate_sets_the_flag_replacement_and_sunset_on_the_line() {
    let sunset = Date {
        year: 2027,
        month: 1,
        day: 31,
    };
    let edit = ok(deprecate(
        SOURCE,
        "models.toml",
        "openai/o3",
        Some("openai/gpt-4.1"),
        Some(sunset),
    ));
    assert_eq!(
        edit.diff,
        "models.toml:10 [providers.openai]\n\
         -  { name = \"o3\", token_limit = 200_000 },\n\
         +  { name = \"o3\", token_limit = 200_000, deprecated = true, replacement = \"gpt-4.1\", sunset = 2027-01-31 },\n"
    );
    assert_eq!(edit.text, SOURCE.replace(
        "{ name = \"o3\", token_limit = 200_000 }",
        "{ name = \"o3\", token_limit = 200_000, deprecated = true, replacement = \"gpt-4.1\", sunset = 2027-01-31 }",
    ));
    assert!(!edit.is_noop());
    assert!(edit.notes.is_empty());
}

#[test]
fn deprecate_keeps_the_end_of_line_comment_and_alignment() {
    let edit = ok(deprecate(
        SOURCE,
        "models.toml",
        "openai/gpt-4o",
        Some("gpt-4.1"),
        None,
    ));
    // gpt-4o-mini names gpt-4o: its chain now goes on to gpt-4.1.
    let (removed, added) = changed_lines(SOURCE, &edit.text);
    assert_eq!(
        removed,
        ["  { name = \"gpt-4o\",       token_limit = 128_000 }, # the old one"]
    );
    assert_eq!(
        added,
        [
            "  { name = \"gpt-4o\",       token_limit = 128_000, deprecated = true, replacement = \"gpt-4.1\" }, # the old one"
        ]
    );
}

#[test]
fn deprecate_again_is_a_noop_and_keeps_what_is_there() {
    let edit = ok(deprecate(
        SOURCE,
        "models.toml",
        "openai/gpt-4o-mini",
        None,
        None,
    ));
    assert!(edit.is_noop());
    assert_eq!(edit.text, SOURCE);
    assert_eq!(edit.diff, "");
    let edit = ok(deprecate(
        SOURCE,
        "models.toml",
        "openai/gpt-4o-mini",
        Some("gpt-4.1"),
        None,
    ));
    assert_eq!(
        changed_lines(SOURCE, &edit.text).1,
        [
            "  { name = \"gpt-4o-mini\",  token_limit = 128_000, deprecated = true, replacement = \"gpt-4.1\" },"
        ]
    );
}

#[test]
fn deprecate_a_false_flag_in_place() {
    let source = SOURCE.replace(
        "{ name = \"openai/gpt-oss-20b\", token_limit = 131_072 }",
        "{ name = \"openai/gpt-oss-20b\", deprecated = false, token_limit = 131_072 }",
    );
    let edit = ok(deprecate(
        &source,
        "models.toml",
        "groq/openai/gpt-oss-20b",
        None,
        None,
    ));
    assert_eq!(
        changed_lines(&source, &edit.text).1,
        ["  { name = \"openai/gpt-oss-20b\", deprecated = true, token_limit = 131_072 },"]
    );
}

#[test]
fn a_replacement_with_a_slash_in_its_name_stays_a_name() {
    let edit = ok(deprecate(
        SOURCE,
        "models.toml",
        "groq/openai/gpt-oss-20b",
        Some("openai/gpt-oss-120b"),
        None,
    ));
    assert_eq!(
        changed_lines(SOURCE, &edit.text).1,
        [
            "  { name = \"openai/gpt-oss-20b\", token_limit = 131_072, deprecated = true, replacement = \"openai/gpt-oss-120b\" },"
        ]
    );
    let edit = ok(deprecate(
        SOURCE,
        "models.toml",
        "groq/openai/gpt-oss-20b",
        Some("groq/openai/gpt-oss-120b"),
        None,
    ));
    assert!(
        edit.text
            .contains("replacement = \"openai/gpt-oss-120b\" }")
    );
}

#[test]
fn deprecate_refusals() {
    let error = refused(deprecate(
        SOURCE,
        "models.toml",
        "openai/gpt-4.1-mini",
        None,
        None,
    ));
    assert_eq!(
        error.to_string(),
        "`openai/gpt-4.1-mini` is the default model of `[providers.openai]`: make another model the default model first"
    );
    let error = refused(deprecate(
        SOURCE,
        "models.toml",
        "openai/gpt-4.1",
        None,
        None,
    ));
    assert_eq!(
        error.to_string(),
        "`openai/gpt-4.1` is the translation default of `[providers.openai]`: make another model the translation default first"
    );
    let error = refused(deprecate(
        SOURCE,
        "models.toml",
        "openai/gpt-4o-mni",
        None,
        None,
    ));
    assert_eq!(
        error,
        EditError::UnknownModel {
            id: "openai/gpt-4o-mni".to_owned(),
            suggestions: vec![
                "openai/gpt-4o-mini".to_owned(),
                "openai/gpt-4.1-mini".to_owned(),
                "openai/gpt-4o".to_owned()
            ],
        }
    );
    assert_eq!(
        error.to_string(),
        "unknown model `openai/gpt-4o-mni`: did you mean `openai/gpt-4o-mini`, `openai/gpt-4.1-mini` or `openai/gpt-4o`?"
    );
    assert_eq!(
        refused(deprecate(
            SOURCE,
            "models.toml",
            "mistral/large",
            None,
            None
        ))
        .to_string(),
        "unknown model `mistral/large`"
    );
    assert_eq!(
        refused(deprecate(SOURCE, "models.toml", "openai/o1", None, None)).to_string(),
        "`openai/o1` is already deleted: it is in `deleted` of `[providers.openai]`"
    );
    assert_eq!(
        refused(deprecate(SOURCE, "models.toml", "gpt-4o", None, None)).to_string(),
        "`gpt-4o` is not a model id: write `provider/name`, e.g. `openai/gpt-4.1`"
    );
    assert_eq!(
        refused(deprecate(
            SOURCE,
            "models.toml",
            "openai/o3",
            Some("groq/openai/gpt-oss-20b"),
            None
        ))
        .to_string(),
        "replacement `groq/openai/gpt-oss-20b` of `openai/o3` is not in `[providers.openai]`: a replacement is a model of the same provider"
    );
    assert_eq!(
        refused(deprecate(
            SOURCE,
            "models.toml",
            "openai/o3",
            Some("gpt-4.2"),
            None
        ))
        .to_string(),
        "replacement `gpt-4.2` of `openai/o3` is not a live model of `[providers.openai]`: did you mean `gpt-4.1` or `gpt-4o`?"
    );
    assert_eq!(
        refused(deprecate(
            SOURCE,
            "models.toml",
            "openai/o3",
            Some("openai/o1"),
            None
        ))
        .to_string(),
        "replacement `openai/o1` of `openai/o3` is not a live model of `[providers.openai]`"
    );
    assert_eq!(
        refused(deprecate(
            SOURCE,
            "models.toml",
            "openai/o3",
            Some("openai/o3"),
            None
        ))
        .to_string(),
        "`openai/o3` cannot be its own replacement: name another model of `[providers.openai]`"
    );
}

#[test]
fn an_edit_whose_result_is_invalid_is_refused_with_its_diagnostics() {
    // gpt-4o-mini names gpt-4o: deprecated without a replacement of its own,
    // that chain would end at a deprecated model.
    let error = refused(deprecate(
        SOURCE,
        "models.toml",
        "openai/gpt-4o",
        None,
        None,
    ));
    let EditError::Invalid {
        origin,
        diagnostics,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(origin, "models.toml");
    let messages: Vec<(usize, &str)> = diagnostics
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect();
    assert_eq!(messages.len(), 1, "{diagnostics}");
    assert_eq!(messages[0].0, 8, "{diagnostics}");
    let rendered = error.to_string();
    assert!(
        rendered.starts_with(
            "the edit would leave models.toml invalid, so it is refused and the file is left unchanged:\nmodels.toml:8:"
        ),
        "{rendered}"
    );
    // A zero token limit, an impossible name.
    let error = refused(add(SOURCE, "models.toml", "openai/gpt-6", 0, false));
    let EditError::Invalid { diagnostics, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect::<Vec<_>>(),
        ["`token_limit` must be between 1 and 4294967295, found 0"]
    );
    let error = refused(add(SOURCE, "models.toml", "openai/gpt 6", 8, false));
    assert!(matches!(error, EditError::Invalid { .. }), "{error}");
    let error = refused(add(SOURCE, "models.toml", "Mistral/large", 8, true));
    assert!(error.to_string().contains("provider key"), "{error}");
}

#[test]
fn an_invalid_file_is_not_edited() {
    let source = SOURCE.replace("token_limit = 200_000", "token_limit = 0");
    let error = refused(deprecate(
        &source,
        "models.toml",
        "openai/gpt-4o",
        None,
        None,
    ));
    let rendered = error.to_string();
    assert!(
        rendered.starts_with("models.toml is not a valid model catalogue, so it is not edited: fix it first\nmodels.toml:10:"),
        "{rendered}"
    );
}

#[test]
fn delete_moves_the_entry_to_deleted_with_its_replacement_and_date() {
    let edit = ok(delete(
        SOURCE,
        "models.toml",
        "openai/gpt-4o-mini",
        None,
        TODAY,
    ));
    assert_eq!(
        edit.diff,
        "models.toml:8 [providers.openai]\n\
         -  { name = \"gpt-4o-mini\",  token_limit = 128_000, deprecated = true, replacement = \"gpt-4o\" },\n\
         models.toml:15 [providers.openai]\n\
         +  { name = \"gpt-4o-mini\", replacement = \"gpt-4o\", deleted_on = 2026-08-14 },\n"
    );
    let catalog = crate::Catalog::parse(&edit.text, "models.toml").unwrap();
    assert!(matches!(
        catalog.lookup("openai/gpt-4o-mini"),
        crate::Lookup::Deleted { .. }
    ));
    // A replacement given wins over the model's own.
    let edit = ok(delete(
        SOURCE,
        "models.toml",
        "openai/gpt-4o-mini",
        Some("gpt-4.1-mini"),
        TODAY,
    ));
    assert!(edit.text.contains(
        "  { name = \"gpt-4o-mini\", replacement = \"gpt-4.1-mini\", deleted_on = 2026-08-14 },\n]"
    ));
}

#[test]
fn delete_keeps_the_comments_around_the_entry() {
    let edit = ok(delete(
        SOURCE,
        "models.toml",
        "openai/o3",
        Some("gpt-4.1"),
        TODAY,
    ));
    let (removed, added) = changed_lines(SOURCE, &edit.text);
    assert_eq!(removed, ["  { name = \"o3\", token_limit = 200_000 },"]);
    assert_eq!(
        added,
        ["  { name = \"o3\", replacement = \"gpt-4.1\", deleted_on = 2026-08-14 },"]
    );
    assert!(
        edit.text.contains("  # reasoning\n]\ndeleted = ["),
        "{}",
        edit.text
    );
    // The end-of-line comment of a deleted line goes with it; the one of the
    // line before stays.
    let source = SOURCE.replace(
        "{ name = \"o3\", token_limit = 200_000 },",
        "{ name = \"o3\", token_limit = 200_000 }, # o3 note",
    );
    let edit = ok(delete(
        &source,
        "models.toml",
        "openai/gpt-4o-mini",
        None,
        TODAY,
    ));
    assert!(
        edit.text
            .contains("token_limit = 128_000 }, # the old one\n  # reasoning\n  { name = \"o3\""),
        "{}",
        edit.text
    );
    let edit = ok(delete(
        &source,
        "models.toml",
        "openai/o3",
        Some("gpt-4.1"),
        TODAY,
    ));
    assert!(!edit.text.contains("o3 note"), "{}", edit.text);
    assert!(
        edit.text
            .contains("replacement = \"gpt-4o\" },\n  # reasoning\n]"),
        "{}",
        edit.text
    );
}

#[test]
fn delete_creates_the_deleted_list() {
    let edit = ok(delete(
        SOURCE,
        "models.toml",
        "groq/openai/gpt-oss-20b",
        None,
        TODAY,
    ));
    assert!(
        edit.text.ends_with(
            "models = [\n  { name = \"openai/gpt-oss-120b\", token_limit = 131_072, default = true },\n]\n\
             deleted = [\n  { name = \"openai/gpt-oss-20b\", deleted_on = 2026-08-14 },\n]\n"
        ),
        "{}",
        edit.text
    );
    assert_eq!(
        edit.diff,
        "models.toml:20 [providers.groq]\n\
         -  { name = \"openai/gpt-oss-20b\", token_limit = 131_072 },\n\
         models.toml:22 [providers.groq]\n\
         +deleted = [\n\
         +  { name = \"openai/gpt-oss-20b\", deleted_on = 2026-08-14 },\n\
         +]\n"
    );
}

#[test]
fn delete_a_one_line_list_keeps_it_on_one_line() {
    let source = "[providers.x]\nmodels = [{ name = \"a\", token_limit = 8, default = true }, { name = \"b\", token_limit = 8 }]\ndeleted = [{ name = \"c\" }]\n";
    let edit = ok(delete(source, "models.toml", "x/b", None, TODAY));
    assert_eq!(
        edit.text,
        "[providers.x]\nmodels = [{ name = \"a\", token_limit = 8, default = true }]\ndeleted = [{ name = \"c\" }, { name = \"b\", deleted_on = 2026-08-14 }]\n"
    );
    let source = "[providers.x]\nmodels = [{ name = \"b\", token_limit = 8 }, { name = \"a\", token_limit = 8, default = true }]\n";
    let edit = ok(delete(source, "models.toml", "x/b", None, TODAY));
    assert!(
        edit.text.starts_with(
            "[providers.x]\nmodels = [{ name = \"a\", token_limit = 8, default = true }]\n"
        ),
        "{}",
        edit.text
    );
}

#[test]
fn delete_refusals() {
    assert_eq!(
        refused(delete(SOURCE, "models.toml", "openai/gpt-4o", None, TODAY)).to_string(),
        "`openai/gpt-4o` cannot be deleted: openai/gpt-4o-mini names it as its replacement: point that replacement elsewhere first"
    );
    let source = SOURCE.replace(
        "  # reasoning\n",
        "  { name = \"gpt-4o-2024\", token_limit = 128_000, deprecated = true, replacement = \"gpt-4o\" },\n",
    );
    assert_eq!(
        refused(delete(
            &source,
            "models.toml",
            "openai/gpt-4o",
            Some("gpt-4.1"),
            TODAY
        ))
        .to_string(),
        "`openai/gpt-4o` cannot be deleted: openai/gpt-4o-mini, openai/gpt-4o-2024 name it as their replacement: point those replacements elsewhere first"
    );
    assert_eq!(
        refused(delete(
            SOURCE,
            "models.toml",
            "openai/gpt-4.1-mini",
            None,
            TODAY
        ))
        .to_string(),
        "`openai/gpt-4.1-mini` is the default model of `[providers.openai]`: make another model the default model first"
    );
    assert_eq!(
        refused(delete(SOURCE, "models.toml", "openai/gpt-4.1", None, TODAY)).to_string(),
        "`openai/gpt-4.1` is the translation default of `[providers.openai]`: make another model the translation default first"
    );
    assert_eq!(
        refused(delete(SOURCE, "models.toml", "openai/o3", None, TODAY)).to_string(),
        "`openai/o3` cannot be deleted without a replacement: the deleted openai/o1 names it as its replacement: give a replacement so its references move on"
    );
    assert_eq!(
        refused(delete(
            SOURCE,
            "models.toml",
            "openai/gpt-4-turbo",
            None,
            TODAY
        ))
        .to_string(),
        "`openai/gpt-4-turbo` is already deleted: it is in `deleted` of `[providers.openai]`"
    );
    assert!(matches!(
        refused(delete(SOURCE, "models.toml", "openai/o4", None, TODAY)),
        EditError::UnknownModel { .. }
    ));
}

#[test]
fn add_appends_with_underscored_thousands() {
    let edit = ok(add(SOURCE, "models.toml", "openai/gpt-5", 400_000, false));
    assert_eq!(
        edit.diff,
        "models.toml:11 [providers.openai]\n+  { name = \"gpt-5\", token_limit = 400_000 },\n"
    );
    let edit = ok(add(
        SOURCE,
        "models.toml",
        "groq/openai/gpt-oss-5b",
        512,
        false,
    ));
    assert!(
        edit.text
            .contains("  { name = \"openai/gpt-oss-5b\", token_limit = 512 },\n]\n")
    );
    let edit = ok(add(
        SOURCE,
        "models.toml",
        "openai/gpt-5",
        4_294_967_295,
        false,
    ));
    assert!(edit.text.contains("token_limit = 4_294_967_295 }"));
}

#[test]
fn add_as_default_moves_the_default() {
    let edit = ok(add(SOURCE, "models.toml", "openai/gpt-5", 1_050_000, true));
    assert_eq!(
        edit.diff,
        "models.toml:6 [providers.openai]\n\
         -  { name = \"gpt-4.1-mini\", token_limit = 1_000_000, default = true },\n\
         +  { name = \"gpt-4.1-mini\", token_limit = 1_000_000 },\n\
         models.toml:11 [providers.openai]\n\
         +  { name = \"gpt-5\", token_limit = 1_050_000, default = true },\n"
    );
    let catalog = crate::Catalog::parse(&edit.text, "models.toml").unwrap();
    assert_eq!(
        catalog
            .provider("openai")
            .unwrap()
            .default_model()
            .unwrap()
            .name,
        "gpt-5"
    );
}

#[test]
fn add_a_new_provider() {
    let edit = ok(add(
        SOURCE,
        "models.toml",
        "mistral/mistral-large",
        128_000,
        true,
    ));
    assert_eq!(
        edit.text,
        format!(
            "{SOURCE}\n[providers.mistral]\nmodels = [\n  {{ name = \"mistral-large\", token_limit = 128_000, default = true }},\n]\n"
        )
    );
    assert_eq!(
        refused(add(
            SOURCE,
            "models.toml",
            "mistral/mistral-large",
            128_000,
            false
        ))
        .to_string(),
        "`mistral` is a new provider: its first model must be its default, so add `mistral/mistral-large` as the default"
    );
}

#[test]
fn add_refusals() {
    assert_eq!(
        refused(add(SOURCE, "models.toml", "openai/gpt-4o", 8, false)).to_string(),
        "`openai/gpt-4o` is already a model of `[providers.openai]`: change its entry instead of adding it again"
    );
    assert_eq!(
        refused(add(SOURCE, "models.toml", "openai/o1", 8, false)).to_string(),
        "`openai/o1` is a deleted model of `[providers.openai]`: if it really comes back, remove its entry from `deleted` first"
    );
    assert_eq!(
        refused(add(SOURCE, "models.toml", "openai", 8, false)).to_string(),
        "`openai` is not a model id: write `provider/name`, e.g. `openai/gpt-4.1`"
    );
}

#[test]
fn set_token_limit_replaces_the_value_in_place() {
    let edit = ok(set_token_limit(
        SOURCE,
        "models.toml",
        "openai/gpt-4o",
        1_048_576,
    ));
    assert_eq!(
        changed_lines(SOURCE, &edit.text).1,
        ["  { name = \"gpt-4o\",       token_limit = 1_048_576 }, # the old one"]
    );
    assert!(
        ok(set_token_limit(
            SOURCE,
            "models.toml",
            "openai/gpt-4o",
            128_000
        ))
        .is_noop()
    );
}

#[test]
fn snapshot_delete_diff() {
    let edit = ok(delete(
        SOURCE,
        "models.toml",
        "openai/o3",
        Some("gpt-4.1"),
        TODAY,
    ));
    insta::assert_snapshot!(edit.diff);
}
