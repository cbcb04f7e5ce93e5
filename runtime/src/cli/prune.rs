//! `apply-models prune`: its arguments and how its result is printed.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{Cli, Format, exit, location, print, print_json};
use crate::db::{DatabaseUrl, redact};
use crate::prune::{self, Environment, PruneOptions, PruneReport};

/// Arguments of `prune`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct PruneArgs {
    /// An environment that must have applied a deletion, as NAME=URL (repeatable;
    /// default: the database in use, named by --environment).
    #[arg(long = "env", value_name = "NAME=URL", value_parser = parse_env)]
    pub envs: Vec<EnvArg>,

    /// The catalogue file to read (and edit with --write).
    #[arg(long, value_name = "PATH", default_value = "models.toml")]
    pub catalog: PathBuf,

    /// How long a deletion must have been on the branch: `30d` or `30` (days).
    #[arg(long, value_name = "DAYS", default_value = "30d", value_parser = parse_days)]
    pub min_age: u32,

    /// The branch whose git history counts (default: origin/HEAD's target,
    /// else main, else master, else the current branch).
    #[arg(long)]
    pub branch: Option<String>,

    /// Remove the safe entries from the catalogue file (comments and layout kept).
    #[arg(long)]
    pub write: bool,

    /// With --write: edit the file even if it has uncommitted changes.
    #[arg(long, requires = "write")]
    pub allow_dirty: bool,
}

/// `--env NAME=URL`; `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvArg {
    /// The name shown in the table.
    pub name: String,
    /// The database location, as given.
    pub url: String,
}

impl std::fmt::Debug for EnvArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.name, redact(&self.url))
    }
}

fn parse_env(value: &str) -> Result<EnvArg, String> {
    let (name, url) = value
        .split_once('=')
        .ok_or_else(|| "expected NAME=URL, e.g. prod=postgres://app@db/app".to_owned())?;
    let name = name.trim();
    if name.is_empty() || url.trim().is_empty() {
        return Err("expected NAME=URL with a non-empty name and URL".into());
    }
    Ok(EnvArg {
        name: name.to_owned(),
        url: url.trim().to_owned(),
    })
}

fn parse_days(value: &str) -> Result<u32, String> {
    let digits = value.trim().strip_suffix('d').unwrap_or(value.trim());
    digits
        .parse()
        .map_err(|_| format!("`{value}` is not a number of days; write e.g. 30d or 30"))
}

#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    report: &'a PruneReport,
    removed: Vec<String>,
}

/// Runs `prune`; the exit code.
pub(super) fn run(cli: &Cli, args: &PruneArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match execute(cli, args, out, err) {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            exit::ERROR
        }
    }
}

fn execute(
    cli: &Cli,
    args: &PruneArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, String> {
    if args.write && !args.allow_dirty {
        prune::ensure_committed(&args.catalog).map_err(|e| e.to_string())?;
    }
    let environments = if args.envs.is_empty() {
        vec![Environment {
            name: cli.environment.clone(),
            url: location(cli, err).map_err(|e| e.to_string())?,
        }]
    } else {
        args.envs
            .iter()
            .map(|env| {
                DatabaseUrl::parse(&env.url)
                    .map(|url| Environment {
                        name: env.name.clone(),
                        url,
                    })
                    .map_err(|e| format!("--env {}: {e}", env.name))
            })
            .collect::<Result<_, _>>()?
    };
    let options = PruneOptions {
        catalog: args.catalog.clone(),
        environments,
        min_age_days: args.min_age,
        branch: args.branch.clone(),
        now: None,
    };
    let report = prune::prune(&options).map_err(|e| e.to_string())?;
    let removed = if args.write {
        prune::write(&report, args.allow_dirty).map_err(|e| e.to_string())?
    } else {
        Vec::new()
    };
    if cli.format == Format::Json {
        print_json(
            out,
            &Output {
                report: &report,
                removed,
            },
        );
    } else {
        print(out, &prune::render::text(&report));
        if args.write {
            print(out, &prune::render::removed(&report, &removed));
        }
    }
    Ok(match report.undecided() {
        Some(reason) => {
            let _ = writeln!(err, "error: could not decide for every entry: {reason}");
            exit::ERROR
        }
        None => exit::OK,
    })
}
