//! Run-time support for the code that `llm_lifecycle_macros::catalog!` generates.
//!
//! The generated `LlmModel` keeps its data in `static` tables indexed by
//! discriminant; id lookups go through a [`ModelIndex`] over those tables, so the
//! generated code stays small and the logic lives (and is tested) here, once.
//! [`ParseModelError`] is the error of `LlmModel::from_str` and
//! `LlmModel::parse_lenient`.
//!
//! # Constructors for generated code
//!
//! The generated statics build catalogue values with the `const fn`s below
//! ([`models`], [`provider`], [`catalog`], …), never with struct literals: a
//! struct literal names every field, so a field added to [`Model`] would break
//! the code an older `catalog!` generated. The rule that keeps them stable:
//! a constructor's signature never changes; a new field gets its default in
//! the existing constructors, and a constructor taking it gets a new name
//! (`models_v2`). They take `&'static str` and `&'static [T]` and wrap them in
//! [`Cow::Borrowed`], as every generated value is static.
//!
//! The live models are built all at once by [`models`] from one table per
//! field, rather than by one call (or literal) per model: rustc type-checks
//! and const-evaluates a static of 40,000 struct literals in time quadratic
//! in their number, and 40,000 calls are still several times slower than one
//! loop over plain `&str` and integer tables.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU64;

use crate::model::{
    ApplySettings, Catalog, ColumnConstant, Companion, CompanionAction, ConstantValue, Date,
    DeletedModel, Model, ModelTable, NotificationSettings, Provider, Reference, ReferenceKind,
    Through,
};

/// The sentinel in generated `u16` tables meaning "no model".
pub const NO_MODEL: u16 = u16::MAX;

/// Why a string is not the id of a live model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseModelError {
    /// No model, live or deleted, has this id.
    Unknown {
        /// The id as given.
        id: String,
        /// The closest known id, when one is close enough to be a likely typo.
        suggestion: Option<&'static str>,
    },
    /// The id names a deleted model.
    Deleted {
        /// The id as given.
        id: String,
        /// The live model that took over its references (the end of its
        /// replacement chain), when it has one.
        replacement: Option<&'static str>,
    },
}

impl ParseModelError {
    /// The id that failed to parse.
    pub fn id(&self) -> &str {
        match self {
            Self::Unknown { id, .. } | Self::Deleted { id, .. } => id,
        }
    }
}

impl fmt::Display for ParseModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown {
                id,
                suggestion: Some(suggestion),
            } => {
                write!(f, "unknown LLM model `{id}`: did you mean `{suggestion}`?")
            }
            Self::Unknown {
                id,
                suggestion: None,
            } => write!(
                f,
                "unknown LLM model `{id}`: use a `provider/name` id declared in models.toml"
            ),
            Self::Deleted {
                id,
                replacement: Some(replacement),
            } => write!(
                f,
                "LLM model `{id}` has been deleted: use `{replacement}` instead"
            ),
            Self::Deleted {
                id,
                replacement: None,
            } => write!(
                f,
                "LLM model `{id}` has been deleted and has no replacement: \
                 choose another model declared in models.toml"
            ),
        }
    }
}

impl std::error::Error for ParseModelError {}

/// The id lookup tables of a generated `LlmModel`, all `'static`.
///
/// Model positions are discriminants: `ids[i]` is the id of the variant whose
/// discriminant is `i`.
#[derive(Debug, Clone, Copy)]
pub struct ModelIndex {
    /// Every live model's id `provider/name`, by discriminant.
    pub ids: &'static [&'static str],
    /// Discriminants sorted by id, for binary search.
    pub by_id: &'static [u16],
    /// Every deleted model's id, sorted.
    pub deleted_ids: &'static [&'static str],
    /// For each entry of `deleted_ids`: the discriminant of the end of its
    /// replacement chain, or [`NO_MODEL`].
    pub deleted_to: &'static [u16],
}

impl ModelIndex {
    /// The discriminant of the live model with this exact id.
    pub fn find(&self, id: &str) -> Option<usize> {
        let position = self
            .by_id
            .binary_search_by(|&index| {
                self.ids
                    .get(usize::from(index))
                    .copied()
                    .unwrap_or_default()
                    .cmp(id)
            })
            .ok()?;
        self.by_id.get(position).map(|&index| usize::from(index))
    }

    /// The discriminant of a live model, or why `id` is not one.
    pub fn parse(&self, id: &str) -> Result<usize, ParseModelError> {
        self.find(id).ok_or_else(|| self.error(id))
    }

    /// Like [`ModelIndex::parse`], but a deleted id with a replacement gives the
    /// end of its replacement chain.
    pub fn parse_lenient(&self, id: &str) -> Result<usize, ParseModelError> {
        if let Some(found) = self.find(id) {
            return Ok(found);
        }
        match self.deleted_target(id) {
            Some(Some(target)) => Ok(target),
            _ => Err(self.error(id)),
        }
    }

    /// `Some(target)` when `id` is deleted: the end of its chain, if any.
    fn deleted_target(&self, id: &str) -> Option<Option<usize>> {
        let position = self.deleted_ids.binary_search(&id).ok()?;
        let target = self.deleted_to.get(position).copied().unwrap_or(NO_MODEL);
        Some((target != NO_MODEL).then_some(usize::from(target)))
    }

    /// Why `id`, which is not a live model's id, does not parse.
    fn error(&self, id: &str) -> ParseModelError {
        match self.deleted_target(id) {
            Some(target) => ParseModelError::Deleted {
                id: id.to_owned(),
                replacement: target.and_then(|index| self.ids.get(index).copied()),
            },
            None => ParseModelError::Unknown {
                id: id.to_owned(),
                suggestion: crate::suggest::closest(id, self.ids.iter().copied(), 1)
                    .first()
                    .copied(),
            },
        }
    }
}

/// `Some(Cow::Borrowed(text))` or `None`, in a `const` context.
const fn borrowed(text: Option<&'static str>) -> Option<Cow<'static, str>> {
    match text {
        Some(text) => Some(Cow::Borrowed(text)),
        None => None,
    }
}

/// A [`Catalog`] of static data (see [the module docs](self) on these
/// constructors), without `[model_table]` and `[apply]`.
#[doc(hidden)]
pub const fn catalog(
    providers: &'static [Provider],
    references: &'static [Reference],
    notifications: NotificationSettings,
) -> Catalog {
    catalog_v2(providers, references, notifications, None, NO_APPLY)
}

/// A [`Catalog`] of static data with a `[model_table]`, without `[apply]`.
#[doc(hidden)]
pub const fn catalog_with_model_table(
    providers: &'static [Provider],
    references: &'static [Reference],
    notifications: NotificationSettings,
    model_table: ModelTable,
) -> Catalog {
    catalog_v2(
        providers,
        references,
        notifications,
        Some(model_table),
        NO_APPLY,
    )
}

/// A [`Catalog`] of static data, every section given: `[model_table]` (or
/// none) and `[apply]` too.
#[doc(hidden)]
pub const fn catalog_v2(
    providers: &'static [Provider],
    references: &'static [Reference],
    notifications: NotificationSettings,
    model_table: Option<ModelTable>,
    apply: ApplySettings,
) -> Catalog {
    Catalog {
        providers: Cow::Borrowed(providers),
        references: Cow::Borrowed(references),
        notifications,
        model_table,
        apply,
    }
}

/// The [`ApplySettings`] of a catalogue without `[apply]` (its `Default`, in
/// a `const` context).
const NO_APPLY: ApplySettings = ApplySettings { batch_size: None };

/// [`ApplySettings`] of static data: `batch_size` `0` is none.
#[doc(hidden)]
pub const fn apply(batch_size: u64) -> ApplySettings {
    ApplySettings {
        batch_size: NonZeroU64::new(batch_size),
    }
}

/// A [`ModelTable`] of static data: its fields in declaration order.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub const fn model_table(
    table: &'static str,
    id: &'static str,
    team: Option<&'static str>,
    provider: &'static str,
    name: &'static str,
    token_limit: &'static str,
    deprecated: &'static str,
    created_at: Option<&'static str>,
    updated_at: Option<&'static str>,
    values: &'static [ColumnConstant],
) -> ModelTable {
    ModelTable {
        table: Cow::Borrowed(table),
        id: Cow::Borrowed(id),
        team: borrowed(team),
        provider: Cow::Borrowed(provider),
        name: Cow::Borrowed(name),
        token_limit: Cow::Borrowed(token_limit),
        deprecated: Cow::Borrowed(deprecated),
        created_at: borrowed(created_at),
        updated_at: borrowed(updated_at),
        values: Cow::Borrowed(values),
    }
}

/// A [`ColumnConstant`] of static data.
#[doc(hidden)]
pub const fn column_constant(column: &'static str, value: ConstantValue) -> ColumnConstant {
    ColumnConstant {
        column: Cow::Borrowed(column),
        value,
    }
}

/// A text [`ConstantValue`] of static data.
#[doc(hidden)]
pub const fn text_constant(text: &'static str) -> ConstantValue {
    ConstantValue::Text(Cow::Borrowed(text))
}

/// A [`Companion`] of static data.
#[doc(hidden)]
pub const fn companion(key: &'static str, action: CompanionAction) -> Companion {
    Companion {
        key: Cow::Borrowed(key),
        action,
    }
}

/// A [`Provider`] of static data.
#[doc(hidden)]
pub const fn provider(
    key: &'static str,
    label: &'static str,
    models: &'static [Model],
    deleted: &'static [DeletedModel],
) -> Provider {
    Provider {
        key: Cow::Borrowed(key),
        label: Cow::Borrowed(label),
        models: Cow::Borrowed(models),
        deleted: Cow::Borrowed(deleted),
    }
}

/// A [`Model`] of static data: its fields in declaration order.
#[doc(hidden)]
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
pub const fn model(
    name: &'static str,
    token_limit: u32,
    default: bool,
    translation_default: bool,
    deprecated: bool,
    replacement: Option<&'static str>,
    sunset: Option<Date>,
    ident: Option<&'static str>,
) -> Model {
    Model {
        name: Cow::Borrowed(name),
        token_limit,
        default,
        translation_default,
        deprecated,
        replacement: borrowed(replacement),
        sunset,
        ident: borrowed(ident),
    }
}

/// [`ModelFlags`] bit: [`Model::default`].
pub const FLAG_DEFAULT: u8 = 1;
/// [`ModelFlags`] bit: [`Model::translation_default`].
pub const FLAG_TRANSLATION_DEFAULT: u8 = 2;
/// [`ModelFlags`] bit: [`Model::deprecated`].
pub const FLAG_DEPRECATED: u8 = 4;

/// The flags of one model: [`FLAG_DEFAULT`], [`FLAG_TRANSLATION_DEFAULT`],
/// [`FLAG_DEPRECATED`], or-ed.
pub type ModelFlags = u8;

/// A date packed for [`models`]' tables: `year << 16 | month << 8 | day`; `0` is none.
pub const fn packed_date(date: Option<Date>) -> u32 {
    match date {
        Some(date) => (date.year as u32) << 16 | (date.month as u32) << 8 | date.day as u32,
        None => 0,
    }
}

/// The inverse of [`packed_date`].
const fn unpacked_date(packed: u32) -> Option<Date> {
    if packed == 0 {
        None
    } else {
        Some(Date {
            year: (packed >> 16) as u16,
            month: (packed >> 8) as u8,
            day: packed as u8,
        })
    }
}

/// `None` for `""` (no name, replacement or ident is empty), else borrowed.
const fn non_empty(text: &'static str) -> Option<Cow<'static, str>> {
    if text.is_empty() {
        None
    } else {
        Some(Cow::Borrowed(text))
    }
}

/// The `N` live models of generated code, from one table per field: the
/// model at position `i` is `model(names[i], token_limits[i], flags[i] & FLAG_DEFAULT != 0,
/// …, replacements[i], sunsets[i], idents[i])`, where an empty replacement or
/// ident is none and sunsets are [`packed_date`]s.
#[doc(hidden)]
pub const fn models<const N: usize>(
    names: &[&'static str; N],
    token_limits: &[u32; N],
    flags: &[ModelFlags; N],
    replacements: &[&'static str; N],
    sunsets: &[u32; N],
    idents: &[&'static str; N],
) -> [Model; N] {
    const UNSET: Model = model("", 0, false, false, false, None, None, None);
    let mut out = [UNSET; N];
    let mut index = 0;
    while index < N {
        let flag = flags[index];
        let row = Model {
            name: Cow::Borrowed(names[index]),
            token_limit: token_limits[index],
            default: flag & FLAG_DEFAULT != 0,
            translation_default: flag & FLAG_TRANSLATION_DEFAULT != 0,
            deprecated: flag & FLAG_DEPRECATED != 0,
            replacement: non_empty(replacements[index]),
            sunset: unpacked_date(sunsets[index]),
            ident: non_empty(idents[index]),
        };
        // `UNSET` owns nothing; forgetting it keeps the loop free of drops,
        // which a `const fn` cannot run.
        std::mem::forget(std::mem::replace(&mut out[index], row));
        index += 1;
    }
    out
}

/// A [`DeletedModel`] of static data.
#[doc(hidden)]
pub const fn deleted(
    name: &'static str,
    replacement: Option<&'static str>,
    deleted_on: Option<Date>,
) -> DeletedModel {
    DeletedModel {
        name: Cow::Borrowed(name),
        replacement: borrowed(replacement),
        deleted_on,
    }
}

/// A [`Date`].
#[doc(hidden)]
pub const fn date(year: u16, month: u8, day: u8) -> Date {
    Date { year, month, day }
}

/// A [`Reference`] of static data: its fields in declaration order.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub const fn reference(
    table: &'static str,
    column: &'static str,
    kind: ReferenceKind,
    key: Option<&'static str>,
    resource: Option<&'static str>,
    through: Option<Through>,
    team_column: Option<&'static str>,
    name_column: Option<&'static str>,
    url: Option<&'static str>,
    filter: Option<&'static str>,
) -> Reference {
    json_reference(
        table,
        column,
        kind,
        key,
        resource,
        through,
        team_column,
        name_column,
        url,
        filter,
        &[],
    )
}

/// A [`Reference`] of static data with companion keys (`kind = "json"`).
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub const fn json_reference(
    table: &'static str,
    column: &'static str,
    kind: ReferenceKind,
    key: Option<&'static str>,
    resource: Option<&'static str>,
    through: Option<Through>,
    team_column: Option<&'static str>,
    name_column: Option<&'static str>,
    url: Option<&'static str>,
    filter: Option<&'static str>,
    companions: &'static [Companion],
) -> Reference {
    Reference {
        table: Cow::Borrowed(table),
        column: Cow::Borrowed(column),
        kind,
        key: borrowed(key),
        resource: borrowed(resource),
        through,
        team_column: borrowed(team_column),
        name_column: borrowed(name_column),
        url: borrowed(url),
        filter: borrowed(filter),
        companions: Cow::Borrowed(companions),
    }
}

/// A [`Through`] of static data.
#[doc(hidden)]
pub const fn through(table: &'static str, column: &'static str) -> Through {
    Through {
        table: Cow::Borrowed(table),
        column: Cow::Borrowed(column),
    }
}

/// [`NotificationSettings`] of static data.
#[doc(hidden)]
pub const fn notifications(
    permission: &'static str,
    recipients_query: Option<&'static str>,
    webhook_env: Option<&'static str>,
    reminders: &'static [u32],
) -> NotificationSettings {
    NotificationSettings {
        permission: Cow::Borrowed(permission),
        recipients_query: borrowed(recipients_query),
        webhook_env: borrowed(webhook_env),
        reminders: Cow::Borrowed(reminders),
    }
}

/// A [`ModelIndex`] over generated tables.
#[doc(hidden)]
pub const fn model_index(
    ids: &'static [&'static str],
    by_id: &'static [u16],
    deleted_ids: &'static [&'static str],
    deleted_to: &'static [u16],
) -> ModelIndex {
    ModelIndex {
        ids,
        by_id,
        deleted_ids,
        deleted_to,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    static IDS: [&str; 3] = ["openai/gpt-4.1", "openai/gpt-4.1-mini", "anthropic/claude"];
    static BY_ID: [u16; 3] = [2, 0, 1];
    static DELETED_IDS: [&str; 2] = ["openai/gpt-4-turbo", "openai/o1-mini"];
    static DELETED_TO: [u16; 2] = [0, NO_MODEL];
    const INDEX: ModelIndex = ModelIndex {
        ids: &IDS,
        by_id: &BY_ID,
        deleted_ids: &DELETED_IDS,
        deleted_to: &DELETED_TO,
    };

    static MODELS: [Model; 1] = [model(
        "gpt-4.1-nano",
        1_000,
        false,
        true,
        true,
        Some("gpt-4.1"),
        Some(date(2027, 1, 31)),
        None,
    )];
    static DELETED: [DeletedModel; 1] = [deleted("gpt-4-turbo", None, Some(date(2026, 3, 4)))];
    static PROVIDERS: [Provider; 1] = [provider("openai", "OpenAI", &MODELS, &DELETED)];
    static TABLED: [Model; 2] = models(
        &["gpt-4.1-nano", "gpt-4.1"],
        &[1_000, 2_000],
        &[FLAG_TRANSLATION_DEFAULT | FLAG_DEPRECATED, FLAG_DEFAULT],
        &["gpt-4.1", ""],
        &[packed_date(Some(date(2027, 1, 31))), 0],
        &["", "Gpt41"],
    );
    static REFERENCES: [Reference; 1] = [reference(
        "nodes",
        "params",
        ReferenceKind::Json,
        Some("model_id"),
        Some("pipeline"),
        Some(through("pipelines", "pipeline_id")),
        Some("team_id"),
        None,
        Some("/a/{team_id}/"),
        Some("kind = 'llm'"),
    )];
    static CATALOG: Catalog = catalog(
        &PROVIDERS,
        &REFERENCES,
        notifications("perm", None, None, &[]),
    );
    static BATCHED: Catalog = catalog_v2(
        &PROVIDERS,
        &[],
        notifications("perm", None, None, &[]),
        None,
        apply(500),
    );

    #[test]
    fn the_constructors_fill_every_field() {
        let provider = &CATALOG.providers[0];
        assert_eq!((&*provider.key, &*provider.label), ("openai", "OpenAI"));
        let model = &provider.models[0];
        assert_eq!(
            (
                &*model.name,
                model.token_limit,
                model.default,
                model.translation_default,
                model.deprecated
            ),
            ("gpt-4.1-nano", 1_000, false, true, true)
        );
        assert_eq!(model.replacement.as_deref(), Some("gpt-4.1"));
        assert_eq!(
            model.sunset.map(|date| date.to_string()).as_deref(),
            Some("2027-01-31")
        );
        assert_eq!(model.ident, None);
        let gone = &provider.deleted[0];
        assert_eq!(
            (&*gone.name, gone.replacement.as_deref()),
            ("gpt-4-turbo", None)
        );
        assert_eq!(gone.deleted_on, Some(date(2026, 3, 4)));
        let reference = &CATALOG.references[0];
        assert_eq!((&*reference.table, &*reference.column), ("nodes", "params"));
        assert_eq!(reference.kind, ReferenceKind::Json);
        assert_eq!(reference.key.as_deref(), Some("model_id"));
        assert_eq!(reference.resource.as_deref(), Some("pipeline"));
        let joined = reference.through.as_ref().map(|t| (&*t.table, &*t.column));
        assert_eq!(joined, Some(("pipelines", "pipeline_id")));
        assert_eq!(reference.team_column.as_deref(), Some("team_id"));
        assert_eq!(reference.name_column, None);
        assert_eq!(reference.url.as_deref(), Some("/a/{team_id}/"));
        assert_eq!(reference.filter.as_deref(), Some("kind = 'llm'"));
        assert_eq!(&*CATALOG.notifications.permission, "perm");
        assert_eq!(CATALOG.notifications.recipients_query, None);
        assert_eq!(CATALOG.apply, ApplySettings::default());
        assert_eq!(CATALOG.model_table, None);
        assert_eq!(BATCHED.apply.batch_size, NonZeroU64::new(500));
        assert_eq!(apply(0), ApplySettings::default());
        let tabled = catalog_with_model_table(
            &PROVIDERS,
            &[],
            CATALOG.notifications.clone(),
            ModelTable::owned(),
        );
        assert_eq!(tabled.model_table, Some(ModelTable::owned()));
        assert_eq!(tabled.apply, ApplySettings::default());
        assert_eq!(
            model_index(&IDS, &BY_ID, &DELETED_IDS, &DELETED_TO).find("openai/gpt-4.1"),
            Some(0)
        );
    }

    #[test]
    fn models_from_tables_equal_models_built_one_by_one() {
        assert_eq!(TABLED[0], MODELS[0]);
        let second = model(
            "gpt-4.1",
            2_000,
            true,
            false,
            false,
            None,
            None,
            Some("Gpt41"),
        );
        assert_eq!(TABLED[1], second);
        assert_eq!(
            unpacked_date(packed_date(Some(date(1999, 12, 31)))),
            Some(date(1999, 12, 31))
        );
        assert_eq!(unpacked_date(packed_date(None)), None);
    }

    #[test]
    fn finds_every_live_id() {
        for (index, id) in IDS.iter().enumerate() {
            assert_eq!(INDEX.parse(id), Ok(index));
            assert_eq!(INDEX.parse_lenient(id), Ok(index));
        }
    }

    #[test]
    fn deleted_ids_are_errors_naming_the_replacement() {
        let error = INDEX.parse("openai/gpt-4-turbo").unwrap_err();
        assert_eq!(
            error,
            ParseModelError::Deleted {
                id: "openai/gpt-4-turbo".into(),
                replacement: Some("openai/gpt-4.1")
            }
        );
        assert_eq!(
            error.to_string(),
            "LLM model `openai/gpt-4-turbo` has been deleted: use `openai/gpt-4.1` instead"
        );
    }

    #[test]
    fn lenient_parse_follows_deleted_ids_with_a_replacement() {
        assert_eq!(INDEX.parse_lenient("openai/gpt-4-turbo"), Ok(0));
        let error = INDEX.parse_lenient("openai/o1-mini").unwrap_err();
        assert_eq!(
            error,
            ParseModelError::Deleted {
                id: "openai/o1-mini".into(),
                replacement: None
            }
        );
        assert!(error.to_string().contains("has no replacement"), "{error}");
    }

    #[test]
    fn unknown_ids_suggest_the_closest() {
        let error = INDEX.parse("openai/gpt-4.2").unwrap_err();
        assert_eq!(
            error,
            ParseModelError::Unknown {
                id: "openai/gpt-4.2".into(),
                suggestion: Some("openai/gpt-4.1")
            }
        );
        assert_eq!(
            error.to_string(),
            "unknown LLM model `openai/gpt-4.2`: did you mean `openai/gpt-4.1`?"
        );
        let far = INDEX.parse("mistral/large").unwrap_err();
        assert_eq!(
            far,
            ParseModelError::Unknown {
                id: "mistral/large".into(),
                suggestion: None
            }
        );
        assert!(far.to_string().contains("declared in models.toml"), "{far}");
        assert_eq!(far.id(), "mistral/large");
    }
}
