//! The real catalogue at the repository root parses and has the expected shape.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use llm_lifecycle_catalog::{Catalog, Lookup};

fn real() -> Catalog {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models.toml");
    match Catalog::load(&path) {
        Ok(catalog) => catalog,
        Err(error) => panic!("{error}"),
    }
}

#[test]
fn real_catalogue_has_9_providers_90_models_37_deleted() {
    let catalog = real();
    assert_eq!(catalog.providers.len(), 9);
    assert_eq!(catalog.models().count(), 90);
    assert_eq!(catalog.deleted().count(), 37);
    assert_eq!(catalog.models().filter(|(_, m)| m.deprecated).count(), 19);
}

#[test]
fn real_catalogue_lookups() {
    let catalog = real();
    assert!(
        matches!(catalog.lookup("openai/gpt-4.1-nano"), Lookup::Live { model, .. } if model.deprecated)
    );
    assert!(matches!(
        catalog.lookup("groq/openai/gpt-oss-20b"),
        Lookup::Live { .. }
    ));
    assert!(matches!(catalog.lookup("openai/nope"), Lookup::Unknown));
    for provider in catalog.providers.iter() {
        assert!(
            provider.default_model().is_some(),
            "{} has a default",
            provider.key
        );
    }
}
