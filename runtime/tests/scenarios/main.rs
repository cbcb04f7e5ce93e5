//! The runtime's integration tests, one test binary: every scenario on SQLite,
//! PostgreSQL and, when test-support's `mysql` feature is on, MariaDB/MySQL
//! (`backend_tests!` names them `MODULE::sqlite::NAME`, `MODULE::postgres::NAME`
//! and `MODULE::mysql::NAME`), each on a throwaway database of its own.
//!
//! `common`, `notifications_support` and `prune_support` are the shared
//! fixtures; the other modules are scenarios. Tests that run a child process
//! of this binary name their entry point with [`common::test_name`].

mod common;
mod notifications_support;
mod prune_support;

mod batches;
mod cli;
mod concurrency;
mod crashes;
mod django;
mod gathered;
mod host_table;
mod ledger;
mod lifecycle;
mod migrations;
mod models;
mod notification_links;
mod notifications;
mod notifications_cli;
mod planner;
mod pooler;
mod processes;
mod prune;
mod prune_frozen_catalog;
mod readme;
mod references;
mod reminders;
mod rollback;
mod stale_catalog;
mod sunset;
mod timeouts;
mod tls;
mod webhook;
mod written;
