//! `apply-models`: converge the database on the catalogue compiled into this binary.
//!
//! `cargo run --bin apply-models [apply|plan|status|history|migrate]`; see
//! `llm_lifecycle::runtime::cli`. The catalogue is [`llm_lifecycle::CATALOG`],
//! generated from `models.toml` at compile time: the deployed binary can only
//! apply the catalogue it was built with. A host's own `apply-models` is the
//! same `main` over the `CATALOG` of its own `llm_lifecycle::catalog!`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    llm_lifecycle::runtime::cli::main(&llm_lifecycle::CATALOG)
}
