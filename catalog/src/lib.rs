//! Parse and validate `models.toml`, the catalogue of LLM models behind llm-lifecycle.
//!
//! ```
//! use llm_lifecycle_catalog::{Catalog, Lookup};
//!
//! let catalog = Catalog::parse(
//!     r#"
//! [providers.openai]
//! models = [
//!   { name = "gpt-4.1-mini", token_limit = 1_000_000, default = true },
//!   { name = "gpt-4.1-nano", token_limit = 1_000_000, deprecated = true, replacement = "gpt-4.1-mini" },
//! ]
//! deleted = [{ name = "gpt-4-turbo", replacement = "gpt-4.1-nano" }]
//! "#,
//!     "models.toml",
//! )?;
//! assert!(matches!(catalog.lookup("openai/gpt-4-turbo"), Lookup::Deleted { .. }));
//! let end = catalog.chain_end("openai", "gpt-4-turbo").map(|model| &*model.name);
//! assert_eq!(end, Some("gpt-4.1-mini"));
//! # Ok::<(), llm_lifecycle_catalog::Diagnostics>(())
//! ```
//!
//! Errors are collected, not stopped at: [`Catalog::parse`] returns every problem
//! as a [`Diagnostic`] rendered `models.toml:LINE:COL: message` with the
//! offending line and a fix hint:
//!
//! ```text
//! models.toml:4:53: unknown key `deprecate` in model `openai/gpt-4.1-nano`
//!   |
//! 4 |   { name = "gpt-4.1-nano", token_limit = 1_000_000, deprecate = true },
//!   |                                                     ^^^^^^^^^
//!   = help: did you mean `deprecated`?
//! ```
//!
//! # What validation checks
//!
//! - Shape: the top level holds only `providers`, `references`,
//!   `notifications`, `model_table` and `apply`; every table only its known
//!   keys (a typo gets a did-you-mean hint); every value has its type
//!   (`token_limit` an integer in `1..=u32::MAX`, `sunset` and `deleted_on`
//!   unquoted dates, flags booleans).
//! - Names: provider keys match `[a-z][a-z0-9_-]*`; model names are non-empty
//!   without whitespace; `ident` is a Rust identifier that is not a keyword.
//! - Within a provider: no name twice (across `models` and `deleted` too);
//!   exactly one `default` and at most one `translation_default`, neither
//!   deprecated; `sunset` and `replacement` only on deprecated models.
//! - Replacements: a model of the same provider, not the entry itself; every
//!   chain, through deprecated or deleted entries, ends at a live model that
//!   is not deprecated (no dead ends, no cycles).
//! - Enum variants ([`naming`]): no two providers and no two models anywhere
//!   may become the same variant.
//! - `[[references]]`: plain SQL identifiers of at most 63 bytes; `key` exactly
//!   when `kind = "json"`; `url` placeholders `{id}` and `{team_id}` only; a
//!   `filter` without `;`; no `(table, column, key)` twice.
//! - `[apply]` (optional): `batch_size` an integer in `1..=100_000_000`
//!   ([`MAX_BATCH_SIZE`]), the default of `apply-models --batch-size`; `0` is
//!   refused (omit the key to apply in one transaction).
//!
//! # Using a catalogue
//!
//! [`Catalog::lookup`] tells a live model from a deleted one from an unknown
//! id; [`Catalog::chain_end`] follows replacements; [`CatalogIndex`] does both in
//! constant time for bulk work; [`Catalog::digest`] fingerprints the content
//! (layout and comments aside) for the runtime's ledger; [`suggest`] finds the
//! closest names for "did you mean" hints.
#![forbid(unsafe_code)]

pub mod diagnostic;
pub mod edit;
pub mod generated_support;
pub mod index;
pub mod lookup;
pub mod model;
pub mod naming;
mod parse;
mod render;
pub mod sql;
pub mod suggest;
pub mod sync;
mod validate;

#[cfg(test)]
mod test_util;

pub use diagnostic::{Diagnostic, Diagnostics, SourceMap};
pub use index::CatalogIndex;
pub use lookup::Lookup;
pub use model::*;
pub use naming::{model_id, split_id};
pub use parse::LoadError;
