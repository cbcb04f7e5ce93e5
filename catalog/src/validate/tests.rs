//! Cross-entry rules, each with its exact message, position and hint.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::test_util::{OPENAI, assert_single, errors, valid};

/// `[providers.KEY]` with one model per line, starting at line 3, and the
/// deleted entries one per line after `deleted = [`.
fn provider(key: &str, models: &[&str], deleted: &[&str]) -> String {
    let mut out = format!("[providers.{key}]\nmodels = [\n");
    for model in models {
        out.push_str(&format!("  {model},\n"));
    }
    out.push_str("]\n");
    if !deleted.is_empty() {
        out.push_str("deleted = [\n");
        for entry in deleted {
            out.push_str(&format!("  {entry},\n"));
        }
        out.push_str("]\n");
    }
    out
}

const DEFAULT: &str = "{ name = \"main\", token_limit = 8, default = true }";

#[test]
fn duplicate_live_models_point_at_the_second() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"a\", token_limit = 8 }",
            "{ name = \"a\", token_limit = 9 }",
        ],
        &[],
    );
    assert_single(
        &source,
        5,
        12,
        "duplicate model `a` in provider `p`: first declared at line 4",
        Some("remove one of the two entries"),
    );
}

#[test]
fn a_name_cannot_be_both_live_and_deleted() {
    let source = provider(
        "p",
        &[DEFAULT, "{ name = \"a\", token_limit = 8 }"],
        &["{ name = \"a\" }"],
    );
    assert_single(
        &source,
        7,
        12,
        "duplicate model `a` in provider `p`: first declared at line 4",
        Some(
            "a model is either live (in `models`) or deleted (in `deleted`): remove one of the two entries",
        ),
    );
    let source = provider("p", &[DEFAULT], &["{ name = \"a\" }", "{ name = \"a\" }"]);
    assert_single(
        &source,
        7,
        12,
        "duplicate model `a` in provider `p`: first declared at line 6",
        Some("remove one of the two entries"),
    );
}

#[test]
fn the_same_name_in_two_providers_is_fine() {
    let catalog = valid(&format!(
        "{}{}",
        provider("p", &[DEFAULT], &[]),
        provider("q", &[DEFAULT], &[])
    ));
    assert_eq!(catalog.models().count(), 2);
}

#[test]
fn a_replacement_must_exist_in_the_provider() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"old\", token_limit = 8, deprecated = true, replacement = \"mian\" }",
        ],
        &[],
    );
    assert_single(
        &source,
        4,
        69,
        "replacement `mian` of `p/old` is not a model of provider `p`",
        Some("did you mean `main`?"),
    );
    let source = provider(
        "p",
        &[DEFAULT],
        &["{ name = \"gone\", replacement = \"zzzzzz\" }"],
    );
    assert_single(
        &source,
        6,
        34,
        "replacement `zzzzzz` of `p/gone` is not a model of provider `p`",
        Some("name a model declared in `[providers.p]`, or add `zzzzzz` there"),
    );
}

#[test]
fn a_missing_replacement_never_suggests_the_entry_itself() {
    // `mainn` is one edit from the entry's own name `main2` and from `main`:
    // only `main` may be suggested.
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"main2\", token_limit = 8, deprecated = true, replacement = \"mainn\" }",
        ],
        &[],
    );
    assert_single(
        &source,
        4,
        71,
        "replacement `mainn` of `p/main2` is not a model of provider `p`",
        Some("did you mean `main`?"),
    );
}

#[test]
fn a_replacement_in_another_provider_is_explained() {
    let source = format!(
        "{OPENAI}{}",
        provider(
            "azure",
            &[
                DEFAULT,
                "{ name = \"old\", token_limit = 8, deprecated = true, replacement = \"gpt-4.1\" }"
            ],
            &[]
        )
    );
    assert_single(
        &source,
        9,
        69,
        "replacement `gpt-4.1` of `azure/old` is not a model of provider `azure`",
        Some(
            "`gpt-4.1` is a model of provider `openai`; a replacement must be a model of the same provider (`azure`)",
        ),
    );
}

#[test]
fn a_model_cannot_replace_itself() {
    let source = provider(
        "p",
        &[DEFAULT],
        &["{ name = \"gone\", replacement = \"gone\" }"],
    );
    assert_single(
        &source,
        6,
        34,
        "`p/gone` cannot be its own replacement",
        Some("point `replacement` at another model of `p`, or remove it"),
    );
}

#[test]
fn only_deprecated_models_have_a_replacement() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"b\", token_limit = 8, replacement = \"main\" }",
        ],
        &[],
    );
    assert_single(
        &source,
        4,
        48,
        "`p/b` has a `replacement` but is not deprecated",
        Some("add `deprecated = true`, or remove `replacement`"),
    );
}

#[test]
fn a_chain_through_a_deleted_entry_with_a_replacement_is_fine() {
    let catalog = valid(&provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"a\", token_limit = 8, deprecated = true, replacement = \"b\" }",
        ],
        &[
            "{ name = \"b\", replacement = \"c\" }",
            "{ name = \"c\", replacement = \"main\" }",
        ],
    ));
    assert_eq!(catalog.chain_end("p", "a").map(|m| &*m.name), Some("main"));
}

#[test]
fn a_chain_cannot_end_at_a_deleted_entry_without_replacement() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"a\", token_limit = 8, deprecated = true, replacement = \"b\" }",
        ],
        &["{ name = \"b\" }"],
    );
    assert_single(
        &source,
        4,
        67,
        "the replacement chain of `p/a` dead-ends at `b`, which is deleted and has no replacement",
        Some(
            "point `replacement` at a live model that is not deprecated, or give `b` a replacement",
        ),
    );
}

#[test]
fn a_chain_cannot_end_at_a_deprecated_model_without_replacement() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"a\", token_limit = 8, deprecated = true }",
            "{ name = \"b\", token_limit = 8, deprecated = true, replacement = \"a\" }",
        ],
        &["{ name = \"c\", replacement = \"b\" }"],
    );
    assert_eq!(
        errors(&source),
        vec![
            (
                5,
                67,
                "the replacement chain of `p/b` dead-ends at `a`, which is deprecated and has no replacement"
                    .to_owned()
            ),
            (
                8,
                31,
                "the replacement chain of `p/c` dead-ends at `a`, which is deprecated and has no replacement (`c` → `b` → `a`)"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn a_deprecated_model_without_replacement_is_fine() {
    let catalog = valid(&provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"a\", token_limit = 8, deprecated = true }",
        ],
        &["{ name = \"gone\" }"],
    ));
    assert_eq!(catalog.chain_end("p", "a"), None);
    assert_eq!(catalog.chain_end("p", "gone"), None);
}

#[test]
fn a_cycle_is_reported_once_and_named() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"a\", token_limit = 8, deprecated = true, replacement = \"b\" }",
            "{ name = \"b\", token_limit = 8, deprecated = true, replacement = \"c\" }",
        ],
        &[
            "{ name = \"c\", replacement = \"a\" }",
            "{ name = \"d\", replacement = \"b\" }",
        ],
    );
    let diagnostic = assert_single(
        &source,
        4,
        67,
        "replacement cycle in provider `p`: `a` → `b` → `c` → `a`",
        Some("end the chain at a live model that is not deprecated"),
    );
    assert_eq!(
        diagnostic.headline(),
        "models.toml:4:67: replacement cycle in provider `p`: `a` → `b` → `c` → `a`"
    );
}

#[test]
fn a_provider_has_exactly_one_default() {
    let source = provider("p", &["{ name = \"a\", token_limit = 8 }"], &[]);
    assert_single(
        &source,
        1,
        12,
        "provider `p` has no default model",
        Some("mark one of its models with `default = true`"),
    );
    let source = "[providers.p]\nmodels = []\n";
    assert_single(
        source,
        1,
        12,
        "provider `p` has no default model",
        Some("a provider needs at least one live model, marked `default = true`"),
    );
    let source = provider(
        "p",
        &[DEFAULT, "{ name = \"b\", token_limit = 8, default = true }"],
        &[],
    );
    assert_single(
        &source,
        4,
        44,
        "provider `p` has more than one `default`: `main` (line 3) and `b`",
        Some("keep `default = true` on one model only"),
    );
}

#[test]
fn at_most_one_translation_default() {
    let source = provider(
        "p",
        &[
            "{ name = \"main\", token_limit = 8, default = true, translation_default = true }",
            "{ name = \"b\", token_limit = 8, translation_default = true }",
        ],
        &[],
    );
    assert_single(
        &source,
        4,
        56,
        "provider `p` has more than one `translation_default`: `main` (line 3) and `b`",
        Some("keep `translation_default = true` on one model only"),
    );
}

#[test]
fn defaults_cannot_be_deprecated() {
    let source = provider(
        "p",
        &[
            "{ name = \"main\", token_limit = 8, default = true, deprecated = true }",
            "{ name = \"b\", token_limit = 8, translation_default = true, deprecated = true }",
        ],
        &[],
    );
    assert_eq!(
        errors(&source),
        vec![
            (
                3,
                47,
                "`p/main` is deprecated and cannot be the `default`".to_owned()
            ),
            (
                4,
                56,
                "`p/b` is deprecated and cannot be the `translation_default`".to_owned()
            ),
        ]
    );
}

#[test]
fn sunset_only_on_deprecated_models() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"b\", token_limit = 8, sunset = 2027-01-31 }",
        ],
        &[],
    );
    assert_single(
        &source,
        4,
        43,
        "`p/b` has a `sunset` but is not deprecated",
        Some("add `deprecated = true`, or remove `sunset`"),
    );
}

#[test]
fn colliding_model_variants_suggest_ident() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"gpt-4.1\", token_limit = 8 }",
            "{ name = \"gpt-4-1\", token_limit = 8 }",
        ],
        &[],
    );
    assert_single(
        &source,
        5,
        12,
        "models `p/gpt-4.1` and `p/gpt-4-1` both become the enum variant `PGpt4_1`",
        Some(
            "give one of them an `ident = \"...\"` naming its variant, e.g. `ident = \"PGpt4_1Alt\"`",
        ),
    );
    let fixed = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"gpt-4.1\", token_limit = 8 }",
            "{ name = \"gpt-4-1\", token_limit = 8, ident = \"PGpt4Dash1\" }",
        ],
        &[],
    );
    let catalog = valid(&fixed);
    let provider = &catalog.providers[0];
    assert_eq!(
        catalog.variant_name(provider, &provider.models[2]),
        "PGpt4Dash1"
    );
}

#[test]
fn colliding_variants_across_providers_and_with_ident() {
    let source = format!(
        "{}{}",
        provider("a", &[DEFAULT, "{ name = \"b-c\", token_limit = 8 }"], &[]),
        provider(
            "a-b",
            &["{ name = \"c\", token_limit = 8, default = true }"],
            &[]
        ),
    );
    assert_single(
        &source,
        8,
        12,
        "models `a/b-c` and `a-b/c` both become the enum variant `ABC`",
        Some("give one of them an `ident = \"...\"` naming its variant, e.g. `ident = \"ABCAlt\"`"),
    );
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"x\", token_limit = 8, ident = \"PMain\" }",
        ],
        &[],
    );
    assert_single(
        &source,
        4,
        42,
        "models `p/main` and `p/x` both become the enum variant `PMain`",
        Some(
            "give one of them an `ident = \"...\"` naming its variant, e.g. `ident = \"PMainAlt\"`",
        ),
    );
}

#[test]
fn colliding_provider_variants_are_reported() {
    let source = format!(
        "{}{}",
        provider("a-b", &[DEFAULT], &[]),
        provider(
            "a_b",
            &["{ name = \"other\", token_limit = 8, default = true }"],
            &[]
        )
    );
    assert_single(
        &source,
        5,
        12,
        "providers `a-b` and `a_b` both become the enum variant `AB`",
        Some("rename one of the two providers"),
    );
    let source = provider("self", &[DEFAULT], &[]);
    assert_single(
        &source,
        1,
        12,
        "provider `self` would become the enum variant `Self`, a Rust keyword",
        Some("rename the provider"),
    );
}

#[test]
fn an_unreadable_flag_does_not_cascade() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"a\", token_limit = 8, deprecated = \"yes\", replacement = \"main\", sunset = 2027-01-01 }",
        ],
        &[],
    );
    assert_single(
        &source,
        4,
        47,
        "`deprecated` must be `true` or `false`, found a string",
        None,
    );
    let source = provider(
        "p",
        &["{ name = \"main\", token_limit = 8, default = 1 }"],
        &[],
    );
    assert_single(
        &source,
        3,
        47,
        "`default` must be `true` or `false`, found an integer",
        None,
    );
}

#[test]
fn a_broken_link_is_reported_once_at_its_own_entry() {
    let source = provider(
        "p",
        &[
            DEFAULT,
            "{ name = \"a\", token_limit = 8, deprecated = true, replacement = \"b\" }",
        ],
        &["{ name = \"b\", replacement = \"nowhere\" }"],
    );
    assert_eq!(
        errors(&source),
        vec![(
            7,
            31,
            "replacement `nowhere` of `p/b` is not a model of provider `p`".to_owned()
        )]
    );
}
