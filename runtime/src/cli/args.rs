//! The command-line interface, as clap derives it.

use clap::{Parser, Subcommand, ValueEnum};

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
