//! What the stale-catalogue guard found in the ledger: the run it names, and
//! the plan's warnings (lines that start with `!` and stop nothing).

use std::fmt;

use serde::Serialize;

use super::ModelId;

/// A committed run of the ledger, as a guard line names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRun {
    /// The run id (`apply-models history` lists it).
    pub run_id: i64,
    /// When it finished (`2026-12-01T10:00:00Z`).
    pub finished_at: Option<String>,
    /// Its `--environment`.
    pub environment: String,
    /// The digest of the catalogue it applied.
    pub catalog_digest: String,
}

/// How many hex digits of a digest a line shows (as `history` does).
const DIGEST_SHOWN: usize = 12;

impl fmt::Display for LedgerRun {
    /// `run 7 (2026-12-01T10:00:00Z, environment production, catalogue 1a2b3c4d5e6f)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digest = self
            .catalog_digest
            .get(..DIGEST_SHOWN)
            .unwrap_or(&self.catalog_digest);
        write!(
            f,
            "run {} ({}, environment {}, catalogue {digest})",
            self.run_id,
            self.finished_at.as_deref().unwrap_or("unfinished"),
            self.environment
        )
    }
}

/// Something odd about the plan that does not stop it: a `!` line in `plan`
/// and `apply`, an entry of `warnings` in `--format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PlanWarning {
    /// A model an earlier run deleted is created again, because
    /// `--allow-restore` names it.
    Restores {
        /// The model.
        model: ModelId,
        /// The run that deleted it.
        deleted_by: LedgerRun,
    },
    /// A model an earlier run deprecated is no longer deprecated in this
    /// catalogue (its flag is cleared).
    Undeprecates {
        /// The model.
        model: ModelId,
        /// The run that deprecated it.
        deprecated_by: LedgerRun,
    },
    /// This catalogue was applied in this environment before, and a different
    /// one was applied after it: the build being deployed looks older than the
    /// one deployed last.
    Rollback {
        /// The latest earlier run that applied this very catalogue.
        applied_by: LedgerRun,
        /// The latest run, which applied another one.
        superseded_by: LedgerRun,
    },
}

impl fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Restores { model, deleted_by } => write!(
                f,
                "restoring {model}, which {deleted_by} deleted (--allow-restore {model})"
            ),
            Self::Undeprecates {
                model,
                deprecated_by,
            } => write!(
                f,
                "{model} is no longer deprecated in this catalogue, but {deprecated_by} \
                 deprecated it: if this build is older than that one, deploy the newer build"
            ),
            Self::Rollback {
                applied_by,
                superseded_by,
            } => write!(
                f,
                "this looks like a rollback: this catalogue was applied by {applied_by}, and \
                 {superseded_by} applied a different one since; deploy the newer build unless \
                 you mean to roll back"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(finished_at: Option<&str>, digest: &str) -> LedgerRun {
        LedgerRun {
            run_id: 7,
            finished_at: finished_at.map(str::to_owned),
            environment: "production".to_owned(),
            catalog_digest: digest.to_owned(),
        }
    }

    #[test]
    fn a_run_is_named_with_its_date_environment_and_a_short_digest() {
        assert_eq!(
            run(Some("2026-12-01T10:00:00Z"), "0123456789abcdef0123").to_string(),
            "run 7 (2026-12-01T10:00:00Z, environment production, catalogue 0123456789ab)"
        );
        // A digest shorter than the prefix is shown whole; no finish time is said.
        assert_eq!(
            run(None, "abc").to_string(),
            "run 7 (unfinished, environment production, catalogue abc)"
        );
    }

    #[test]
    fn warnings_say_what_to_do() {
        let model = ModelId::new("openai", "gpt-4.1-nano");
        let by = run(Some("2026-12-01T10:00:00Z"), "0123456789abcdef");
        assert_eq!(
            PlanWarning::Restores {
                model: model.clone(),
                deleted_by: by.clone(),
            }
            .to_string(),
            "restoring openai/gpt-4.1-nano, which run 7 (2026-12-01T10:00:00Z, environment \
             production, catalogue 0123456789ab) deleted (--allow-restore openai/gpt-4.1-nano)"
        );
        assert!(
            PlanWarning::Undeprecates {
                model,
                deprecated_by: by.clone(),
            }
            .to_string()
            .ends_with("deploy the newer build")
        );
        assert!(
            PlanWarning::Rollback {
                applied_by: by.clone(),
                superseded_by: by,
            }
            .to_string()
            .starts_with("this looks like a rollback: this catalogue was applied by run 7 (")
        );
    }
}
