//! Lookups, replacement chains and variant names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;

use crate::test_util::valid;
use crate::{Catalog, Lookup};

const SOURCE: &str = r#"
[providers.openai]
label = "OpenAI"
models = [
  { name = "gpt-4.1", token_limit = 1_000_000, translation_default = true },
  { name = "gpt-4.1-mini", token_limit = 1_000_000, default = true },
  { name = "gpt-4.1-nano", token_limit = 1_000_000, deprecated = true, replacement = "gpt-4.1-mini", sunset = 2027-01-31 },
  { name = "o1", token_limit = 8, deprecated = true, replacement = "gpt-4.1-nano" },
  { name = "chatgpt-4o-latest", token_limit = 8, deprecated = true },
  { name = "gpt-4o", token_limit = 8, ident = "Omni" },
]
deleted = [
  { name = "gpt-4-turbo", replacement = "o1" },
  { name = "gpt-3", replacement = "gpt-4-turbo" },
  { name = "o1-mini" },
]

[providers.groq]
models = [{ name = "openai/gpt-oss-20b", token_limit = 131_072, default = true }]
"#;

fn catalog() -> Catalog {
    valid(SOURCE)
}

#[test]
fn lookup_tells_live_deleted_and_unknown() {
    let catalog = catalog();
    match catalog.lookup("openai/gpt-4.1-nano") {
        Lookup::Live { provider, model } => {
            assert_eq!(provider.key, "openai");
            assert!(model.deprecated);
            assert_eq!(model.sunset.unwrap().to_string(), "2027-01-31");
        }
        other => panic!("{other:?}"),
    }
    match catalog.lookup("openai/o1-mini") {
        Lookup::Deleted { provider, entry } => {
            assert_eq!(
                (&*provider.key, &*entry.name, entry.replacement.as_deref()),
                ("openai", "o1-mini", None)
            );
        }
        other => panic!("{other:?}"),
    }
    match catalog.lookup("groq/openai/gpt-oss-20b") {
        Lookup::Live { model, .. } => assert_eq!(model.token_limit, 131_072),
        other => panic!("{other:?}"),
    }
    for unknown in [
        "openai/gpt-5",
        "mistral/x",
        "openai",
        "",
        "/gpt-4.1",
        "OpenAI/gpt-4.1",
    ] {
        assert_eq!(catalog.lookup(unknown), Lookup::Unknown, "{unknown}");
    }
}

#[test]
fn chain_end_follows_live_and_deleted_links() {
    let catalog = catalog();
    let end = |name: &str| {
        catalog
            .chain_end("openai", name)
            .map(|m| m.name.to_string())
    };
    assert_eq!(end("gpt-4.1-nano").as_deref(), Some("gpt-4.1-mini"));
    assert_eq!(end("o1").as_deref(), Some("gpt-4.1-mini"));
    assert_eq!(end("gpt-4-turbo").as_deref(), Some("gpt-4.1-mini"));
    assert_eq!(end("gpt-3").as_deref(), Some("gpt-4.1-mini"));
    assert_eq!(end("o1-mini"), None);
    assert_eq!(end("chatgpt-4o-latest"), None);
    assert_eq!(end("gpt-4.1"), None);
    assert_eq!(end("nope"), None);
    assert_eq!(catalog.chain_end("nope", "gpt-3"), None);
}

#[test]
fn chain_end_survives_hand_built_cycles() {
    let mut catalog = catalog();
    let mut providers = catalog.providers.to_vec();
    let mut models = providers[0].models.to_vec();
    models[1].deprecated = true;
    models[1].replacement = Some(Cow::Borrowed("o1"));
    providers[0].models = Cow::Owned(models);
    catalog.providers = Cow::Owned(providers);
    assert_eq!(catalog.chain_end("openai", "o1"), None);
    assert_eq!(catalog.chain_end("openai", "gpt-3"), None);
}

#[test]
fn defaults_and_labels() {
    let catalog = catalog();
    let openai = catalog.provider("openai").unwrap();
    assert_eq!(openai.label, "OpenAI");
    assert_eq!(openai.default_model().unwrap().name, "gpt-4.1-mini");
    assert_eq!(openai.translation_default().unwrap().name, "gpt-4.1");
    let groq = catalog.provider("groq").unwrap();
    assert_eq!(groq.label, "groq");
    assert_eq!(groq.translation_default(), None);
    assert!(catalog.provider("mistral").is_none());
}

#[test]
fn iterators_keep_declaration_order() {
    let catalog = catalog();
    let ids: Vec<String> = catalog.model_ids().collect();
    assert_eq!(
        ids,
        [
            "openai/gpt-4.1",
            "openai/gpt-4.1-mini",
            "openai/gpt-4.1-nano",
            "openai/o1",
            "openai/chatgpt-4o-latest",
            "openai/gpt-4o",
            "groq/openai/gpt-oss-20b"
        ]
    );
    let deleted: Vec<(&str, &str)> = catalog
        .deleted()
        .map(|(p, d)| (&*p.key, &*d.name))
        .collect();
    assert_eq!(
        deleted,
        [
            ("openai", "gpt-4-turbo"),
            ("openai", "gpt-3"),
            ("openai", "o1-mini")
        ]
    );
}

#[test]
fn variant_names_honour_ident() {
    let catalog = catalog();
    let names: Vec<String> = catalog
        .models()
        .map(|(p, m)| catalog.variant_name(p, m))
        .collect();
    assert_eq!(
        names,
        [
            "OpenaiGpt4_1",
            "OpenaiGpt4_1Mini",
            "OpenaiGpt4_1Nano",
            "OpenaiO1",
            "OpenaiChatgpt4oLatest",
            "Omni",
            "GroqOpenaiGptOss20b"
        ]
    );
    let providers: Vec<String> = catalog.providers.iter().map(|p| p.variant_name()).collect();
    assert_eq!(providers, ["Openai", "Groq"]);
}

#[test]
fn the_index_agrees_with_the_scanning_lookups() {
    let real = Catalog::parse(include_str!("../../../models.toml"), "models.toml").unwrap();
    for catalog in [catalog(), real] {
        let index = catalog.index();
        let mut ids: Vec<(String, String)> = Vec::new();
        ids.extend(
            catalog
                .models()
                .map(|(p, m)| (p.key.to_string(), m.name.to_string())),
        );
        ids.extend(
            catalog
                .deleted()
                .map(|(p, d)| (p.key.to_string(), d.name.to_string())),
        );
        ids.push(("openai".to_owned(), "nope".to_owned()));
        ids.push(("nope".to_owned(), "gpt-4.1".to_owned()));
        for (provider, name) in &ids {
            let id = format!("{provider}/{name}");
            assert_eq!(index.lookup(&id), catalog.lookup(&id), "{id}");
            assert_eq!(
                index.chain_end(provider, name),
                catalog.chain_end(provider, name),
                "{id}"
            );
        }
        for (position, (provider, model)) in catalog.models().enumerate() {
            assert_eq!(index.position(&provider.key, &model.name), Some(position));
        }
        for (provider, entry) in catalog.deleted() {
            assert_eq!(index.position(&provider.key, &entry.name), None);
        }
        assert_eq!(index.lookup("no-slash"), Lookup::Unknown);
        assert!(std::ptr::eq(index.catalog(), &catalog));
        assert_eq!(
            index.provider("openai").map(|p| &*p.key),
            catalog.provider("openai").map(|p| &*p.key)
        );
    }
}
