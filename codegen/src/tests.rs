//! Unit tests of the code generator, with an insta snapshot of the code generated
//! for a small catalogue.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow::Borrowed as B;

use llm_lifecycle_catalog::{
    ApplySettings, Catalog, DeletedModel, Model, NotificationSettings, Provider,
};

use crate::{Options, expand_source};

fn model(name: &'static str, token_limit: u32) -> Model {
    Model {
        name: B(name),
        token_limit,
        default: false,
        translation_default: false,
        deprecated: false,
        replacement: None,
        sunset: None,
        ident: None,
    }
}

/// A small catalogue with every feature: a deprecated model with replacement and
/// sunset, one without replacement, deleted entries with and without replacement,
/// a model name holding `/`, an `ident` override and a reference.
const SMALL: &str = r#"
[providers.openai]
label = "OpenAI"
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, translation_default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-nano", token_limit = 1_000_000, deprecated = true, replacement = "gpt-4.1-mini", sunset = 2027-01-31 },
]
deleted = [
  { name = "gpt-4-turbo", replacement = "gpt-4.1", deleted_on = 2026-03-04 },
  { name = "o1-mini" },
]

[providers.groq]
models = [
  { name = "openai/gpt-oss-20b", token_limit = 131_072, default = true, ident = "GroqOss" },
  { name = "gemma-7b-it", token_limit = 8_192, deprecated = true },
]

[[references]]
table = "assistants"
column = "llm_provider_model_id"
resource = "assistant"
team_column = "team_id"
name_column = "name"
"#;

fn small() -> Catalog {
    Catalog::parse(SMALL, "models.toml").unwrap()
}

/// A one-provider catalogue built by hand, bypassing validation.
fn unvalidated(models: Vec<Model>) -> Catalog {
    Catalog {
        providers: vec![Provider {
            key: B("openai"),
            label: B("OpenAI"),
            models: models.into(),
            deleted: Vec::<DeletedModel>::new().into(),
        }]
        .into(),
        references: B(&[]),
        notifications: NotificationSettings::default(),
        model_table: None,
        apply: ApplySettings::default(),
    }
}

const OPTIONS: Options<'static> = Options {
    origin: "models.toml",
    absolute_path: "/abs/models.toml",
};

fn pretty(source: &str) -> String {
    let file: syn::File = syn::parse_str(source).expect("the generated code parses as a Rust file");
    prettyplease::unparse(&file)
}

#[test]
fn generated_code_for_a_small_catalogue() {
    let source = expand_source(&small(), &OPTIONS).unwrap();
    insta::assert_snapshot!(pretty(&source));
}

/// The `CATALOG` static, whitespace removed.
fn catalog_static(source: &str) -> String {
    let squeezed: String = source.split_whitespace().collect();
    let start = squeezed.find("pubstaticCATALOG").expect("a CATALOG static");
    let end = start + squeezed[start..].find(");").expect("the end of CATALOG") + 2;
    squeezed[start..end].to_owned()
}

#[test]
fn apply_settings_reach_the_static_catalogue() {
    let support = "__llm_lifecycle_crate::__private::catalog::generated_support";
    // Without `[apply]`: the constructors of old, the snapshot's code.
    let plain = catalog_static(&expand_source(&small(), &OPTIONS).unwrap());
    assert!(plain.contains(&format!("{support}::catalog(")), "{plain}");
    assert!(!plain.contains("::apply("), "{plain}");

    let batched = Catalog::parse(
        &format!("{SMALL}\n[apply]\nbatch_size = 500\n"),
        "models.toml",
    )
    .unwrap();
    let code = catalog_static(&expand_source(&batched, &OPTIONS).unwrap());
    assert!(code.contains(&format!("{support}::catalog_v2(")), "{code}");
    assert!(
        code.ends_with(&format!(
            ",::core::option::Option::None,{support}::apply(500u64));"
        )),
        "{code}"
    );

    let tabled = Catalog::parse(
        &format!("{SMALL}\n[model_table]\ntable = \"models\"\n\n[apply]\nbatch_size = 2\n"),
        "models.toml",
    )
    .unwrap();
    let code = catalog_static(&expand_source(&tabled, &OPTIONS).unwrap());
    assert!(
        code.contains(&format!(
            ",::core::option::Option::Some({support}::model_table(\"models\","
        )),
        "{code}"
    );
    assert!(
        code.ends_with(&format!(",{support}::apply(2u64));")),
        "{code}"
    );
}

#[test]
fn deprecation_notes_name_the_replacement_and_sunset() {
    let source = expand_source(&small(), &OPTIONS).unwrap();
    assert!(source.contains(
        r#"#[deprecated(note = "openai/gpt-4.1-nano is deprecated: use openai/gpt-4.1-mini (sunset 2027-01-31)")]"#
    ));
    assert!(
        source.contains(
            r#"#[deprecated(note = "groq/gemma-7b-it is deprecated and will be removed")]"#
        )
    );
}

#[test]
fn a_provider_without_default_is_refused() {
    let error = expand_source(&unvalidated(vec![model("x", 1)]), &OPTIONS).unwrap_err();
    assert!(error.0.contains("no default model"), "{error}");
}

#[test]
fn colliding_variant_names_are_refused() {
    let mut first = model("gpt-4.1", 1);
    first.default = true;
    let error =
        expand_source(&unvalidated(vec![first, model("gpt-4-1", 1)]), &OPTIONS).unwrap_err();
    assert!(
        error.0.contains("both give the variant `OpenaiGpt4_1`"),
        "{error}"
    );
}

#[test]
fn invalid_idents_are_refused() {
    let mut first = model("gpt-4.1", 1);
    first.default = true;
    first.ident = Some(B("not an ident"));
    let error = expand_source(&unvalidated(vec![first]), &OPTIONS).unwrap_err();
    assert!(error.0.contains("not a Rust identifier"), "{error}");
}

#[test]
fn a_replacement_through_a_deleted_entry_gives_the_chain_end() {
    // gpt-4.1-nano → gpt-4-turbo (deleted) → gpt-4.1: the deleted entry has no
    // variant, so the generated replacement of gpt-4.1-nano is gpt-4.1.
    let source = r#"
[providers.openai]
models = [
  { name = "gpt-4.1", token_limit = 1, default = true },
  { name = "gpt-4.1-nano", token_limit = 1, deprecated = true, replacement = "gpt-4-turbo" },
]
deleted = [{ name = "gpt-4-turbo", replacement = "gpt-4.1" }]
"#;
    let catalog = match Catalog::parse(source, "models.toml") {
        Ok(catalog) => catalog,
        Err(diagnostics) => panic!("a replacement may name a deleted entry:\n{diagnostics}"),
    };
    assert_eq!(
        catalog
            .chain_end("openai", "gpt-4.1-nano")
            .map(|m| &*m.name),
        Some("gpt-4.1")
    );
    let source = expand_source(&catalog, &OPTIONS).unwrap();
    // Variant 1 (gpt-4.1-nano) is replaced by variant 0 (gpt-4.1); gpt-4.1 by none.
    assert!(
        source.contains("static REPLACEMENT: [::core::primitive::u16; 2] = [NONE,0,];"),
        "{source}"
    );
    assert!(
        source.contains("openai/gpt-4.1-nano is deprecated: use openai/gpt-4.1\""),
        "{source}"
    );
}

/// Every `const` and `static` of the expansion, nested modules and impls
/// included, as `(name, initializer tokens)`.
fn constants(items: &[syn::Item], out: &mut Vec<(String, String)>) {
    use quote::ToTokens as _;
    for item in items {
        match item {
            syn::Item::Const(item) => {
                out.push((
                    item.ident.to_string(),
                    item.expr.to_token_stream().to_string(),
                ));
            }
            syn::Item::Static(item) => {
                out.push((
                    item.ident.to_string(),
                    item.expr.to_token_stream().to_string(),
                ));
            }
            syn::Item::Mod(item) => {
                if let Some((_, items)) = &item.content {
                    constants(items, out);
                }
            }
            syn::Item::Impl(item) => {
                for impl_item in &item.items {
                    if let syn::ImplItem::Const(constant) = impl_item {
                        out.push((
                            constant.ident.to_string(),
                            constant.expr.to_token_stream().to_string(),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

/// rustc checks a constant holding N enum values in time quadratic in N: no
/// `const` or `static` of the expansion may hold `LlmModel` variants (the
/// variants live in function results only; `LlmModel::all()` is built at run time).
#[test]
fn no_constant_holds_model_variants() {
    let source = expand_source(&small(), &OPTIONS).unwrap();
    let file: syn::File = syn::parse_str(&source).unwrap();
    let mut found = Vec::new();
    constants(&file.items, &mut found);
    assert!(
        found.iter().any(|(name, _)| name == "ALL"),
        "Provider::ALL is found: {found:?}"
    );
    let holding: Vec<&String> = found
        .iter()
        .filter(|(_, expr)| expr.contains("LlmModel ::") || expr.contains("all ()"))
        .map(|(name, _)| name)
        .collect();
    assert!(
        holding.is_empty(),
        "constants holding model variants: {holding:?}"
    );
}
