//! `apply-models catalog …`: lifecycle edits of `models.toml` from the
//! command line (deprecate, delete, add) and the upstream check against a
//! models.dev `api.json` (sync). Each edit is validated by the catalogue crate
//! before anything is written: an edit whose result would not compile is
//! refused with its diagnostics (exit 3) and the file is left as it was.
//! Every other byte of the file is kept; the change is printed as a diff.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use llm_lifecycle_catalog::edit::{self, Edit, EditError};
use llm_lifecycle_catalog::{Catalog, Date, sync};

use super::{Cli, Format, exit, print, print_json};

/// Arguments of `catalog`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(super) struct CatalogArgs {
    /// What to change.
    #[command(subcommand)]
    pub edit: CatalogCommand,

    /// The catalogue file to edit.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = "models.toml"
    )]
    pub catalog: PathBuf,

    /// Print the change, write nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
}

/// The edits.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub(super) enum CatalogCommand {
    /// Mark PROVIDER/NAME deprecated (every use warns at compile time; the
    /// next apply flags its rows and tells its teams).
    Deprecate {
        /// The model, `provider/name`.
        model: String,
        /// What its users move to: a live model of the same provider.
        #[arg(long)]
        replacement: Option<String>,
        /// When it retires (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        sunset: Option<Date>,
    },
    /// Move PROVIDER/NAME to `deleted` with `deleted_on` = today (`--today`):
    /// the next apply repoints its references (or clears them) and deletes its rows.
    Delete {
        /// The model, `provider/name`.
        model: String,
        /// Where its references move.
        #[arg(long)]
        replacement: Option<String>,
    },
    /// Add PROVIDER/NAME as a live model.
    Add {
        /// The model, `provider/name`.
        model: String,
        /// Its token limit.
        #[arg(long)]
        token_limit: u32,
        /// Make it its provider's default model.
        #[arg(long)]
        default: bool,
    },
    /// Compare the catalogue with a models.dev `api.json` (fetched by you):
    /// deprecated upstream, gone upstream, token limits that differ, models
    /// upstream that the catalogue lacks.
    Sync {
        /// The `api.json` file.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Only this provider of the catalogue.
        #[arg(long, value_name = "KEY")]
        provider: Option<String>,
        /// Apply the upstream deprecations and token limits to the file.
        #[arg(long)]
        write: bool,
    },
}

/// Runs `catalog`; the exit code.
pub(super) fn run(cli: &Cli, args: &CatalogArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match execute(cli, args, out) {
        Ok(code) => code,
        Err(Failure::Refused(message)) => {
            let _ = writeln!(err, "error: {message}");
            let _ = writeln!(err, "{} is unchanged.", args.catalog.display());
            exit::REFUSED
        }
        Err(Failure::Io(message)) => {
            let _ = writeln!(err, "error: {message}");
            exit::ERROR
        }
    }
}

enum Failure {
    /// The edit was refused: nothing written.
    Refused(String),
    /// A file could not be read or written.
    Io(String),
}

impl From<EditError> for Failure {
    fn from(error: EditError) -> Self {
        Self::Refused(error.to_string())
    }
}

fn execute(cli: &Cli, args: &CatalogArgs, out: &mut dyn Write) -> Result<u8, Failure> {
    let path = &args.catalog;
    let origin = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let source = read(path)?;
    let edit = match &args.edit {
        CatalogCommand::Deprecate {
            model,
            replacement,
            sunset,
        } => edit::deprecate(&source, &origin, model, replacement.as_deref(), *sunset)?,
        CatalogCommand::Delete { model, replacement } => {
            let today = cli.today.unwrap_or_else(crate::plan::today_utc);
            edit::delete(&source, &origin, model, replacement.as_deref(), today)?
        }
        CatalogCommand::Add {
            model,
            token_limit,
            default,
        } => edit::add(&source, &origin, model, *token_limit, *default)?,
        CatalogCommand::Sync {
            from,
            provider,
            write,
        } => {
            let catalog = Catalog::parse(&source, &origin).map_err(|diagnostics| {
                Failure::Refused(format!(
                    "{origin} is not a valid model catalogue, so it is not compared: fix it first\n{diagnostics}"
                ))
            })?;
            let json = read(from)?;
            let upstream = sync::parse_models_dev(&json, &from.display().to_string())
                .map_err(|e| Failure::Refused(e.to_string()))?;
            let report = sync::compare(&catalog, &upstream, provider.as_deref())
                .map_err(|e| Failure::Refused(e.to_string()))?;
            match cli.format {
                Format::Json => print_json(out, &report),
                Format::Text | Format::Markdown => print(out, &report.render_text()),
            }
            if !write {
                return Ok(exit::OK);
            }
            sync::apply_report(&source, &origin, &report)?
        }
    };
    for note in &edit.notes {
        print(out, &format!("note: {note}\n"));
    }
    if edit.is_noop() {
        print(
            out,
            &format!("{} already says so: nothing to change.\n", path.display()),
        );
        return Ok(exit::OK);
    }
    print(out, &edit.diff);
    if args.dry_run {
        print(out, &format!("(dry run: {} not written)\n", path.display()));
    } else {
        write(path, &edit)?;
        print(out, &format!("Wrote {}.\n", path.display()));
    }
    Ok(exit::OK)
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| {
        Failure::Io(format!(
            "cannot read {}: {e} (pass --catalog PATH for another file)",
            path.display()
        ))
    })
}

/// Replaces the file in one rename, keeping its permissions.
fn write(path: &Path, edit: &Edit) -> Result<(), Failure> {
    let temporary = path.with_extension("toml.edit-tmp");
    std::fs::write(&temporary, &edit.text)
        .and_then(|()| {
            let permissions = std::fs::metadata(path)?.permissions();
            std::fs::set_permissions(&temporary, permissions)
        })
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))
}
