//! The catalogue as read from the source, with the spans validation points at.

use std::borrow::Cow;
use std::ops::Range;

use crate::model::{
    ApplySettings, Catalog, Date, DeletedModel, Model, ModelTable, NotificationSettings, Provider,
    Reference,
};

/// A value and the byte span it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct At<T> {
    pub(crate) value: T,
    pub(crate) span: Range<usize>,
}

impl<T> At<T> {
    pub(crate) fn new(value: T, span: Range<usize>) -> Self {
        Self { value, span }
    }
}

/// The whole document, read but not yet cross-checked.
#[derive(Debug, Default)]
pub(crate) struct RawCatalog {
    pub(crate) providers: Vec<RawProvider>,
    pub(crate) references: Vec<RawReference>,
    pub(crate) notifications: NotificationSettings,
    pub(crate) model_table: Option<ModelTable>,
    pub(crate) apply: ApplySettings,
}

/// One `[providers.KEY]` table.
#[derive(Debug)]
pub(crate) struct RawProvider {
    pub(crate) key: At<String>,
    pub(crate) label: Option<String>,
    pub(crate) models: Vec<RawModel>,
    pub(crate) deleted: Vec<RawDeleted>,
    /// Whether a model list of this provider could not be read completely
    /// (checks that count its models are skipped to avoid follow-up noise).
    pub(crate) incomplete: bool,
}

/// One entry of `models = [...]`.
#[derive(Debug)]
pub(crate) struct RawModel {
    pub(crate) name: At<String>,
    pub(crate) token_limit: u32,
    pub(crate) default: Option<At<bool>>,
    pub(crate) translation_default: Option<At<bool>>,
    pub(crate) deprecated: Option<At<bool>>,
    pub(crate) replacement: Option<At<String>>,
    pub(crate) sunset: Option<At<Date>>,
    pub(crate) ident: Option<At<String>>,
    /// Whether one of its flags (`default`, `translation_default`, `deprecated`)
    /// could not be read (rules that depend on them are skipped).
    pub(crate) tainted: bool,
}

impl RawModel {
    pub(crate) fn is_deprecated(&self) -> bool {
        flag(&self.deprecated)
    }
    pub(crate) fn is_default(&self) -> bool {
        flag(&self.default)
    }
    pub(crate) fn is_translation_default(&self) -> bool {
        flag(&self.translation_default)
    }
}

fn flag(value: &Option<At<bool>>) -> bool {
    value.as_ref().is_some_and(|at| at.value)
}

/// One entry of `deleted = [...]`.
#[derive(Debug)]
pub(crate) struct RawDeleted {
    pub(crate) name: At<String>,
    pub(crate) replacement: Option<At<String>>,
    pub(crate) deleted_on: Option<Date>,
}

/// One `[[references]]` entry.
#[derive(Debug)]
pub(crate) struct RawReference {
    /// The span of its `table` value (or of the entry when that is missing).
    pub(crate) span: Range<usize>,
    pub(crate) reference: Reference,
}

impl RawCatalog {
    /// The validated catalogue (call only once validation found nothing).
    pub(crate) fn into_catalog(self) -> Catalog {
        let providers = self
            .providers
            .into_iter()
            .map(|provider| Provider {
                label: Cow::Owned(provider.label.unwrap_or_else(|| provider.key.value.clone())),
                key: Cow::Owned(provider.key.value),
                models: Cow::Owned(
                    provider
                        .models
                        .into_iter()
                        .map(RawModel::into_model)
                        .collect(),
                ),
                deleted: Cow::Owned(
                    provider
                        .deleted
                        .into_iter()
                        .map(RawDeleted::into_deleted)
                        .collect(),
                ),
            })
            .collect();
        Catalog {
            providers: Cow::Owned(providers),
            references: Cow::Owned(self.references.into_iter().map(|r| r.reference).collect()),
            notifications: self.notifications,
            model_table: self.model_table,
            apply: self.apply,
        }
    }
}

impl RawModel {
    fn into_model(self) -> Model {
        Model {
            default: self.is_default(),
            translation_default: self.is_translation_default(),
            deprecated: self.is_deprecated(),
            name: Cow::Owned(self.name.value),
            token_limit: self.token_limit,
            replacement: self.replacement.map(|at| Cow::Owned(at.value)),
            sunset: self.sunset.map(|at| at.value),
            ident: self.ident.map(|at| Cow::Owned(at.value)),
        }
    }
}

impl RawDeleted {
    fn into_deleted(self) -> DeletedModel {
        DeletedModel {
            name: Cow::Owned(self.name.value),
            replacement: self.replacement.map(|at| Cow::Owned(at.value)),
            deleted_on: self.deleted_on,
        }
    }
}
