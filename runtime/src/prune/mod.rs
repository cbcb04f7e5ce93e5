//! `apply-models prune`: which deleted entries of `models.toml` can go, and
//! removing them.
//!
//! A deleted entry is **safe** to remove once every named environment has
//! applied the deletion ([`environments`]: the journal records it, or the row
//! is absent and no reference points at it) and it has been on the main branch
//! for `--min-age` days (the first commit of the branch whose `models.toml`
//! has the entry in `deleted`, through the `git` binary; `deleted_on` when the
//! file has no history). An environment that cannot be read, or an entry of
//! unknown age, is reported as such: never guessed.
//!
//! [`prune()`] reads the file, the history and the environments into a
//! [`PruneReport`]; [`render`] prints it; [`write()`] removes the safe entries
//! with toml_edit, keeping every other byte of the file.
//!
//! The maintenance routine, from the repository root:
//!
//! ```text
//! apply-models prune --env staging=$STAGING_DATABASE_URL --env prod=$PROD_DATABASE_URL
//! apply-models prune --env staging=$STAGING_DATABASE_URL --env prod=$PROD_DATABASE_URL --write
//! cargo build && git commit -m "models.toml: prune deleted entries" models.toml
//! ```
//!
//! Exit code 0 when every entry could be decided; 1 (with one line on stderr)
//! when an environment was unreachable or an entry's age is unknown.

mod dates;
mod edit;
pub mod environments;
mod error;
mod git;
mod history;
pub mod render;
mod verdict;

use std::path::{Path, PathBuf};

use llm_lifecycle_catalog::Catalog;
use serde::Serialize;

pub use environments::{EntryStatus, Environment, EnvironmentReport};
pub use error::PruneError;
pub use verdict::Verdict;

use crate::plan::ModelId;
use history::OnBranch;

/// The default `--min-age`, in days.
pub const DEFAULT_MIN_AGE_DAYS: u32 = 30;

/// What to check.
#[derive(Debug, Clone)]
pub struct PruneOptions {
    /// The catalogue file to read (and, with [`write()`], edit).
    pub catalog: PathBuf,
    /// The environments that must all have applied a deletion.
    pub environments: Vec<Environment>,
    /// Days a deletion must have been on the branch.
    pub min_age_days: u32,
    /// The branch whose history counts (default: the repository's main branch).
    pub branch: Option<String>,
    /// "Now" as a Unix time (default: the system clock).
    pub now: Option<i64>,
}

/// Where the ages come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistorySource {
    /// The branch read (`main`, `origin/main`…); `None` without git history.
    pub branch: Option<String>,
    /// How the branch was chosen, or why there is no history.
    pub detail: String,
}

/// How an age was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeSource {
    /// The first commit of the branch that has the entry.
    Git,
    /// The entry's `deleted_on` (the file has no history on the branch).
    DeletedOn,
    /// The file has history but the branch does not have the entry yet.
    NotOnBranch,
    /// Neither history nor `deleted_on`.
    Unknown,
}

/// How long an entry has been deleted on the branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Age {
    /// Whole days; `None` when unknown.
    pub days: Option<i64>,
    /// The date it counts from (`YYYY-MM-DD`, UTC for commits).
    pub since: Option<String>,
    /// Where that date comes from.
    pub source: AgeSource,
    /// The commit, for [`AgeSource::Git`].
    pub commit: Option<String>,
}

/// One environment's status of one entry, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentStatus {
    /// The environment.
    pub environment: String,
    /// Its status.
    #[serde(flatten)]
    pub status: EntryStatus,
}

/// Everything prune knows about one deleted entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryReport {
    /// `provider/name`.
    pub id: String,
    /// The provider key.
    pub provider: String,
    /// The model name.
    pub name: String,
    /// Its declared replacement, if any.
    pub replacement: Option<String>,
    /// Per environment, in `--env` order.
    pub environments: Vec<EnvironmentStatus>,
    /// Age on the branch.
    pub age: Age,
    /// The conclusion (JSON: `{"kind": "pending", "environments": ["prod"]}`).
    pub verdict: Verdict,
}

/// The result of [`prune()`].
#[derive(Debug, Clone, Serialize)]
pub struct PruneReport {
    /// The catalogue file.
    pub catalog: PathBuf,
    /// Where ages come from.
    pub history: HistorySource,
    /// `--min-age` in days.
    pub min_age_days: u32,
    /// The environments, reachable or not.
    pub environments: Vec<EnvironmentReport>,
    /// Every deleted entry, in file order.
    pub entries: Vec<EntryReport>,
    #[serde(skip)]
    source: String,
    #[serde(skip)]
    repo: Option<git::Repo>,
}

impl PruneReport {
    /// The entries that can be removed.
    pub fn safe(&self) -> impl Iterator<Item = &EntryReport> {
        self.entries
            .iter()
            .filter(|entry| entry.verdict == Verdict::Safe)
    }

    /// Why prune could not decide for every entry (one line), or `None` when it could.
    #[must_use]
    pub fn undecided(&self) -> Option<String> {
        let mut reasons = Vec::new();
        let unreachable: Vec<&str> = self
            .environments
            .iter()
            .filter(|environment| !environment.is_reachable())
            .map(|environment| environment.name.as_str())
            .collect();
        if !unreachable.is_empty() {
            reasons.push(format!(
                "unreachable environment(s): {}",
                unreachable.join(", ")
            ));
        }
        let unknown: Vec<&str> = self
            .entries
            .iter()
            .filter(|entry| entry.verdict == Verdict::UnknownAge)
            .map(|entry| entry.id.as_str())
            .collect();
        if !unknown.is_empty() {
            reasons.push(format!(
                "unknown age (no git history on the branch, no deleted_on): {}",
                unknown.join(", ")
            ));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }
}

/// Checks every deleted entry of the catalogue at `options.catalog`.
///
/// # Errors
/// [`PruneError::Catalog`] when the file cannot be read or is invalid;
/// [`PruneError::UnknownBranch`] for a `--branch` that does not exist;
/// [`PruneError::Git`] when git fails on a repository it found. Unreachable
/// environments are reported in the result, not as errors.
pub fn prune(options: &PruneOptions) -> Result<PruneReport, PruneError> {
    let source = std::fs::read_to_string(&options.catalog).map_err(|source| {
        PruneError::Catalog(llm_lifecycle_catalog::LoadError::Io {
            path: options.catalog.clone(),
            source,
        })
    })?;
    let catalog = Catalog::parse(&source, &options.catalog.display().to_string())
        .map_err(|diagnostics| PruneError::Catalog(diagnostics.into()))?;
    let now = options.now.unwrap_or_else(dates::now);
    let deleted: Vec<(&str, &llm_lifecycle_catalog::DeletedModel)> = catalog
        .deleted()
        .map(|(provider, entry)| (provider.key.as_ref(), entry))
        .collect();
    let ids: Vec<ModelId> = deleted
        .iter()
        .map(|(provider, entry)| ModelId::new(*provider, entry.name.as_ref()))
        .collect();

    let (repo, history, on_branch) =
        read_history(&options.catalog, options.branch.as_deref(), &ids)?;
    let environments: Vec<EnvironmentReport> = options
        .environments
        .iter()
        .map(|environment| environments::inspect(environment, &catalog, &ids))
        .collect();

    let ages: Vec<Age> = deleted
        .iter()
        .enumerate()
        .map(|(index, (_, entry))| {
            age(
                on_branch.as_ref().and_then(|found| found.get(index)),
                entry.deleted_on,
                now,
            )
        })
        .collect();
    let mut verdicts: Vec<Verdict> = ages
        .iter()
        .enumerate()
        .map(|(index, age)| verdict::decide(index, &environments, age.days, options.min_age_days))
        .collect();
    let links: Vec<(&str, &str, Option<&str>)> = deleted
        .iter()
        .map(|(provider, entry)| (*provider, entry.name.as_ref(), entry.replacement.as_deref()))
        .collect();
    let live: Vec<(&str, &str, Option<&str>)> = catalog
        .models()
        .map(|(provider, model)| {
            (
                provider.key.as_ref(),
                model.name.as_ref(),
                model.replacement.as_deref(),
            )
        })
        .collect();
    verdict::protect_replacements(&links, &live, &mut verdicts);

    let entries = ids
        .iter()
        .zip(deleted.iter())
        .zip(ages.into_iter().zip(verdicts))
        .enumerate()
        .map(|(index, ((id, (_, entry)), (age, verdict)))| EntryReport {
            id: id.to_string(),
            provider: id.provider.clone(),
            name: id.name.clone(),
            replacement: entry.replacement.as_ref().map(ToString::to_string),
            environments: environments
                .iter()
                .map(|environment| EnvironmentStatus {
                    environment: environment.name.clone(),
                    status: environment
                        .statuses
                        .get(index)
                        .cloned()
                        .unwrap_or(EntryStatus::Unreachable),
                })
                .collect(),
            age,
            verdict,
        })
        .collect();
    Ok(PruneReport {
        catalog: options.catalog.clone(),
        history,
        min_age_days: options.min_age_days,
        environments,
        entries,
        source,
        repo,
    })
}

type History = (Option<git::Repo>, HistorySource, Option<Vec<OnBranch>>);

fn read_history(file: &Path, branch: Option<&str>, ids: &[ModelId]) -> Result<History, PruneError> {
    let repo = match git::locate(file) {
        Ok(repo) => repo,
        Err(why) => {
            let source = HistorySource {
                branch: None,
                detail: why,
            };
            return Ok((None, source, None));
        }
    };
    let Some(branch) = git::branch(&repo, branch)? else {
        let source = HistorySource {
            branch: None,
            detail: "the repository has no commits".into(),
        };
        return Ok((Some(repo), source, None));
    };
    let found = history::on_branch(&repo, &branch, ids)?;
    let detail = if found.is_some() {
        branch.how.clone()
    } else {
        format!("{}; {} has no commits on it", branch.how, repo.path)
    };
    let source = HistorySource {
        branch: Some(branch.rev),
        detail,
    };
    Ok((Some(repo), source, found))
}

fn age(
    on_branch: Option<&OnBranch>,
    deleted_on: Option<llm_lifecycle_catalog::Date>,
    now: i64,
) -> Age {
    match (on_branch, deleted_on) {
        (Some(OnBranch::Since(commit)), _) => Age {
            days: Some(dates::days_since_time(commit.time, now)),
            since: Some(dates::utc_date(commit.time)),
            source: AgeSource::Git,
            commit: Some(commit.hash.clone()),
        },
        (Some(OnBranch::NotYet), _) => Age {
            days: Some(0),
            since: None,
            source: AgeSource::NotOnBranch,
            commit: None,
        },
        (None, Some(date)) => Age {
            days: Some(dates::days_since_date(date, now)),
            since: Some(date.to_string()),
            source: AgeSource::DeletedOn,
            commit: None,
        },
        (None, None) => Age {
            days: None,
            since: None,
            source: AgeSource::Unknown,
            commit: None,
        },
    }
}

/// `text` (a catalogue) without the deleted `entries`, every other byte kept:
/// an entry on its own line goes with that line (its trailing comment
/// included), comment lines above it stay; an entry sharing a line goes with
/// one separating comma. The result is not validated (see [`write()`]).
///
/// # Errors
/// [`PruneError::Rewrite`] when the text is not TOML, toml_edit would not
/// reproduce it byte for byte, or an entry is not in its provider's `deleted`.
pub fn remove_entries(text: &str, entries: &[ModelId]) -> Result<String, PruneError> {
    edit::remove_entries(text, entries).map_err(|reason| PruneError::Rewrite { reason })
}

/// Refuses when `file` has uncommitted changes (or is untracked) in its git
/// repository. A file outside any repository has nothing to compare with: allowed.
///
/// # Errors
/// [`PruneError::Dirty`] when it has; [`PruneError::Git`] when git fails.
pub fn ensure_committed(file: &Path) -> Result<(), PruneError> {
    let Ok(repo) = git::locate(file) else {
        return Ok(());
    };
    if git::is_dirty(&repo)? {
        return Err(PruneError::Dirty {
            path: file.to_owned(),
        });
    }
    Ok(())
}

/// Removes the safe entries of `report` from its catalogue file, keeping every
/// other byte; the ids removed (empty: nothing to do, the file is untouched).
///
/// # Errors
/// [`PruneError::Dirty`] when the file has uncommitted changes and not
/// `allow_dirty`; [`PruneError::Edit`] when it changed since the report or its
/// layout cannot be kept; [`PruneError::WouldBreak`] when the result would not
/// be a valid catalogue; [`PruneError::Write`] when it cannot be written.
pub fn write(report: &PruneReport, allow_dirty: bool) -> Result<Vec<String>, PruneError> {
    let ids: Vec<ModelId> = report
        .safe()
        .map(|entry| ModelId::new(entry.provider.clone(), entry.name.clone()))
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let path = &report.catalog;
    if !allow_dirty
        && let Some(repo) = &report.repo
        && git::is_dirty(repo)?
    {
        return Err(PruneError::Dirty { path: path.clone() });
    }
    let edit_error = |reason: String| PruneError::Edit {
        path: path.clone(),
        reason,
    };
    let current = std::fs::read_to_string(path).map_err(|source| PruneError::Write {
        path: path.clone(),
        source,
    })?;
    if current != report.source {
        return Err(edit_error(
            "it changed while prune was running; run prune again".into(),
        ));
    }
    let edited = edit::remove_entries(&current, &ids).map_err(edit_error)?;
    let removed: Vec<String> = ids.iter().map(ToString::to_string).collect();
    if let Err(diagnostics) = Catalog::parse(&edited, &path.display().to_string()) {
        return Err(PruneError::WouldBreak {
            entries: removed.join(", "),
            reason: diagnostics
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        });
    }
    let temporary = path.with_extension("toml.prune-tmp");
    std::fs::write(&temporary, edited)
        .and_then(|()| {
            let permissions = std::fs::metadata(path)?.permissions();
            std::fs::set_permissions(&temporary, permissions)
        })
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|source| PruneError::Write {
            path: path.clone(),
            source,
        })?;
    Ok(removed)
}
