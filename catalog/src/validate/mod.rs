//! Cross-entry rules over a read catalogue: duplicates, defaults, sunsets,
//! replacement chains, enum variant collisions and duplicate references.

use std::collections::HashMap;

use crate::parse::raw::{At, RawCatalog, RawDeleted, RawModel, RawProvider};
use crate::parse::reader::Reader;

mod replacements;
mod variants;

/// A live or deleted entry of one provider, as replacements resolve names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entry<'a> {
    Live(&'a RawModel),
    Deleted(&'a RawDeleted),
}

impl<'a> Entry<'a> {
    pub(crate) fn name(&self) -> &'a At<String> {
        match self {
            Entry::Live(model) => &model.name,
            Entry::Deleted(entry) => &entry.name,
        }
    }

    pub(crate) fn replacement(&self) -> Option<&'a At<String>> {
        match self {
            Entry::Live(model) => model.replacement.as_ref(),
            Entry::Deleted(entry) => entry.replacement.as_ref(),
        }
    }
}

/// The entries of one provider by name; the first declaration wins.
pub(crate) struct ProviderIndex<'a> {
    pub(crate) provider: &'a RawProvider,
    pub(crate) entries: HashMap<&'a str, Entry<'a>>,
}

impl<'a> ProviderIndex<'a> {
    /// Indexes `provider`, reporting every name declared twice.
    fn build(provider: &'a RawProvider, reader: &mut Reader<'_>) -> Self {
        let mut all: Vec<Entry<'a>> = provider.models.iter().map(Entry::Live).collect();
        all.extend(provider.deleted.iter().map(Entry::Deleted));
        all.sort_by_key(|entry| entry.name().span.start);
        let mut entries: HashMap<&'a str, Entry<'a>> = HashMap::new();
        for entry in all {
            let name = entry.name();
            if let Some(first) = entries.get(name.value.as_str()) {
                let first_line = reader.map.line_of(first.name().span.start);
                let help = match (first, entry) {
                    (Entry::Live(_), Entry::Live(_)) | (Entry::Deleted(_), Entry::Deleted(_)) => {
                        "remove one of the two entries"
                    }
                    _ => {
                        "a model is either live (in `models`) or deleted (in `deleted`): remove \
                         one of the two entries"
                    }
                };
                reader.error_with_help(
                    name.span.clone(),
                    format!(
                        "duplicate model `{}` in provider `{}`: first declared at line {first_line}",
                        name.value, provider.key.value
                    ),
                    Some(help.to_owned()),
                );
            } else {
                entries.insert(name.value.as_str(), entry);
            }
        }
        Self { provider, entries }
    }

    pub(crate) fn get(&self, name: &str) -> Option<Entry<'a>> {
        self.entries.get(name).copied()
    }
}

/// Runs every cross-entry rule, recording an error for each violation.
pub(crate) fn check(catalog: &RawCatalog, reader: &mut Reader<'_>) {
    let indexes: Vec<ProviderIndex<'_>> = catalog
        .providers
        .iter()
        .map(|provider| ProviderIndex::build(provider, reader))
        .collect();
    for index in &indexes {
        check_flags(index.provider, reader);
        replacements::check(index, &indexes, reader);
    }
    variants::check(catalog, reader);
    check_duplicate_references(catalog, reader);
}

/// Defaults, translation defaults and sunsets of one provider.
fn check_flags(provider: &RawProvider, reader: &mut Reader<'_>) {
    let key = &provider.key.value;
    let defaults: Vec<&RawModel> = provider.models.iter().filter(|m| m.is_default()).collect();
    if defaults.is_empty() && !provider.incomplete {
        let help = if provider.models.is_empty() {
            "a provider needs at least one live model, marked `default = true`".to_owned()
        } else {
            "mark one of its models with `default = true`".to_owned()
        };
        reader.error_with_help(
            provider.key.span.clone(),
            format!("provider `{key}` has no default model"),
            Some(help),
        );
    }
    for (label, chosen) in [
        ("default", defaults),
        (
            "translation_default",
            provider
                .models
                .iter()
                .filter(|m| m.is_translation_default())
                .collect(),
        ),
    ] {
        let Some((first, rest)) = chosen.split_first() else {
            continue;
        };
        for extra in rest {
            let flag = flag_span(extra, label);
            reader.error_with_help(
                flag,
                format!(
                    "provider `{key}` has more than one `{label}`: `{}` (line {}) and `{}`",
                    first.name.value,
                    reader.map.line_of(first.name.span.start),
                    extra.name.value
                ),
                Some(format!("keep `{label} = true` on one model only")),
            );
        }
        for model in &chosen {
            if model.is_deprecated() {
                reader.error_with_help(
                    flag_span(model, label),
                    format!(
                        "`{key}/{}` is deprecated and cannot be the `{label}`",
                        model.name.value
                    ),
                    Some(format!(
                        "move `{label} = true` to a model that is not deprecated"
                    )),
                );
            }
        }
    }
    for model in &provider.models {
        if let Some(sunset) = &model.sunset
            && !model.is_deprecated()
            && !model.tainted
        {
            reader.error_with_help(
                sunset.span.clone(),
                format!(
                    "`{key}/{}` has a `sunset` but is not deprecated",
                    model.name.value
                ),
                Some("add `deprecated = true`, or remove `sunset`".to_owned()),
            );
        }
    }
}

fn flag_span(model: &RawModel, label: &str) -> std::ops::Range<usize> {
    let flag = if label == "default" {
        &model.default
    } else {
        &model.translation_default
    };
    flag.as_ref()
        .map_or(model.name.span.clone(), |at| at.span.clone())
}

/// Two `[[references]]` entries for the same `(table, column, key)`.
fn check_duplicate_references(catalog: &RawCatalog, reader: &mut Reader<'_>) {
    let mut seen: HashMap<(&str, &str, Option<&str>), usize> = HashMap::new();
    for raw in &catalog.references {
        let reference = &raw.reference;
        let identity = (
            &*reference.table,
            &*reference.column,
            reference.key.as_deref(),
        );
        if let Some(first) = seen.get(&identity) {
            let what = match &reference.key {
                Some(key) => format!("`{}.{}` key `{key}`", reference.table, reference.column),
                None => format!("`{}.{}`", reference.table, reference.column),
            };
            reader.error_with_help(
                raw.span.clone(),
                format!("duplicate reference {what}: first declared at line {first}"),
                Some("remove one of the two `[[references]]` entries".to_owned()),
            );
        } else {
            seen.insert(identity, reader.map.line_of(raw.span.start));
        }
    }
}

#[cfg(test)]
mod tests;
