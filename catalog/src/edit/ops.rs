//! The edits: deprecate, delete, add, set a token limit.

use toml_edit::Value;

use super::{
    DefaultRole, Edit, EditError, document, live, parse_before, resolve_replacement, split,
    validate_after,
};
use crate::model::{Date, Model, Provider};
use crate::naming::model_id;

/// Validates the edited text and renders the change.
fn finish(origin: &str, before: &str, after: String) -> Result<Edit, EditError> {
    if after != before {
        validate_after(&after, origin)?;
    }
    Ok(Edit::new(origin, before, after, Vec::new()))
}

/// Refuses a provider's default or translation default.
fn refuse_default(provider: &Provider, model: &Model, id: &str) -> Result<(), EditError> {
    let role = if model.default {
        DefaultRole::Default
    } else if model.translation_default {
        DefaultRole::TranslationDefault
    } else {
        return Ok(());
    };
    Err(EditError::IsDefault {
        id: id.to_owned(),
        provider: provider.key.to_string(),
        role,
    })
}

/// Marks the live model `model` (`provider/name`) deprecated: sets
/// `deprecated = true` and, when given, `replacement` (a live model of the
/// same provider, as its name or as `provider/name`) and `sunset`, on its
/// inline table. A replacement or sunset already there stays unless given.
///
/// Refused: an unknown or deleted id, the provider's default or translation
/// default ([`EditError::IsDefault`]), a replacement that is not a live model
/// of the provider, and a result that does not validate (e.g. a model that
/// others name as their replacement, deprecated without one of its own:
/// their chains would end at a deprecated model).
pub fn deprecate(
    source: &str,
    origin: &str,
    model: &str,
    replacement: Option<&str>,
    sunset: Option<Date>,
) -> Result<Edit, EditError> {
    let catalog = parse_before(source, origin)?;
    let (provider, found) = live(&catalog, model)?;
    refuse_default(provider, found, model)?;
    let replacement = replacement
        .map(|wanted| resolve_replacement(&catalog, provider, model, &found.name, wanted))
        .transpose()?;
    let mut doc = document::parse(source)?;
    let table = document::provider(&mut doc, &provider.key)?;
    let models = document::models(table, &provider.key)?;
    let entry = document::entry(models, &provider.key, &found.name)?;
    document::set(entry, "deprecated", Value::from(true));
    if let Some(replacement) = replacement {
        document::set(entry, "replacement", document::string(&replacement));
    }
    if let Some(sunset) = sunset {
        document::set(entry, "sunset", document::date(sunset));
    }
    finish(origin, source, doc.to_string())
}

/// Deletes the live model `model`: moves its entry from `models` to `deleted`
/// (created after the provider's keys when absent) as
/// `{ name = "…", replacement = "…", deleted_on = TODAY }`; `replacement` is
/// the one given (a live model of the provider), else the one the model had,
/// else left out.
///
/// Refused: an unknown or deleted id; the provider's default or translation
/// default ([`EditError::IsDefault`]); a model another live model names as
/// its replacement ([`EditError::IsReplacement`]); without a replacement, a
/// model deleted entries name as theirs ([`EditError::IsReplacementOfDeleted`]);
/// a result that does not validate.
pub fn delete(
    source: &str,
    origin: &str,
    model: &str,
    replacement: Option<&str>,
    today: Date,
) -> Result<Edit, EditError> {
    let catalog = parse_before(source, origin)?;
    let (provider, found) = live(&catalog, model)?;
    refuse_default(provider, found, model)?;
    let referrers: Vec<String> = provider
        .models
        .iter()
        .filter(|other| other.replacement.as_deref() == Some(&*found.name))
        .map(|other| model_id(&provider.key, &other.name))
        .collect();
    if !referrers.is_empty() {
        return Err(EditError::IsReplacement {
            id: model.to_owned(),
            referrers,
        });
    }
    let replacement = match replacement {
        Some(wanted) => Some(resolve_replacement(
            &catalog,
            provider,
            model,
            &found.name,
            wanted,
        )?),
        None => found.replacement.as_deref().map(str::to_owned),
    };
    if replacement.is_none() {
        let referrers: Vec<String> = provider
            .deleted
            .iter()
            .filter(|entry| entry.replacement.as_deref() == Some(&*found.name))
            .map(|entry| model_id(&provider.key, &entry.name))
            .collect();
        if !referrers.is_empty() {
            return Err(EditError::IsReplacementOfDeleted {
                id: model.to_owned(),
                referrers,
            });
        }
    }
    let mut pairs = vec![("name", document::string(&found.name))];
    if let Some(replacement) = &replacement {
        pairs.push(("replacement", document::string(replacement)));
    }
    pairs.push(("deleted_on", document::date(today)));
    let deleted_entry = document::inline_table(&pairs);

    let mut doc = document::parse(source)?;
    let table = document::provider(&mut doc, &provider.key)?;
    let models = document::models(table, &provider.key)?;
    let index = document::position(models, &found.name).ok_or_else(|| EditError::Unsupported {
        what: format!("model `{model}` is not an inline table of `models`"),
    })?;
    document::remove_entry(models, index);
    match document::list(table, &provider.key, "deleted")? {
        Some(deleted) => document::push_entry(deleted, deleted_entry),
        None => {
            table.insert("deleted", document::new_list(deleted_entry));
        }
    }
    finish(origin, source, doc.to_string())
}

/// Adds the model `model` (`provider/name`) with `token_limit`, appended to
/// its provider's `models` as `{ name = "…", token_limit = 400_000 }` (the
/// limit with `_` between thousands, like the file). With `default`, the
/// model becomes the provider's default: `default = true` moves to it from
/// the current default. A new provider gets a `[providers.KEY]` table after
/// the last one; its first model must be its default.
///
/// Refused: a name the provider already declares ([`EditError::AlreadyDeclared`])
/// or has deleted ([`EditError::DeletedName`]), a new provider's model
/// without `default` ([`EditError::NewProviderNeedsDefault`]), a result that
/// does not validate (a bad provider key or name, a zero token limit, …).
pub fn add(
    source: &str,
    origin: &str,
    model: &str,
    token_limit: u32,
    default: bool,
) -> Result<Edit, EditError> {
    let catalog = parse_before(source, origin)?;
    let (provider_key, name) = split(model)?;
    match catalog.lookup(model) {
        crate::Lookup::Live { .. } => {
            return Err(EditError::AlreadyDeclared {
                id: model.to_owned(),
                provider: provider_key.to_owned(),
            });
        }
        crate::Lookup::Deleted { .. } => {
            return Err(EditError::DeletedName {
                id: model.to_owned(),
                provider: provider_key.to_owned(),
            });
        }
        crate::Lookup::Unknown => {}
    }
    let mut pairs = vec![
        ("name", document::string(name)),
        ("token_limit", document::integer(token_limit)),
    ];
    if default {
        pairs.push(("default", Value::from(true)));
    }
    let new_entry = document::inline_table(&pairs);
    let mut doc = document::parse(source)?;
    match catalog.provider(provider_key) {
        Some(provider) => {
            let table = document::provider(&mut doc, provider_key)?;
            let models = document::models(table, provider_key)?;
            if default && let Some(current) = provider.default_model() {
                let entry = document::entry(models, provider_key, &current.name)?;
                document::remove(entry, "default");
            }
            document::push_entry(models, new_entry);
        }
        None if !default => {
            return Err(EditError::NewProviderNeedsDefault {
                id: model.to_owned(),
                provider: provider_key.to_owned(),
            });
        }
        None => document::add_provider(&mut doc, provider_key, new_entry)?,
    }
    finish(origin, source, doc.to_string())
}

/// Sets the token limit of the live model `model` (the value replaced in
/// place, with `_` between thousands). Refused: an unknown or deleted id, a
/// result that does not validate (a zero limit).
pub fn set_token_limit(
    source: &str,
    origin: &str,
    model: &str,
    token_limit: u32,
) -> Result<Edit, EditError> {
    let catalog = parse_before(source, origin)?;
    let (provider, found) = live(&catalog, model)?;
    let mut doc = document::parse(source)?;
    let table = document::provider(&mut doc, &provider.key)?;
    let models = document::models(table, &provider.key)?;
    let entry = document::entry(models, &provider.key, &found.name)?;
    document::set(entry, "token_limit", document::integer(token_limit));
    finish(origin, source, doc.to_string())
}
