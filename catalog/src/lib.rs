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
//! offending line and a fix hint.
#![forbid(unsafe_code)]

pub mod diagnostic;
pub mod generated_support;
pub mod index;
pub mod lookup;
pub mod model;
pub mod naming;
mod parse;
mod render;
pub mod suggest;
mod validate;

#[cfg(test)]
mod test_util;

pub use diagnostic::{Diagnostic, Diagnostics, SourceMap};
pub use index::CatalogIndex;
pub use lookup::Lookup;
pub use model::*;
pub use naming::{model_id, split_id};
pub use parse::LoadError;
