//! A small diesel application that lets its users pick LLM models, and governs
//! its own table of models with llm-lifecycle.
//!
//! - `models.toml` is its catalogue; [`catalog!`](macro@llm_lifecycle::catalog)
//!   below compiles it into [`LlmModel`], [`Provider`], [`model!`] and
//!   [`CATALOG`]. Its `[model_table]` names the application's own table,
//!   `app_llm_models`, which the application's migrations create.
//! - [`migrations`]: the application's own diesel migrations, one directory
//!   per engine, run by diesel's own harness.
//! - [`schema`]: its `schema.rs`; [`records`]: the code that stores and loads
//!   [`LlmModel`] (a diesel `Text` column) and model rows.
//! - [`deploy`]: the deploy step, in-process on a connection the application
//!   holds: its migrations, then llm-lifecycle's apply of the catalogue.
//! - `src/bin/apply-models.rs`: the same apply as a command line, over
//!   [`CATALOG`].
#![forbid(unsafe_code)]

llm_lifecycle::catalog!("models.toml");

pub mod connection;
pub mod deploy;
pub mod migrations;
pub mod records;
pub mod schema;
