//! llm-lifecycle: LLM model lifecycle as a compile-time fact.
//!
//! This crate compiles its `models.toml` (the catalogue of every provider's
//! models, which are deprecated and which are deleted) into a typed API:
//!
//! - [`LlmModel`] and [`Provider`]: one variant per live model and per provider,
//!   with their metadata ([`LlmModel::id`], [`LlmModel::token_limit`],
//!   [`LlmModel::replacement`], [`Provider::default_model`], …) read from static
//!   tables;
//! - deprecated variants carry `#[deprecated]`: every use is a compiler warning
//!   naming the replacement;
//! - [`model!`] checks an id at compile time: a deleted or unknown id is a
//!   compile error naming the replacement or the closest ids;
//! - [`CATALOG`]: the whole catalogue, deleted entries and `[[references]]`
//!   included, which the `apply-models` binary applies to the database.
//!
//! ```
//! use llm_lifecycle::{LlmModel, Provider, model};
//!
//! let model = model!("openai/gpt-4.1");
//! assert_eq!(model, LlmModel::OpenaiGpt4_1);
//! assert_eq!(model.id(), "openai/gpt-4.1");
//! assert_eq!(model.name(), "gpt-4.1");
//! assert_eq!(model.provider(), Provider::Openai);
//! assert_eq!(model.token_limit(), 1_000_000);
//! assert_eq!(model.to_string(), "openai/gpt-4.1");
//! assert_eq!(Provider::Openai.default_model(), LlmModel::OpenaiGpt4_1Mini);
//!
//! // Ids parse back; a deleted id is an error that names its replacement…
//! assert_eq!("openai/gpt-4.1".parse::<LlmModel>(), Ok(LlmModel::OpenaiGpt4_1));
//! let error = "openai/gpt-4-turbo".parse::<LlmModel>().unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "LLM model `openai/gpt-4-turbo` has been deleted: use `openai/gpt-4.1` instead"
//! );
//! // …which `parse_lenient` follows.
//! assert_eq!(LlmModel::parse_lenient("openai/gpt-4-turbo"), Ok(LlmModel::OpenaiGpt4_1));
//!
//! // Deprecated models stay usable, with a warning at every use.
//! #[allow(deprecated)]
//! let old = LlmModel::OpenaiGpt4_1Nano;
//! assert!(old.is_deprecated());
//! assert_eq!(old.replacement(), Some(LlmModel::OpenaiGpt4_1Mini));
//! assert_eq!(old.resolve(), LlmModel::OpenaiGpt4_1Mini);
//!
//! // The runtime takes the whole catalogue.
//! assert_eq!(llm_lifecycle::CATALOG.providers.len(), Provider::ALL.len());
//! ```
//!
//! Without `#[allow(deprecated)]`, the use of `LlmModel::OpenaiGpt4_1Nano` above
//! warns:
//!
//! ```text
//! warning: use of deprecated unit variant `llm_lifecycle::LlmModel::OpenaiGpt4_1Nano`:
//!          openai/gpt-4.1-nano is deprecated: use openai/gpt-4.1-mini
//! ```
//!
//! and `model!("openai/gpt-4-turbo")` does not compile:
//!
//! ```compile_fail
//! let model = llm_lifecycle::model!("openai/gpt-4-turbo");
//! // error: `openai/gpt-4-turbo` has been deleted from models.toml: use `model!("openai/gpt-4.1")` instead
//! ```
//!
//! # Features
//!
//! - `serde`: `Serialize`/`Deserialize` for [`LlmModel`] (as its id) and
//!   [`Provider`] (as its key); deserializing a deleted id fails naming the replacement.
//! - `diesel`: [`LlmModel`] as a diesel `Text` value on any backend.
//! - `cli` (default): the `apply-models` binary.
//!
//! # Your own catalogue
//!
//! `llm_lifecycle_macros::catalog!("path/to/models.toml")` at the root of your
//! crate generates the same API from your file (see [`catalog`] for the format and
//! validation rules).
#![forbid(unsafe_code)]

pub use llm_lifecycle_catalog as catalog;
pub use llm_lifecycle_catalog::generated_support::ParseModelError;

llm_lifecycle_macros::catalog!("models.toml");

/// The README's Rust examples, compiled and run as doctests (its `sh`, `toml`
/// and `text` blocks are not Rust and are left alone).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
