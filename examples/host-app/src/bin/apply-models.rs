//! The application's `apply-models`: llm-lifecycle's command line over the
//! catalogue compiled into this application (`host_app::CATALOG`, from its
//! `models.toml`). Run it at deploy, after the application's own migrations:
//! `cargo run -p llm-lifecycle-example-host-app --bin host-app-apply-models -- --database-url URL apply`
//! (named `host-app-apply-models` in this workspace only, beside llm-lifecycle's own).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    llm_lifecycle::runtime::cli::main(&host_app::CATALOG)
}
