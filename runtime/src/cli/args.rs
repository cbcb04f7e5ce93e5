//! The command-line interface, as clap derives it.

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use llm_lifecycle_catalog::Date;

use crate::notify::WebhookFormat;
use crate::plan::ModelId;

/// Converge the database on the LLM model catalogue compiled into this binary.
///
/// Without a subcommand, applies. Exit codes: 0 done, 1 error, 2 usage,
/// 3 plan refused, 4 something to do (`plan` and `status` with --exit-code).
#[derive(Debug, Parser)]
#[command(name = "apply-models", version, about, long_about = None)]
pub(super) struct Cli {
    /// What to do (default: apply).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// A postgres:// URL or a SQLite file path (default: llm-models.db in the current directory).
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// The environment name recorded in the ledger.
    #[arg(long, global = true, default_value = "default")]
    pub environment: String,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// More logging on stderr (-v info, -vv debug, -vvv SQL).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Only errors on stderr, no progress bar.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// How long apply and migrate wait for the deploy lock and for each row
    /// or table lock before giving up (everything rolled back, exit 1):
    /// 500ms, 5s, 2m, 1h; 0 waits forever. MySQL counts whole seconds.
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        default_value = "5s",
        value_parser = parse_lock_timeout
    )]
    pub lock_timeout: Duration,

    /// How long any one statement of apply and migrate may run (everything
    /// rolled back, exit 1): 500ms, 5s, 2m, 1h; 0 for no limit. Default: the
    /// server's setting. PostgreSQL and MariaDB: every statement; MySQL 8:
    /// SELECTs only; SQLite has none (ignored, with a warning).
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        value_parser = parse_statement_timeout
    )]
    pub statement_timeout: Option<Duration>,
    /// Create PROVIDER/NAME again although an earlier run deleted it (a model
    /// that really is coming back); repeatable. Without it such a plan is
    /// refused: the build being deployed looks older than that deletion.
    #[arg(long, global = true, value_name = "PROVIDER/NAME", value_parser = model_id)]
    pub allow_restore: Vec<ModelId>,

    /// Count sunsets from this day (YYYY-MM-DD) instead of today (UTC): for
    /// tests and dry runs of plan, status, apply and check.
    #[arg(long, global = true, value_name = "YYYY-MM-DD", value_parser = date)]
    pub today: Option<Date>,

    /// Move references to deleted models in batches of at most N rows, each
    /// committed on its own, before the final transaction (row locks held
    /// per batch, not for the whole apply); 0 moves everything in that one
    /// transaction. Default: `[apply] batch_size` in models.toml, else 0.
    #[arg(long, global = true, value_name = "N")]
    pub batch_size: Option<u64>,

    /// After apply, POST each notice not yet delivered to URL (Standard
    /// Webhooks headers; signed when LLM_LIFECYCLE_WEBHOOK_SECRET holds a
    /// whsec_ secret). Default: the URL in the variable `[notifications]
    /// webhook_env` names. A failed delivery is retried on the next run.
    #[arg(long, global = true, value_name = "URL")]
    pub notify_webhook: Option<String>,

    /// The webhook's body: the notice as JSON, or a Slack incoming-webhook message.
    #[arg(long, global = true, value_enum, default_value_t = WebhookFormat::Standard)]
    pub webhook_format: WebhookFormat,
}

/// `YYYY-MM-DD`.
fn date(value: &str) -> Result<Date, String> {
    value
        .parse()
        .map_err(|e: llm_lifecycle_catalog::ParseDateError| e.to_string())
}

/// `provider/name` (the name may itself hold `/`).
fn model_id(value: &str) -> Result<ModelId, String> {
    match value.split_once('/') {
        Some((provider, name)) if !provider.is_empty() && !name.is_empty() => {
            Ok(ModelId::new(provider, name))
        }
        _ => Err(format!(
            "`{value}` is not a model id: write provider/name, as `plan` prints it (openai/gpt-4o)"
        )),
    }
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub(super) enum Command {
    /// Make the database match the catalogue (the default).
    Apply,
    /// Show what apply would do, writing nothing.
    Plan {
        /// Exit 4 when there is something to do, 0 when there is nothing (for CI).
        #[arg(long)]
        exit_code: bool,
    },
    /// Show the drift between the catalogue and the database, and the last apply.
    Status {
        /// Exit 4 when there is drift, 0 when there is none (for CI).
        #[arg(long)]
        exit_code: bool,
    },
    /// Fail (exit 3) when a team still uses a deprecated model whose sunset
    /// has passed, naming the model, the date and the teams; writes nothing.
    Check,
    /// List the runs recorded in the ledger, newest first.
    History {
        /// How many runs to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Show runs of every environment, not only --environment.
        #[arg(long)]
        all: bool,
    },
    /// Create or update only the runtime's own schema (for platforms whose
    /// migrations add foreign keys to llm_provider_models before the first apply).
    Migrate,
    /// List the deleted entries that are safe to remove from models.toml
    /// (applied in every environment, on the main branch long enough); --write removes them.
    Prune(super::prune::PruneArgs),
    /// Edit models.toml: deprecate, delete or add a model, or compare it with
    /// a models.dev api.json (sync); validated before anything is written.
    Catalog(super::catalog::CatalogArgs),
}

/// How results are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    /// Human-readable, diff-like.
    Text,
    /// One JSON document.
    Json,
    /// A pull-request comment (`plan` and `apply` only: a usage error elsewhere).
    Markdown,
}

/// `--lock-timeout`: a duration, `0` waiting forever.
fn parse_lock_timeout(value: &str) -> Result<Duration, String> {
    parse_duration(value, "0 waits forever")
}

/// `--statement-timeout`: a duration, `0` for no limit.
fn parse_statement_timeout(value: &str) -> Result<Duration, String> {
    parse_duration(value, "0 for no limit")
}

/// A whole number followed by `ms`, `s`, `m` or `h`, or a bare `0`; the
/// error names the accepted forms and what `0` means (`zero`).
fn parse_duration(value: &str, zero: &str) -> Result<Duration, String> {
    let expected = || format!("expected a duration such as 500ms, 5s, 2m or 1h, or 0 ({zero})");
    let value = value.trim();
    if value == "0" {
        return Ok(Duration::ZERO);
    }
    let digits = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(digits);
    let number: u64 = number.parse().map_err(|_| expected())?;
    let millis = match unit {
        "ms" => Some(number),
        "s" => number.checked_mul(1000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => return Err(expected()),
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{value} is too long; {}", expected()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::panic)]
    fn durations_parse_in_the_documented_forms() {
        let parse = |value| parse_duration(value, "0 waits forever");
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
        for bad in [
            "",
            "5",
            "1.5s",
            "5 s",
            "-1s",
            "s",
            "5sec",
            "5S",
            "18446744073709551615h",
        ] {
            let Err(error) = parse(bad) else {
                panic!("{bad:?} parsed");
            };
            assert!(
                error.contains("500ms, 5s, 2m or 1h, or 0 (0 waits forever)"),
                "{bad}: {error}"
            );
        }
    }
}
