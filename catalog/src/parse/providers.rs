//! Reading `[providers.KEY]` tables: labels, `models` and `deleted` entries.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::raw::{At, RawDeleted, RawModel, RawProvider};
use super::reader::{Reader, Value, entries_in_order, type_with_article};

/// The keys of a `[providers.KEY]` table.
pub(crate) const PROVIDER_KEYS: &[&str] = &["label", "models", "deleted"];
/// The keys of a model entry.
pub(crate) const MODEL_KEYS: &[&str] = &[
    "name",
    "token_limit",
    "default",
    "translation_default",
    "deprecated",
    "replacement",
    "sunset",
    "ident",
];
/// The keys of a deleted entry.
pub(crate) const DELETED_KEYS: &[&str] = &["name", "replacement", "deleted_on"];

/// Reads the `providers` table: one [`RawProvider`] per well-formed provider table.
pub(crate) fn read_providers(reader: &mut Reader<'_>, value: &Value<'_>) -> Vec<RawProvider> {
    let DeValue::Table(table) = value.get_ref() else {
        reader.error_with_help(
            value.span(),
            format!(
                "`providers` must be a table of provider tables, found {}",
                type_with_article(value.get_ref())
            ),
            Some("declare each provider as `[providers.KEY]`".to_owned()),
        );
        return Vec::new();
    };
    if table.is_empty() {
        reader.error_with_help(
            value.span(),
            "the catalogue declares no providers",
            Some("add a `[providers.KEY]` table with `models = [...]`".to_owned()),
        );
    }
    let mut providers = Vec::new();
    for (key, value) in entries_in_order(table) {
        let key = At::new(key.get_ref().to_string(), key.span());
        if !is_provider_key(&key.value) {
            reader.error_with_help(
                key.span.clone(),
                format!("invalid provider key `{}`", key.value),
                Some(
                    "a provider key starts with a lowercase ASCII letter, followed by lowercase \
                     letters, digits, `_` or `-`"
                        .to_owned(),
                ),
            );
        }
        let DeValue::Table(body) = value.get_ref() else {
            reader.error_with_help(
                value.span(),
                format!(
                    "provider `{}` must be a table, found {}",
                    key.value,
                    type_with_article(value.get_ref())
                ),
                Some(format!(
                    "declare it as `[providers.{}]` with `models = [...]`",
                    key.value
                )),
            );
            continue;
        };
        providers.push(read_provider(reader, key, body, value.span()));
    }
    providers
}

/// Whether `key` matches `[a-z][a-z0-9_-]*`.
pub(crate) fn is_provider_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn read_provider(
    reader: &mut Reader<'_>,
    key: At<String>,
    body: &DeTable<'_>,
    span: Range<usize>,
) -> RawProvider {
    let what = format!("provider `{}`", key.value);
    let fields = reader.fields(body, span, PROVIDER_KEYS, &what);
    let label = reader.string(&fields, "label");
    if let Some(label) = &label
        && label.value.trim().is_empty()
    {
        reader.error_with_help(
            label.span.clone(),
            "`label` cannot be empty",
            Some("remove `label` to show the provider key instead".to_owned()),
        );
    }
    let label = label.map(|at| at.value);
    let mut provider = RawProvider {
        key,
        label,
        models: Vec::new(),
        deleted: Vec::new(),
        incomplete: false,
    };
    let before = reader.error_count();
    if let Some(models) = fields.get("models") {
        for (entry, span) in entry_tables(reader, models, "models", "a model") {
            if let Some(model) = read_model(reader, &provider.key.value, entry, span) {
                provider.models.push(model);
            }
        }
    }
    if let Some(deleted) = fields.get("deleted") {
        for (entry, span) in entry_tables(reader, deleted, "deleted", "a deleted model") {
            if let Some(entry) = read_deleted(reader, &provider.key.value, entry, span) {
                provider.deleted.push(entry);
            }
        }
    }
    provider.incomplete = reader.error_count() > before;
    provider
}

/// The tables of an array of inline tables (`models`, `deleted`), reporting
/// anything else.
fn entry_tables<'t, 'i>(
    reader: &mut Reader<'_>,
    value: &'t Value<'i>,
    key: &str,
    what: &str,
) -> Vec<(&'t DeTable<'i>, Range<usize>)> {
    let DeValue::Array(array) = value.get_ref() else {
        reader.error_with_help(
            value.span(),
            format!(
                "`{key}` must be an array of inline tables, found {}",
                type_with_article(value.get_ref())
            ),
            Some(format!("write `{key} = [ {{ name = \"...\" }} ]`")),
        );
        return Vec::new();
    };
    let mut tables = Vec::new();
    for item in array.iter() {
        match item.get_ref() {
            DeValue::Table(table) => tables.push((table, item.span())),
            other => reader.error_with_help(
                item.span(),
                format!(
                    "each entry of `{key}` must be {what} table, found {}",
                    type_with_article(other)
                ),
                Some("write it as an inline table: `{ name = \"...\" }`".to_owned()),
            ),
        }
    }
    tables
}

/// Reads the `name` of an entry, checking it is a usable model name.
fn read_name(
    reader: &mut Reader<'_>,
    fields: &super::reader::Fields<'_, '_>,
    what: &str,
) -> Option<At<String>> {
    let Some(name) = reader.string(fields, "name") else {
        if fields.get("name").is_none() {
            reader.missing(
                fields,
                "name",
                what,
                "add `name = \"...\"`: the provider's model id",
            );
        }
        return None;
    };
    if name.value.is_empty() {
        reader.error(name.span.clone(), "a model name cannot be empty");
    } else if let Some(bad) = name
        .value
        .chars()
        .find(|c| c.is_whitespace() || c.is_control())
    {
        reader.error_with_help(
            name.span.clone(),
            format!(
                "model name `{}` contains {bad:?}",
                name.value.escape_debug()
            ),
            Some(
                "a model name is the provider's id: no whitespace or control characters \
                 (`/ : . @` are fine)"
                    .to_owned(),
            ),
        );
    }
    Some(name)
}

fn peek_name<'t>(table: &'t DeTable<'_>) -> Option<&'t str> {
    table.get("name").and_then(|value| value.get_ref().as_str())
}

fn read_model(
    reader: &mut Reader<'_>,
    provider: &str,
    table: &DeTable<'_>,
    span: Range<usize>,
) -> Option<RawModel> {
    let what = match peek_name(table) {
        Some(name) => format!("model `{provider}/{name}`"),
        None => "a model".to_owned(),
    };
    let fields = reader.fields(table, span, MODEL_KEYS, &what);
    let name = read_name(reader, &fields, &what);
    let token_limit = reader.positive_u32(&fields, "token_limit");
    if fields.get("token_limit").is_none() {
        reader.missing(
            &fields,
            "token_limit",
            &what,
            "add `token_limit = 128_000`: the context window in tokens",
        );
    }
    let default = reader.boolean(&fields, "default");
    let translation_default = reader.boolean(&fields, "translation_default");
    let deprecated = reader.boolean(&fields, "deprecated");
    let replacement = reader.string(&fields, "replacement");
    let sunset = reader.date(&fields, "sunset");
    let ident = reader.string(&fields, "ident");
    let tainted = (fields.get("default").is_some() && default.is_none())
        || (fields.get("translation_default").is_some() && translation_default.is_none())
        || (fields.get("deprecated").is_some() && deprecated.is_none());
    if let Some(ident) = &ident
        && !crate::naming::is_valid_ident(&ident.value)
    {
        reader.error_with_help(
            ident.span.clone(),
            format!("`ident` must be a Rust identifier, found `{}`", ident.value),
            Some(
                "use letters, digits and `_`, starting with a letter and not a Rust \
                 keyword; UpperCamelCase like `OpenaiGpt4o` is recommended"
                    .to_owned(),
            ),
        );
    }
    Some(RawModel {
        name: name?,
        token_limit: token_limit.map_or(1, |at| at.value),
        default,
        translation_default,
        deprecated,
        replacement,
        sunset,
        ident,
        tainted,
    })
}

fn read_deleted(
    reader: &mut Reader<'_>,
    provider: &str,
    table: &DeTable<'_>,
    span: Range<usize>,
) -> Option<RawDeleted> {
    let what = match peek_name(table) {
        Some(name) => format!("deleted model `{provider}/{name}`"),
        None => "a deleted model".to_owned(),
    };
    let fields = reader.fields(table, span, DELETED_KEYS, &what);
    let name = read_name(reader, &fields, &what);
    let replacement = reader.string(&fields, "replacement");
    let deleted_on = reader.date(&fields, "deleted_on").map(|at| at.value);
    Some(RawDeleted {
        name: name?,
        replacement,
        deleted_on,
    })
}
