//! Enum variant names: no two providers, and no two live models anywhere in the
//! catalogue, may become the same variant.

use std::collections::HashMap;
use std::ops::Range;

use crate::naming;
use crate::parse::raw::RawCatalog;
use crate::parse::reader::Reader;

/// Reports colliding or unusable `Provider` and `LlmModel` variant names.
pub(super) fn check(catalog: &RawCatalog, reader: &mut Reader<'_>) {
    let mut providers: HashMap<String, &str> = HashMap::new();
    for provider in &catalog.providers {
        let key = provider.key.value.as_str();
        let variant = naming::provider_variant(key);
        if !naming::is_valid_ident(&variant) {
            reader.error_with_help(
                provider.key.span.clone(),
                format!(
                    "provider `{key}` would become the enum variant `{variant}`, a Rust keyword"
                ),
                Some("rename the provider".to_owned()),
            );
        } else if let Some(first) = providers.get(&variant) {
            reader.error_with_help(
                provider.key.span.clone(),
                format!("providers `{first}` and `{key}` both become the enum variant `{variant}`"),
                Some("rename one of the two providers".to_owned()),
            );
        } else {
            providers.insert(variant, key);
        }
    }

    let mut models: HashMap<String, String> = HashMap::new();
    for provider in &catalog.providers {
        let key = provider.key.value.as_str();
        for model in &provider.models {
            let id = naming::model_id(key, &model.name.value);
            let (variant, span): (String, Range<usize>) = match &model.ident {
                Some(ident) if naming::is_valid_ident(&ident.value) => {
                    (ident.value.clone(), ident.span.clone())
                }
                // An invalid `ident` was reported when it was read.
                Some(_) => continue,
                None => (
                    naming::model_variant(key, &model.name.value),
                    model.name.span.clone(),
                ),
            };
            if !naming::is_valid_ident(&variant) {
                reader.error_with_help(
                    span,
                    format!("`{id}` would become the enum variant `{variant}`, a Rust keyword"),
                    Some("give it an `ident = \"...\"` naming its variant".to_owned()),
                );
            } else if let Some(first) = models.get(&variant) {
                if *first == id {
                    // The same name twice in one provider: reported as a duplicate.
                    continue;
                }
                reader.error_with_help(
                    span,
                    format!("models `{first}` and `{id}` both become the enum variant `{variant}`"),
                    Some(format!(
                        "give one of them an `ident = \"...\"` naming its variant, e.g. \
                         `ident = \"{variant}Alt\"`"
                    )),
                );
            } else {
                models.insert(variant, id);
            }
        }
    }
}
