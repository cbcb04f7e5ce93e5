//! The API generated from the fixture catalogue `tests/fixtures/valid.toml`, in a
//! crate of its own: the UI tests use its `LlmModel` and `model!` from another
//! crate, as users of `llm_lifecycle` do, without naming a model of the real
//! `models.toml` (whose routine changes must not touch their snapshots).
#![forbid(unsafe_code)]

llm_lifecycle::catalog!("../fixtures/valid.toml");
