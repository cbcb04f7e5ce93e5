//! The process-wide tokio runtime the pure-Rust drivers' sessions run on
//! where diesel-async's wrapper is handed a runtime rather than making one
//! per session: every PostgreSQL session, and the MySQL sessions opened with
//! a CA file of their own (`ssl-ca`). One worker thread drives their
//! sockets; statements are awaited by the caller.

use std::sync::OnceLock;

/// The runtime, or why it could not start (kept for every later session).
static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// The shared runtime, started on first use.
pub(super) fn shared() -> Result<&'static tokio::runtime::Runtime, String> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("llm-lifecycle-db")
                .enable_all()
                .build()
                .map_err(|e| {
                    format!("cannot start the tokio runtime for the database sessions: {e}")
                })
        })
        .as_ref()
        .map_err(Clone::clone)
}
