//! Proc macros generating the typed `LlmModel` enum from `models.toml`.
