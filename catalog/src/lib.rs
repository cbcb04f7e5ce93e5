//! Parse and validate `models.toml`, the catalogue of LLM models behind llm-lifecycle.
#![forbid(unsafe_code)]

pub mod model;

pub use model::*;
