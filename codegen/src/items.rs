//! The public items: the `Provider` and `LlmModel` enums, their methods (reading
//! the tables of [`super::tables`]), and the trait implementations.

use super::docs::{deprecation_note, thousands, variant_doc};
use super::plan::Plan;
use super::{Options, Out, lit, w};

/// [`CRATE_ROOT`] as a literal, so the paths below are built from it by `concat!`.
macro_rules! crate_root {
    () => {
        "__llm_lifecycle_crate"
    };
}

/// The root of every path into llm-lifecycle in generated code: a placeholder
/// identifier that `catalog!` replaces, token by token, with the path it is
/// given as `crate = …` (`$crate` of `llm_lifecycle::catalog!`). So the code
/// names `$crate::__private::…`, which resolves wherever the expansion sits,
/// and never a crate the calling crate did not add.
///
/// It may appear only in the parts of kind [`crate::PartKind::Rooted`], and there
/// only outside `[…]`: the substitution does not look into bracket groups,
/// which hold the per-model tables (and attributes), so that its cost does not
/// grow with the catalogue. `CATALOG_CRATE` and `SUPPORT` are used in the data
/// module's `use … as c;`/`use … as g;` and in items at the level of the
/// expansion, never inside a table.
pub const CRATE_ROOT: &str = crate_root!();
/// llm-lifecycle's hidden module of what generated code needs (the catalog
/// crate, the proc macros, serde and diesel support).
pub(crate) const PRIVATE: &str = concat!(crate_root!(), "::__private");
/// The path of the catalog crate in generated code.
pub(crate) const CATALOG_CRATE: &str = concat!(crate_root!(), "::__private::catalog");
/// The catalog crate's support module: `const fn` constructors, `ModelIndex`.
pub(crate) const SUPPORT: &str = concat!(crate_root!(), "::__private::catalog::generated_support");
/// The private module holding the tables.
pub(crate) const DATA: &str = "__llm_lifecycle_data";
/// Primitive types are named by path: a user's `type u32 = …;` next to
/// `catalog!` (or an extern crate of that name) cannot change them.
pub(crate) const U16: &str = "::core::primitive::u16";
/// See [`U16`].
pub(crate) const U8: &str = "::core::primitive::u8";
/// See [`U16`].
pub(crate) const U32: &str = "::core::primitive::u32";
/// See [`U16`].
pub(crate) const USIZE: &str = "::core::primitive::usize";
/// See [`U16`].
pub(crate) const BOOL: &str = "::core::primitive::bool";
/// See [`U16`].
pub(crate) const STR: &str = "::core::primitive::str";

/// `pub enum Provider`.
pub(crate) fn provider_enum(out: &mut Out, plan: &Plan<'_>, options: &Options<'_>) {
    w!(
        out,
        "#[doc = {}]\n",
        lit(&format!(
            "An LLM provider declared in `{}` ({} providers).\n\n\
             [`Provider::key`] is the key of its `[providers.KEY]` table; \
             [`Provider::models`] lists its live models.",
            options.origin,
            plan.providers.len()
        ))
    );
    out.push("#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[repr(u16)]\npub enum Provider {\n");
    for provider in &plan.providers {
        let entry = provider.provider;
        let doc = format!(
            "`{}` ({}): {} models, default `{}`.",
            entry.key,
            entry.label,
            provider.end - provider.first,
            plan.id(provider.default)
        );
        w!(out, "#[doc = {}]\n{},\n", lit(&doc), provider.variant);
    }
    out.push("}\n");
}

/// `pub enum LlmModel`, deprecated variants marked `#[deprecated]`.
pub(crate) fn model_enum(out: &mut Out, plan: &Plan<'_>, options: &Options<'_>) {
    let deprecated = plan.rows.iter().filter(|row| row.model.deprecated).count();
    w!(
        out,
        "#[doc = {}]\n",
        lit(&format!(
            "An LLM model declared in `{}`: {} models of {} providers, {deprecated} of them deprecated.\n\n\
             Each variant documents its id, token limit and status. Using a deprecated \
             variant is a `deprecated` warning naming its replacement. `Display` and \
             [`LlmModel::id`] give the id `provider/name`; `str::parse` reads it back \
             (a deleted id is an error naming its replacement, see also \
             [`LlmModel::parse_lenient`]).",
            options.origin,
            plan.rows.len(),
            plan.providers.len()
        ))
    );
    out.push(
        "#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[repr(u16)]\npub enum LlmModel {\n",
    );
    for row in &plan.rows {
        w!(out, "#[doc = {}]\n", lit(&variant_doc(plan, row)));
        if row.model.deprecated {
            w!(
                out,
                "#[deprecated(note = {})]\n",
                lit(&deprecation_note(plan, row))
            );
        }
        w!(out, "{},\n", row.variant);
    }
    out.push("}\n");
}

/// `impl Provider`: the `ALL` slice and the metadata methods.
pub(crate) fn provider_impls(out: &mut Out, plan: &Plan<'_>) {
    out.push("#[allow(deprecated)]\nimpl Provider {\n");
    out.push("/// Every provider, in declaration order.\npub const ALL: &'static [Provider] = &[");
    for provider in &plan.providers {
        w!(out, "Provider::{},", provider.variant);
    }
    out.push("];\n");
    w!(
        out,
        "/// The key of its `[providers.KEY]` table, e.g. `openai`.\n\
         pub fn key(self) -> &'static {STR} {{ &{DATA}::PROVIDERS[self as {USIZE}].key }}\n\
         /// Its display label (the key when none is declared).\n\
         pub fn label(self) -> &'static {STR} {{ &{DATA}::PROVIDERS[self as {USIZE}].label }}\n\
         /// Its live models (deprecated ones included), in declaration order.\n\
         pub fn models(self) -> &'static [LlmModel] {{\n\
         let (first, end) = {DATA}::PROVIDER_MODELS[self as {USIZE}];\n\
         &LlmModel::all()[first as {USIZE}..end as {USIZE}]\n}}\n\
         /// Its default model (`default = true`).\n\
         pub fn default_model(self) -> LlmModel {{ LlmModel::all()[{DATA}::PROVIDER_DEFAULT[self as {USIZE}] as {USIZE}] }}\n\
         /// Its default model for translation (`translation_default = true`), if any.\n\
         pub fn translation_default(self) -> ::core::option::Option<LlmModel> {{ {DATA}::model_at({DATA}::PROVIDER_TRANSLATION[self as {USIZE}]) }}\n\
         /// Its catalogue entry, deleted models included.\n\
         pub fn catalog_entry(self) -> &'static {CATALOG_CRATE}::Provider {{ &{DATA}::PROVIDERS[self as {USIZE}] }}\n\
         /// The provider with this key.\n\
         pub fn from_key(key: &{STR}) -> ::core::option::Option<Provider> {{ Provider::ALL.iter().copied().find(|provider| provider.key() == key) }}\n\
         }}\n"
    );
}

/// `impl LlmModel`: `all()`, the metadata methods and `parse_lenient`.
pub(crate) fn model_impls(out: &mut Out, plan: &Plan<'_>) {
    out.push("#[allow(deprecated)]\nimpl LlmModel {\n");
    w!(
        out,
        "/// Every live model (deprecated ones included), provider by provider in\n\
         /// declaration order.\n\
         ///\n\
         /// A function, not a `const`: the slice is built on first use (one\n\
         /// allocation of two bytes per model, kept for the life of the process).\n\
         /// rustc checks the value of every `const` and `static` in time that grows\n\
         /// with the square of the number of variants it holds, so a constant of\n\
         /// every model would dominate the build of a large catalogue.\n\
         pub fn all() -> &'static [LlmModel] {{ {DATA}::all() }}\n"
    );
    let max_tokens = plan
        .rows
        .iter()
        .map(|row| row.model.token_limit)
        .max()
        .unwrap_or(0);
    w!(
        out,
        "/// Its provider.\n\
         pub fn provider(self) -> Provider {{ Provider::ALL[{DATA}::PROVIDER_OF[self as {USIZE}] as {USIZE}] }}\n\
         /// Its name within the provider, e.g. `gpt-4.1-mini`.\n\
         pub fn name(self) -> &'static {STR} {{ &{DATA}::MODELS[self as {USIZE}].name }}\n\
         /// Its id `provider/name`, e.g. `openai/gpt-4.1-mini` (also its `Display`).\n\
         pub fn id(self) -> &'static {STR} {{ {DATA}::IDS[self as {USIZE}] }}\n\
         /// Its context window in tokens (at most {} in this catalogue).\n\
         pub fn token_limit(self) -> {U32} {{ {DATA}::MODELS[self as {USIZE}].token_limit }}\n\
         /// Whether it is deprecated: still usable, to be replaced.\n\
         pub fn is_deprecated(self) -> {BOOL} {{ {DATA}::MODELS[self as {USIZE}].deprecated }}\n\
         /// The model to use instead, as declared by `replacement` (when that names a\n\
         /// deleted entry: the end of its chain).\n\
         pub fn replacement(self) -> ::core::option::Option<LlmModel> {{ {DATA}::model_at({DATA}::REPLACEMENT[self as {USIZE}]) }}\n\
         /// The end of its replacement chain: a live, non-deprecated model, or\n\
         /// itself when it has no replacement.\n\
         pub fn resolve(self) -> LlmModel {{ LlmModel::all()[{DATA}::RESOLVED[self as {USIZE}] as {USIZE}] }}\n\
         /// When a deprecated model is planned to be deleted, if declared.\n\
         pub fn sunset(self) -> ::core::option::Option<{CATALOG_CRATE}::Date> {{ {DATA}::MODELS[self as {USIZE}].sunset }}\n\
         /// Whether it is its provider's default model.\n\
         pub fn is_default(self) -> {BOOL} {{ {DATA}::MODELS[self as {USIZE}].default }}\n\
         /// Whether it is its provider's default model for translation.\n\
         pub fn is_translation_default(self) -> {BOOL} {{ {DATA}::MODELS[self as {USIZE}].translation_default }}\n\
         /// Its catalogue entry.\n\
         pub fn catalog_entry(self) -> &'static {CATALOG_CRATE}::Model {{ &{DATA}::MODELS[self as {USIZE}] }}\n\
         /// Parses an id like `str::parse`, except that a deleted id with a\n\
         /// replacement gives the end of its replacement chain.\n\
         ///\n\
         /// # Errors\n\
         /// An unknown id, or a deleted one without replacement.\n\
         pub fn parse_lenient(id: &{STR}) -> ::core::result::Result<LlmModel, {CATALOG_CRATE}::generated_support::ParseModelError> {{\n\
         {DATA}::INDEX.parse_lenient(id).map(|index| LlmModel::all()[index])\n}}\n\
         }}\n",
        thousands(max_tokens)
    );
}

/// `Display`, `Debug` and `FromStr`.
pub(crate) fn trait_impls(out: &mut Out) {
    w!(
        out,
        "impl ::core::fmt::Display for LlmModel {{\n\
         fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{ f.pad(self.id()) }}\n}}\n\
         impl ::core::fmt::Debug for LlmModel {{\n\
         fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{ f.write_str({DATA}::VARIANTS[*self as {USIZE}]) }}\n}}\n\
         #[allow(deprecated)]\n\
         impl ::core::str::FromStr for LlmModel {{\n\
         type Err = {CATALOG_CRATE}::generated_support::ParseModelError;\n\
         fn from_str(id: &{STR}) -> ::core::result::Result<Self, Self::Err> {{ {DATA}::INDEX.parse(id).map(|index| LlmModel::all()[index]) }}\n}}\n\
         impl ::core::fmt::Display for Provider {{\n\
         fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{ f.pad(self.key()) }}\n}}\n\
         impl ::core::fmt::Debug for Provider {{\n\
         fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{ f.write_str({DATA}::PROVIDER_VARIANTS[*self as {USIZE}]) }}\n}}\n"
    );
}

/// `Serialize`/`Deserialize` as the id (models) or key (providers): a call of
/// llm-lifecycle's helper, which expands to the impls when llm-lifecycle's
/// `serde` feature is on and to nothing otherwise. The feature is
/// llm-lifecycle's, so the generated code holds no `#[cfg(feature = …)]` that
/// the calling crate would have to declare.
pub(crate) fn serde_impls(out: &mut Out, options: &Options<'_>) {
    w!(
        out,
        "{PRIVATE}::serde_impls! {{ LlmModel Provider {} }}\n",
        lit(options.origin)
    );
}

/// `LlmModel` as diesel's `Text` on every backend (`AsExpression`, `ToSql`,
/// `FromSql`, `Queryable`): a call of llm-lifecycle's helper, which expands to
/// the impls when llm-lifecycle's `diesel` feature is on, to nothing otherwise.
pub(crate) fn diesel_impls(out: &mut Out) {
    w!(out, "{PRIVATE}::diesel_impls! {{ LlmModel }}\n");
}
