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
pub(super) struct PruneArgs {
    /// An environment that must have applied a deletion, as NAME=URL (repeatable;
    /// default: the database in use, named by --environment). NAME is letters,
    /// digits, `_`, `.` and `-`; a value without it is a usage error that never
    /// echoes the value (it may hold a password).
    #[arg(long = "env", value_name = "NAME=URL", value_parser = EnvArgParser)]
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
pub(super) struct EnvArg {
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

/// Parses `--env` values without ever echoing one in an error (clap's own
/// "invalid value '…'" would print the password).
#[derive(Clone, Copy)]
struct EnvArgParser;

impl clap::builder::TypedValueParser for EnvArgParser {
    type Value = EnvArg;

    fn parse_ref(
        &self,
        command: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<EnvArg, clap::Error> {
        let usage = |message: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("--env: {message}\n"),
            )
            .with_cmd(command)
        };
        let value = value
            .to_str()
            .ok_or_else(|| usage("the value is not valid UTF-8".into()))?;
        parse_env(value).map_err(usage)
    }
}

/// Whether `name` is a plain environment name: `[A-Za-z0-9_.-]+`.
fn is_environment_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `NAME=URL`, split at the first `=` only when what comes before it is a plain
/// environment name: `postgres://u:pw@h/db?sslmode=disable` (no `NAME=`) is
/// refused, never taken as the environment `postgres://u:pw@h/db?sslmode`. The
/// messages never contain the value.
fn parse_env(value: &str) -> Result<EnvArg, String> {
    const EXPECTED: &str = "expected NAME=URL, e.g. --env prod=postgres://app@db/app \
                            (NAME: letters, digits, `_`, `.`, `-`)";
    let value = value.trim();
    let Some((name, url)) = value
        .split_once('=')
        .filter(|(name, _)| is_environment_name(name.trim()))
    else {
        return Err(format!(
            "{EXPECTED}; this value does not start with NAME= (it is not shown: it may hold a password)"
        ));
    };
    let (name, url) = (name.trim(), url.trim());
    // `host=db password=…`: a libpq keyword/value string without NAME=.
    let looks_like_keyword_value = crate::db::is_keyword_value(value)
        && url.contains('=')
        && !crate::db::is_keyword_value(url)
        && !url.contains("://");
    if looks_like_keyword_value {
        return Err(format!(
            "{EXPECTED}; this value looks like a libpq keyword/value string without NAME= \
             (write e.g. --env 'prod={name}=…'; it is not shown: it may hold a password)"
        ));
    }
    if url.is_empty() {
        return Err(format!("{EXPECTED}; the URL after `{name}=` is empty"));
    }
    Ok(EnvArg {
        name: name.to_owned(),
        url: url.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_split_at_a_plain_name_only() {
        let env = parse_env("prod=postgres://u:pw@h/db?sslmode=disable").ok();
        assert_eq!(
            env.map(|env| (env.name, env.url)),
            Some(("prod".into(), "postgres://u:pw@h/db?sslmode=disable".into()))
        );
        let env = parse_env("st.ag-e_1 = host=db password=x").ok();
        assert_eq!(env.map(|env| env.name), Some("st.ag-e_1".into()));
        for value in [
            "postgres://u:hunter2@h/db?sslmode=disable",
            "postgres://u:hunter2@h/db",
            "host=db password=hunter2",
            "a/b=postgres://u:hunter2@h/db",
            "=postgres://u:hunter2@h/db",
        ] {
            let Err(message) = parse_env(value) else {
                panic!("{value} was accepted");
            };
            assert!(message.contains("expected NAME=URL"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
        assert!(parse_env("prod=").is_err());
        // An environment may be called like a libpq keyword.
        assert!(parse_env("host=/tmp/x.db").is_ok());
    }
}
