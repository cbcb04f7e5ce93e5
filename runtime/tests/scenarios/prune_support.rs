//! Fixtures for the prune tests: a temporary git repository with back-dated
//! commits, and running `apply-models prune` through `cli::run`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

use llm_lifecycle_catalog::Catalog;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// A git repository in a temporary directory, committing as a test user.
pub struct TestRepo {
    dir: tempfile::TempDir,
}

/// What a command printed and returned.
pub struct Outcome {
    pub code: u8,
    pub out: String,
    pub err: String,
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

impl TestRepo {
    /// `git init -b main` in a fresh directory.
    pub fn new() -> Self {
        let repo = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "--quiet", "-b", "main"]);
        repo.git(&["config", "user.name", "Prune Test"]);
        repo.git(&["config", "user.email", "prune@example.invalid"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `models.toml` in the work tree.
    pub fn catalog(&self) -> PathBuf {
        self.path().join("models.toml")
    }

    /// Runs git in the repository (isolated from the user's configuration); its stdout.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_at(args, None)
    }

    fn git_at(&self, args: &[&str], unix: Option<i64>) -> String {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(self.path())
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        if let Some(unix) = unix {
            let date = format!("@{unix} +0000");
            command
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date);
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Writes `models.toml` and commits it, dated `days_ago` days back; the commit hash.
    pub fn commit(&self, text: &str, days_ago: i64, message: &str) -> String {
        std::fs::write(self.catalog(), text).unwrap();
        self.git(&["add", "models.toml"]);
        let when = now() - days_ago * DAY - 60;
        self.git_at(&["commit", "--quiet", "-m", message], Some(when));
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }
}

/// Runs `apply-models ARGS` (the compiled catalogue is irrelevant to prune).
pub fn apply_models(args: &[&str]) -> Outcome {
    let unused = Catalog::parse(
        "[providers.p]\nmodels = [{ name = \"m\", token_limit = 1, default = true }]\n",
        "unused.toml",
    )
    .unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["apply-models"];
    argv.extend_from_slice(args);
    let code = llm_lifecycle_runtime::cli::run(&unused, argv, &mut out, &mut err);
    Outcome {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

/// The table row of `entry` in a text report.
pub fn row<'a>(outcome: &'a Outcome, entry: &str) -> &'a str {
    outcome
        .out
        .lines()
        .find(|line| line.split_whitespace().next() == Some(entry))
        .unwrap_or_else(|| panic!("no row for {entry} in:\n{}", outcome.out))
}

/// `text` without the lines that contain any of `needles`.
pub fn without_lines(text: &str, needles: &[&str]) -> String {
    text.split_inclusive('\n')
        .filter(|line| !needles.iter().any(|needle| line.contains(needle)))
        .collect()
}
