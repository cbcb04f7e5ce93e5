//! The `apply-models` command line: `apply` (default), `plan`, `status`,
//! `history`, `migrate`, `prune`.
//!
//! The binary in the root crate is one call to [`main`]; tests call [`run`]
//! with arguments and output buffers.

mod args;
mod catalog;
mod output;
mod prune;

use std::ffi::OsString;
use std::io::{IsTerminal as _, Write};
use std::num::NonZeroU64;
use std::process::ExitCode;

use clap::Parser as _;
use llm_lifecycle_catalog::Catalog;
use serde::Serialize;

use args::{Cli, Command, Format};

use crate::apply::ApplyOptions;
use crate::db::{Database, DatabaseUrl, Timeouts};
use crate::error::Error;
use crate::notify::{Notifier, Webhook};
use crate::plan::{self, render};

/// Process exit codes.
pub mod exit {
    /// Done.
    pub const OK: u8 = 0;
    /// An error (connection, database, migration…).
    pub const ERROR: u8 = 1;
    /// Bad command-line usage (clap).
    pub const USAGE: u8 = 2;
    /// The plan was refused: fix the problems it lists.
    pub const REFUSED: u8 = 3;
    /// `plan --exit-code` / `status --exit-code`: there is something to do.
    pub const CHANGES: u8 = 4;
}

/// Entry point of the `apply-models` binary: reads `.env`, parses the process
/// arguments, runs, and returns the exit code.
#[must_use]
pub fn main(catalog: &Catalog) -> ExitCode {
    main_with_notifiers(catalog, &[])
}

/// [`main`] for a host binary that also delivers notices to its own sinks
/// (email, chat) after each successful `apply`; see [`crate::notify`].
#[must_use]
pub fn main_with_notifiers(catalog: &Catalog, notifiers: &[&dyn Notifier]) -> ExitCode {
    // A missing .env is normal; a malformed one is reported by the variable it breaks.
    let _ = dotenvy::dotenv();
    let code = run_with_notifiers(
        catalog,
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
        notifiers,
    );
    ExitCode::from(code)
}

/// Runs `apply-models` with `args` (the first is the program name), printing
/// results on `out` and messages on `err`; the exit code.
pub fn run<I, T>(catalog: &Catalog, args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_with_notifiers(catalog, args, out, err, &[])
}

/// [`run`], delivering notices to `notifiers` after a successful `apply`. A
/// failed delivery is reported on `err` and retried on the next run; it does
/// not change the exit code (the apply is committed).
pub fn run_with_notifiers<I, T>(
    catalog: &Catalog,
    args: I,
    out: &mut dyn Write,
    err: &mut dyn Write,
    notifiers: &[&dyn Notifier],
) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let rendered = error.render().to_string();
            let _ = if error.use_stderr() {
                write!(err, "{rendered}")
            } else {
                write!(out, "{rendered}")
            };
            return if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    if let Some(rendered) = unsupported_format(&cli) {
        let _ = write!(err, "{rendered}");
        return exit::USAGE;
    }
    init_tracing(cli.verbose, cli.quiet);
    match execute(catalog, &cli, out, err, notifiers) {
        Ok(code) => code,
        Err(error) => {
            let _ = writeln!(err, "error: {error}");
            // Refused before anything was written, like a refused plan.
            if matches!(error, Error::ForeignModelTable { .. }) {
                exit::REFUSED
            } else {
                exit::ERROR
            }
        }
    }
}

/// The usage error for `--format markdown` on a command that has no markdown
/// form (rendered like clap's own errors), or `None`.
fn unsupported_format(cli: &Cli) -> Option<String> {
    let name = match &cli.command {
        _ if cli.format != Format::Markdown => return None,
        None | Some(Command::Apply | Command::Plan { .. }) => return None,
        Some(Command::Status { .. }) => "status",
        Some(Command::Check) => "check",
        Some(Command::History { .. }) => "history",
        Some(Command::Migrate) => "migrate",
        Some(Command::Prune(_)) => "prune",
        Some(Command::Catalog(_)) => "catalog",
    };
    let message = format!(
        "`--format markdown` is available for `plan` and `apply` only; `{name}` prints \
         `--format text` or `--format json`"
    );
    let error = <Cli as clap::CommandFactory>::command()
        .error(clap::error::ErrorKind::InvalidValue, message);
    Some(error.render().to_string())
}

/// Whether stderr gets ANSI colours: only on a terminal, and never with `NO_COLOR` set.
fn stderr_is_colored() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("APPLY_MODELS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Already set when run twice in one process (tests): keep the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(stderr_is_colored())
        .with_writer(std::io::stderr)
        .try_init();
}

/// The database location from `--database-url` / `DATABASE_URL`, else the default
/// SQLite file (announced on `err`).
fn location(cli: &Cli, err: &mut dyn Write) -> Result<DatabaseUrl, Error> {
    match cli.database_url.as_deref() {
        Some(url) => DatabaseUrl::parse(url),
        None => {
            let url = DatabaseUrl::default_sqlite();
            if !cli.quiet {
                let _ = writeln!(
                    err,
                    "No --database-url or DATABASE_URL: using the SQLite file {url} in the current directory."
                );
            }
            Ok(url)
        }
    }
}

fn execute(
    catalog: &Catalog,
    cli: &Cli,
    out: &mut dyn Write,
    err: &mut dyn Write,
    notifiers: &[&dyn Notifier],
) -> Result<u8, Error> {
    if let Some(Command::Catalog(args)) = &cli.command {
        // Catalogue edits touch the file only, never a database.
        return Ok(catalog::run(cli, args, out, err));
    }
    if let Some(Command::Prune(args)) = &cli.command {
        // Prune reads the catalogue file and its own list of environments.
        return Ok(prune::run(cli, args, out, err));
    }
    let command = cli.command.clone().unwrap_or(Command::Apply);
    // A bad webhook URL or secret is a usage error, before anything is written.
    let webhook = match command {
        Command::Apply => {
            match Webhook::configured(cli.notify_webhook.as_deref(), cli.webhook_format, catalog) {
                Ok(webhook) => webhook,
                Err(error) => {
                    let _ = writeln!(err, "error: {error}");
                    return Ok(exit::USAGE);
                }
            }
        }
        _ => None,
    };
    let url = location(cli, err)?;
    let mut db = match command {
        Command::Apply | Command::Migrate | Command::Prune(_) | Command::Catalog(_) => {
            Database::connect(&url)?
        }
        // Read-only commands never create or write anything (a typo in the path
        // must not leave an empty database behind).
        Command::Plan { .. } => match Database::connect_read_only(&url) {
            Err(Error::NoDatabase { url: shown }) => {
                if !cli.quiet {
                    let _ = writeln!(
                        err,
                        "note: the SQLite database {shown} does not exist yet: planning against an \
                         empty database (apply would create it; plan does not)."
                    );
                }
                Database::connect(&DatabaseUrl::sqlite_in_memory())?
            }
            connected => connected?,
        },
        Command::Status { .. } | Command::History { .. } | Command::Check => {
            Database::connect_read_only(&url)?
        }
    };
    tracing::info!(database = %url, "connected");
    match command {
        Command::Apply => {
            let mut sinks = notifiers.to_vec();
            sinks.extend(webhook.as_ref().map(|webhook| webhook as &dyn Notifier));
            let code = apply(catalog, cli, &mut db, out, err, &sinks);
            if let Some(reason) = webhook.as_ref().and_then(Webhook::disabled) {
                let _ = writeln!(
                    err,
                    "warning: {reason}; its notices are retried on the next run"
                );
            }
            code
        }
        Command::Plan { exit_code } => {
            let plan = crate::plan::plan_with(&mut db, catalog, &plan_options(cli, catalog))?;
            match cli.format {
                Format::Text => print(out, &render::text(&plan)),
                Format::Json => print_json(out, &plan),
                Format::Markdown => print(out, &markdown_line(&plan::markdown::markdown(&plan))),
            }
            Ok(if plan.is_refused() {
                exit::REFUSED
            } else if exit_code && !plan.is_noop() {
                exit::CHANGES
            } else {
                exit::OK
            })
        }
        Command::Status { exit_code } => {
            let status = crate::status::status_with(&mut db, catalog, &plan_options(cli, catalog))?;
            match cli.format {
                Format::Text | Format::Markdown => print(
                    out,
                    &output::status(&status, &url.to_string(), &cli.environment),
                ),
                Format::Json => print_json(out, &status),
            }
            Ok(if status.plan.is_refused() {
                exit::REFUSED
            } else if exit_code && !status.in_sync() {
                exit::CHANGES
            } else {
                exit::OK
            })
        }
        Command::Check => {
            let check = crate::sunset::check(&mut db, catalog, &plan_options(cli, catalog))?;
            match cli.format {
                Format::Text | Format::Markdown => print(out, &output::check(&check)),
                Format::Json => print_json(out, &check),
            }
            Ok(if check.passed() {
                exit::OK
            } else {
                exit::REFUSED
            })
        }
        Command::History { limit, all } => {
            let environment = (!all).then_some(cli.environment.as_str());
            let runs = crate::ledger::history(&mut db, environment, limit)?;
            match cli.format {
                Format::Text | Format::Markdown => print(out, &output::history(&runs, environment)),
                Format::Json => print_json(out, &runs),
            }
            Ok(exit::OK)
        }
        // Handled above, before any connection; kept for exhaustiveness.
        Command::Prune(args) => Ok(prune::run(cli, &args, out, err)),
        Command::Catalog(args) => Ok(catalog::run(cli, &args, out, err)),
        Command::Migrate => {
            let applied = crate::apply::migrate_with(&mut db, catalog, &timeouts(cli))?;
            match cli.format {
                Format::Text | Format::Markdown if applied.is_empty() => {
                    print(out, "Schema up to date.\n")
                }
                Format::Text | Format::Markdown => print(
                    out,
                    &format!("Applied schema migrations: {}\n", applied.join(", ")),
                ),
                Format::Json => print_json(out, &applied),
            }
            Ok(exit::OK)
        }
    }
}

/// What `plan`, `status` and `check` plan with, from the global options.
fn plan_options(cli: &Cli, catalog: &Catalog) -> crate::plan::PlanOptions {
    crate::plan::PlanOptions {
        environment: cli.environment.clone(),
        allow_restore: cli.allow_restore.clone(),
        today: cli.today,
        batch_size: batch_size(cli, catalog),
    }
}

/// `--batch-size` when given (0: none, whatever the catalogue says), else the
/// catalogue's `[apply] batch_size`.
fn batch_size(cli: &Cli, catalog: &Catalog) -> Option<NonZeroU64> {
    match cli.batch_size {
        Some(size) => NonZeroU64::new(size),
        None => catalog.apply.batch_size,
    }
}

fn apply(
    catalog: &Catalog,
    cli: &Cli,
    db: &mut Database<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    notifiers: &[&dyn Notifier],
) -> Result<u8, Error> {
    let options = ApplyOptions {
        environment: cli.environment.clone(),
        progress: !cli.quiet && std::io::stderr().is_terminal(),
        timeouts: timeouts(cli),
        allow_restore: cli.allow_restore.clone(),
        today: cli.today,
        batch_size: batch_size(cli, catalog),
        #[cfg(feature = "test-hooks")]
        fail_at: crate::hooks::FailPoint::from_env(),
        #[cfg(feature = "test-hooks")]
        between_batches: None,
        #[cfg(feature = "test-hooks")]
        between_folds: None,
    };
    match crate::apply(db, catalog, &options) {
        Ok(report) => {
            match cli.format {
                Format::Text => print(out, &output::applied(&report)),
                Format::Json => print_json(out, &report),
                Format::Markdown => print(
                    out,
                    &format!(
                        "{}\n\n{}",
                        plan::markdown::markdown(&report.plan),
                        output::applied_line(&report)
                    ),
                ),
            }
            match crate::notify::deliver(db, notifiers) {
                Ok(delivery) if delivery.failed > 0 => {
                    let _ = writeln!(
                        err,
                        "warning: {} notification deliveries failed; they are retried on the next run",
                        delivery.failed
                    );
                }
                Ok(_) => {}
                Err(error) => {
                    let _ = writeln!(
                        err,
                        "warning: notifications were not delivered ({error}); they are retried on the next run"
                    );
                }
            }
            Ok(exit::OK)
        }
        Err(Error::Refused(plan)) => {
            match cli.format {
                Format::Text => print(out, &render::text(&plan)),
                Format::Json => print_json(out, &plan),
                Format::Markdown => print(out, &markdown_line(&plan::markdown::markdown(&plan))),
            }
            let _ = writeln!(
                err,
                "error: plan refused ({} problem(s)); nothing was written. Fix them and run again.",
                plan.refusals.len()
            );
            Ok(exit::REFUSED)
        }
        Err(error) => Err(error),
    }
}

/// `--lock-timeout` and `--statement-timeout`.
fn timeouts(cli: &Cli) -> Timeouts {
    Timeouts {
        lock: cli.lock_timeout,
        statement: cli.statement_timeout,
    }
}

/// Markdown ends with one newline on stdout.
fn markdown_line(markdown: &str) -> String {
    format!("{markdown}\n")
}

fn print(out: &mut dyn Write, text: &str) {
    let _ = out.write_all(text.as_bytes());
}

fn print_json(out: &mut dyn Write, value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(json) => {
            let _ = writeln!(out, "{json}");
        }
        Err(error) => {
            let _ = writeln!(out, "{{\"error\": {:?}}}", error.to_string());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_is_the_option_else_the_catalogue() {
        let models =
            "[providers.p]\nmodels = [{ name = \"m\", token_limit = 8, default = true }]\n";
        let plain = Catalog::parse(models, "models.toml").unwrap();
        let batched =
            Catalog::parse(&format!("{models}[apply]\nbatch_size = 2\n"), "models.toml").unwrap();
        let size = |args: &[&str], catalog: &Catalog| {
            let cli = Cli::try_parse_from(["apply-models"].iter().chain(args)).unwrap();
            batch_size(&cli, catalog).map(NonZeroU64::get)
        };
        assert_eq!(size(&[], &plain), None);
        assert_eq!(size(&[], &batched), Some(2));
        assert_eq!(size(&["--batch-size", "5"], &plain), Some(5));
        assert_eq!(size(&["--batch-size", "5"], &batched), Some(5));
        assert_eq!(size(&["--batch-size", "0"], &plain), None);
        assert_eq!(size(&["--batch-size", "0"], &batched), None);
        assert_eq!(size(&["plan", "--batch-size", "0"], &batched), None);
    }
}
