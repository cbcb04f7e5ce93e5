//! Test hooks: where a test can make an apply fail on purpose, to prove the
//! rollback. The points always exist (so the applier reads the same with and
//! without them); only the cargo feature `test-hooks` (off by default, on in
//! this workspace's own tests) lets anything trigger one, and only it reads
//! `LLM_LIFECYCLE_FAIL_AT`.

/// Where a test can make the apply fail on purpose, to prove the rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailPoint {
    /// After model rows were created and updated.
    AfterModelWrites,
    /// After references were repointed, before rows are deleted.
    AfterRepoint,
    /// `--batch-size`: after each batch committed (so after the first one),
    /// before the next; the batches done stay done.
    BetweenBatches,
    /// `--batch-size` on PostgreSQL and MySQL: after each step of the notices
    /// that wrote some committed (so after the first one), before the next;
    /// the notices written stay written.
    BetweenFolds,
    /// After everything, journal and ledger included, just before COMMIT.
    BeforeCommit,
}

#[cfg(feature = "test-hooks")]
impl FailPoint {
    /// Reads `LLM_LIFECYCLE_FAIL_AT` (`after-model-writes`, `after-repoint`,
    /// `between-batches`, `between-folds`, `before-commit`): a test hook for process-level tests.
    #[must_use]
    pub fn from_env() -> Option<Self> {
        match std::env::var("LLM_LIFECYCLE_FAIL_AT").ok()?.as_str() {
            "after-model-writes" => Some(Self::AfterModelWrites),
            "after-repoint" => Some(Self::AfterRepoint),
            "between-batches" => Some(Self::BetweenBatches),
            "between-folds" => Some(Self::BetweenFolds),
            "before-commit" => Some(Self::BeforeCommit),
            _ => None,
        }
    }
}

/// Test hook (cargo feature `test-hooks`): what runs after a step of a
/// batched apply commits (a batch, or a fold of the notices), given the
/// number of such steps so far, where no transaction of the apply is open: a
/// test writes there as the platform (or another apply) would meanwhile.
#[cfg(feature = "test-hooks")]
#[derive(Clone)]
pub struct Between(pub std::sync::Arc<dyn Fn(u64) + Send + Sync>);

#[cfg(feature = "test-hooks")]
impl std::fmt::Debug for Between {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Between(..)")
    }
}
