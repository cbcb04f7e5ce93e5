//! What can stop `prune`, each with what to do about it.

use std::path::PathBuf;

/// An error from `prune` (an unreachable environment is not one: it is reported
/// in the table).
#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    /// The catalogue file cannot be read or is not valid.
    #[error("{0}")]
    Catalog(#[from] llm_lifecycle_catalog::LoadError),
    /// The catalogue file cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A git command failed.
    #[error("`{command}` failed: {reason}")]
    Git {
        /// The command line.
        command: String,
        /// What went wrong.
        reason: String,
    },
    /// `--branch` names nothing in the repository.
    #[error("branch `{branch}` does not exist in the repository at {}; pass an existing branch to --branch (e.g. main or origin/main)", repo.display())]
    UnknownBranch {
        /// The name given.
        branch: String,
        /// The repository.
        repo: PathBuf,
    },
    /// `--write` on a file with uncommitted changes.
    #[error("{} has uncommitted changes; commit them first, or pass --allow-dirty to edit it anyway", path.display())]
    Dirty {
        /// The file.
        path: PathBuf,
    },
    /// The file's layout cannot be kept byte for byte, or an entry was not found.
    #[error("cannot edit {}: {reason}", path.display())]
    Edit {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The catalogue text cannot be rewritten keeping its layout.
    #[error("cannot rewrite the catalogue: {reason}")]
    Rewrite {
        /// Why.
        reason: String,
    },
    /// Removing the entries would leave an invalid catalogue (nothing was written).
    #[error(
        "removing {entries} would leave an invalid catalogue, so nothing was written: {reason}"
    )]
    WouldBreak {
        /// The entries.
        entries: String,
        /// The first diagnostic.
        reason: String,
    },
}
