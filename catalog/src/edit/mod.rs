//! Edits of the text of `models.toml`: deprecate, delete, add a model, change
//! a token limit — each keeping every other byte of the file (comments,
//! alignment, the one-line inline tables of `models = [ … ]`).
//!
//! An edit takes the current text and returns an [`Edit`]: the new text and a
//! rendering of the changed lines. Nothing is written: the caller writes
//! [`Edit::text`] back (or shows [`Edit::diff`] for a dry run). Every result is
//! validated with [`Catalog::parse`] before it is returned; a result that
//! would not be a valid catalogue is refused ([`EditError::Invalid`]) with the
//! diagnostics it would have, so the caller leaves the file unchanged.
//!
//! ```
//! use llm_lifecycle_catalog::edit;
//!
//! let source = "\
//! [providers.openai]
//! models = [
//!   { name = \"gpt-4.1\", token_limit = 1_000_000, default = true },
//!   { name = \"gpt-4o\", token_limit = 128_000 },
//! ]
//! ";
//! let edit = edit::deprecate(source, "models.toml", "openai/gpt-4o", Some("gpt-4.1"), None)?;
//! assert!(edit.text.contains(
//!     "{ name = \"gpt-4o\", token_limit = 128_000, deprecated = true, replacement = \"gpt-4.1\" }"
//! ));
//! assert_eq!(edit.diff, "\
//! models.toml:4 [providers.openai]
//! -  { name = \"gpt-4o\", token_limit = 128_000 },
//! +  { name = \"gpt-4o\", token_limit = 128_000, deprecated = true, replacement = \"gpt-4.1\" },
//! ");
//! # Ok::<(), llm_lifecycle_catalog::edit::EditError>(())
//! ```

use std::fmt;

use crate::diagnostic::Diagnostics;
use crate::model::{Catalog, Provider};
use crate::naming;

mod diff;
mod document;
mod ops;

pub use ops::{add, delete, deprecate, set_token_limit};

/// The result of an edit: the whole new text of the file and what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Edit {
    /// The new text of the file (a valid catalogue).
    pub text: String,
    /// The changed lines: per change a header `models.toml:LINE [providers.KEY]`
    /// (LINE in the file before the edit), then `-` old and `+` new lines.
    /// Empty when nothing changed.
    pub diff: String,
    /// What the edit did not do and why (e.g. the items [`crate::sync::apply_report`]
    /// skipped), one line each.
    pub notes: Vec<String>,
}

impl Edit {
    /// An edit from `before` to `after` (diff rendered against `origin`).
    pub(crate) fn new(origin: &str, before: &str, after: String, notes: Vec<String>) -> Self {
        let diff = diff::render(origin, before, &after);
        Self {
            text: after,
            diff,
            notes,
        }
    }

    /// Whether the edit changes nothing (the file already says it).
    #[must_use]
    pub fn is_noop(&self) -> bool {
        self.diff.is_empty()
    }
}

/// Which default a model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DefaultRole {
    /// `default = true`.
    Default,
    /// `translation_default = true`.
    TranslationDefault,
}

impl DefaultRole {
    /// The key as written in `models.toml`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::TranslationDefault => "translation_default",
        }
    }
}

/// Why an edit was refused. The file is to be left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The file is not a valid catalogue before the edit.
    #[error(
        "{origin} is not a valid model catalogue, so it is not edited: fix it first\n{diagnostics}"
    )]
    SourceInvalid {
        /// The file name shown in messages.
        origin: String,
        /// What is wrong with it.
        diagnostics: Diagnostics,
    },
    /// The edited text would not be a valid catalogue.
    #[error(
        "the edit would leave {origin} invalid, so it is refused and the file is left unchanged:\n{diagnostics}"
    )]
    Invalid {
        /// The file name shown in messages.
        origin: String,
        /// The diagnostics of the edited text.
        diagnostics: Diagnostics,
    },
    /// The id is not `provider/name`.
    #[error("`{id}` is not a model id: write `provider/name`, e.g. `openai/gpt-4.1`")]
    NotAnId {
        /// The id as given.
        id: String,
    },
    /// No live model has this id.
    #[error("unknown model `{id}`{}", hint(suggestions))]
    UnknownModel {
        /// The id as given.
        id: String,
        /// The closest live model ids, best first.
        suggestions: Vec<String>,
    },
    /// The id names a deleted entry, which cannot be deprecated, deleted or changed.
    #[error("`{id}` is already deleted: it is in `deleted` of `[providers.{provider}]`")]
    AlreadyDeleted {
        /// The id.
        id: String,
        /// Its provider key.
        provider: String,
    },
    /// [`add`]: the model is already declared.
    #[error(
        "`{id}` is already a model of `[providers.{provider}]`: change its entry instead of adding it again"
    )]
    AlreadyDeclared {
        /// The id.
        id: String,
        /// Its provider key.
        provider: String,
    },
    /// [`add`]: the name is a deleted entry.
    #[error(
        "`{id}` is a deleted model of `[providers.{provider}]`: if it really comes back, remove its entry from `deleted` first"
    )]
    DeletedName {
        /// The id.
        id: String,
        /// Its provider key.
        provider: String,
    },
    /// [`add`]: the first model of a new provider must be its default.
    #[error(
        "`{provider}` is a new provider: its first model must be its default, so add `{id}` as the default"
    )]
    NewProviderNeedsDefault {
        /// The id.
        id: String,
        /// The new provider key.
        provider: String,
    },
    /// The model is its provider's default or translation default.
    #[error(
        "`{id}` is the {} of `[providers.{provider}]`: make another model the {} first",
        role_name(*role),
        role_name(*role)
    )]
    IsDefault {
        /// The id.
        id: String,
        /// Its provider key.
        provider: String,
        /// Which default it is.
        role: DefaultRole,
    },
    /// [`delete`]: live models name it as their replacement.
    #[error(
        "`{id}` cannot be deleted: {} {} it as {} replacement: point {} elsewhere first",
        referrers.join(", "),
        if referrers.len() == 1 { "names" } else { "name" },
        if referrers.len() == 1 { "its" } else { "their" },
        if referrers.len() == 1 { "that replacement" } else { "those replacements" }
    )]
    IsReplacement {
        /// The id.
        id: String,
        /// The ids of the live models naming it, in declaration order.
        referrers: Vec<String>,
    },
    /// [`delete`] without a replacement: deleted entries move their references to it.
    #[error(
        "`{id}` cannot be deleted without a replacement: the deleted {} {} it as {} replacement: give a replacement so {} references move on",
        referrers.join(", "),
        if referrers.len() == 1 { "names" } else { "name" },
        if referrers.len() == 1 { "its" } else { "their" },
        if referrers.len() == 1 { "its" } else { "their" }
    )]
    IsReplacementOfDeleted {
        /// The id.
        id: String,
        /// The ids of the deleted entries naming it.
        referrers: Vec<String>,
    },
    /// The replacement is a model of another provider.
    #[error(
        "replacement `{replacement}` of `{id}` is not in `[providers.{provider}]`: a replacement is a model of the same provider"
    )]
    ReplacementInOtherProvider {
        /// The model being edited.
        id: String,
        /// Its provider key.
        provider: String,
        /// The replacement as given.
        replacement: String,
    },
    /// The replacement names no live model of the provider.
    #[error(
        "replacement `{replacement}` of `{id}` is not a live model of `[providers.{provider}]`{}",
        hint(suggestions)
    )]
    UnknownReplacement {
        /// The model being edited.
        id: String,
        /// Its provider key.
        provider: String,
        /// The replacement as given.
        replacement: String,
        /// The closest live model names of the provider.
        suggestions: Vec<String>,
    },
    /// The replacement is the model itself.
    #[error("`{id}` cannot be its own replacement: name another model of `[providers.{provider}]`")]
    ReplacementIsSelf {
        /// The id.
        id: String,
        /// Its provider key.
        provider: String,
    },
    /// The entry is written in a form the editor does not change (e.g. the
    /// provider as an inline table, a model as a `[[…]]` table).
    #[error(
        "{what}: the editor only changes `[providers.KEY]` tables with `models = [ {{ … }} ]` arrays, so edit it by hand"
    )]
    Unsupported {
        /// What was found.
        what: String,
    },
}

fn role_name(role: DefaultRole) -> &'static str {
    match role {
        DefaultRole::Default => "default model",
        DefaultRole::TranslationDefault => "translation default",
    }
}

/// `: did you mean `a` or `b`?` or nothing.
fn hint(suggestions: &[String]) -> String {
    crate::suggest::did_you_mean_any(suggestions).map_or_else(String::new, |h| format!(": {h}"))
}

impl fmt::Display for DefaultRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Parses the text before an edit; an invalid file is not edited.
pub(crate) fn parse_before(source: &str, origin: &str) -> Result<Catalog, EditError> {
    Catalog::parse(source, origin).map_err(|diagnostics| EditError::SourceInvalid {
        origin: origin.to_owned(),
        diagnostics,
    })
}

/// Validates the text after an edit.
pub(crate) fn validate_after(after: &str, origin: &str) -> Result<Catalog, EditError> {
    Catalog::parse(after, origin).map_err(|diagnostics| EditError::Invalid {
        origin: origin.to_owned(),
        diagnostics,
    })
}

/// Splits `provider/name`.
pub(crate) fn split(id: &str) -> Result<(&str, &str), EditError> {
    match naming::split_id(id) {
        Some((provider, name)) if !provider.is_empty() && !name.is_empty() => Ok((provider, name)),
        _ => Err(EditError::NotAnId { id: id.to_owned() }),
    }
}

/// The live model `id` of `catalog`, or why there is none.
pub(crate) fn live<'c>(
    catalog: &'c Catalog,
    id: &str,
) -> Result<(&'c Provider, &'c crate::Model), EditError> {
    let (provider_key, _) = split(id)?;
    match catalog.lookup(id) {
        crate::Lookup::Live { provider, model } => Ok((provider, model)),
        crate::Lookup::Deleted { .. } => Err(EditError::AlreadyDeleted {
            id: id.to_owned(),
            provider: provider_key.to_owned(),
        }),
        crate::Lookup::Unknown => Err(EditError::UnknownModel {
            id: id.to_owned(),
            suggestions: closest_live(catalog, id),
        }),
    }
}

/// Up to three live model ids closest to `id` (deprecated ones included:
/// they can be edited), best first.
fn closest_live(catalog: &Catalog, id: &str) -> Vec<String> {
    let ids: Vec<String> = catalog.model_ids().collect();
    crate::suggest::closest(id, ids.iter().map(String::as_str), 3)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Resolves a replacement given as a name of `provider` or as `provider/name`
/// to the name written in the file: a live model of the same provider, not
/// the model itself.
pub(crate) fn resolve_replacement(
    catalog: &Catalog,
    provider: &Provider,
    id: &str,
    own_name: &str,
    replacement: &str,
) -> Result<String, EditError> {
    let qualified = naming::split_id(replacement);
    let name = if provider.model(replacement).is_some() {
        replacement
    } else if let Some((key, rest)) = qualified
        && key == provider.key
        && provider.model(rest).is_some()
    {
        rest
    } else if let Some((key, _)) = qualified
        && key != provider.key
        && catalog.provider(key).is_some()
    {
        return Err(EditError::ReplacementInOtherProvider {
            id: id.to_owned(),
            provider: provider.key.to_string(),
            replacement: replacement.to_owned(),
        });
    } else {
        let wanted = qualified
            .filter(|(key, _)| *key == provider.key)
            .map_or(replacement, |(_, rest)| rest);
        let names = provider
            .models
            .iter()
            .filter(|model| model.name != own_name)
            .map(|model| &*model.name);
        let suggestions = crate::suggest::closest(wanted, names, 3)
            .into_iter()
            .map(str::to_owned)
            .collect();
        return Err(EditError::UnknownReplacement {
            id: id.to_owned(),
            provider: provider.key.to_string(),
            replacement: replacement.to_owned(),
            suggestions,
        });
    };
    if name == own_name {
        return Err(EditError::ReplacementIsSelf {
            id: id.to_owned(),
            provider: provider.key.to_string(),
        });
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests;
