//! The `git` binary, as prune needs it: where the catalogue lives in its
//! repository, which branch is "main", the commits that changed the file, the
//! file's content at each of them, and whether it has uncommitted changes.
//!
//! Few invocations: one to locate the repository, one or two to pick the
//! branch, one `git log` for the file's history and one `git cat-file --batch`
//! streaming every revision needed.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::error::PruneError;

/// The repository holding the catalogue.
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    /// The work tree's top directory.
    pub(crate) root: PathBuf,
    /// The catalogue's path from `root`, with `/` separators.
    pub(crate) path: String,
}

/// The branch whose history counts, and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Branch {
    /// What to hand to `git log` (`main`, `origin/main`…).
    pub(crate) rev: String,
    /// How it was chosen (`--branch`, `origin/HEAD`, `main exists`…).
    pub(crate) how: String,
}

/// One commit that changed the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Commit {
    /// Full hash.
    pub(crate) hash: String,
    /// Committer time (Unix seconds).
    pub(crate) time: i64,
}

fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    command
}

/// Runs a git command; its stdout when it succeeds, `Ok(None)` when it exits non-zero.
fn output(command: &mut Command) -> Result<Option<String>, PruneError> {
    let out = command.output().map_err(|source| PruneError::Git {
        command: describe(command),
        reason: source.to_string(),
    })?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}

fn describe(command: &Command) -> String {
    let args: Vec<String> = command
        .get_args()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    format!("git {}", args.join(" "))
}

/// The repository holding `file`, or why there is none (not a repository, no `git`).
pub(crate) fn locate(file: &Path) -> Result<Repo, String> {
    let dir = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{} is not a file name", file.display()))?;
    let mut command = git(&dir);
    command.args(["rev-parse", "--show-toplevel", "--show-prefix"]);
    let out = command
        .output()
        .map_err(|error| format!("git is not available ({error})"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why = stderr
            .lines()
            .map(|line| line.trim_start_matches("fatal: ").trim())
            .find(|line| !line.is_empty())
            .unwrap_or("git rev-parse failed");
        return Err(format!(
            "{} is not in a usable git repository: {why}",
            dir.display()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let root = lines.next().unwrap_or_default().trim().to_owned();
    let prefix = lines.next().unwrap_or_default().trim().to_owned();
    if root.is_empty() {
        return Err(format!("{} is not in a git work tree", dir.display()));
    }
    Ok(Repo {
        root: PathBuf::from(root),
        path: format!("{prefix}{name}"),
    })
}

/// The branch to read history from: `explicit` (which must exist), else
/// `origin/HEAD`'s target, else `main`, else `master`, else the current branch.
/// `None` when the repository has no branch at all (no commits).
pub(crate) fn branch(repo: &Repo, explicit: Option<&str>) -> Result<Option<Branch>, PruneError> {
    if let Some(name) = explicit {
        let mut command = git(&repo.root);
        command.args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{name}^{{commit}}"),
        ]);
        return match output(&mut command)? {
            Some(_) => Ok(Some(Branch {
                rev: name.to_owned(),
                how: "--branch".into(),
            })),
            None => Err(PruneError::UnknownBranch {
                branch: name.to_owned(),
                repo: repo.root.clone(),
            }),
        };
    }
    let mut command = git(&repo.root);
    command.args([
        "for-each-ref",
        "--format=%(refname)%09%(symref)",
        "refs/remotes/origin/HEAD",
        "refs/heads/main",
        "refs/heads/master",
    ]);
    let refs = output(&mut command)?.unwrap_or_default();
    let found = |name: &str| {
        refs.lines()
            .find_map(|line| line.split_once('\t').filter(|(r, _)| *r == name))
    };
    if let Some((_, target)) = found("refs/remotes/origin/HEAD")
        && let Some(short) = target.strip_prefix("refs/remotes/")
    {
        return Ok(Some(Branch {
            rev: short.to_owned(),
            how: "origin/HEAD".into(),
        }));
    }
    for name in ["main", "master"] {
        if found(&format!("refs/heads/{name}")).is_some() {
            return Ok(Some(Branch {
                rev: name.to_owned(),
                how: format!("no origin/HEAD; `{name}` exists"),
            }));
        }
    }
    let mut command = git(&repo.root);
    command.args(["symbolic-ref", "--quiet", "--short", "HEAD"]);
    let current = output(&mut command)?.map(|name| name.trim().to_owned());
    let mut command = git(&repo.root);
    command.args(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
    let has_commits = output(&mut command)?.is_some();
    Ok(current
        .filter(|name| !name.is_empty() && has_commits)
        .map(|name| Branch {
            rev: name,
            how: "no origin/HEAD, main or master: the current branch".into(),
        }))
}

/// The commits on `branch`'s first-parent line that changed the catalogue, newest first.
pub(crate) fn commits(repo: &Repo, branch: &Branch) -> Result<Vec<Commit>, PruneError> {
    let mut command = git(&repo.root);
    command.args([
        "log",
        "--first-parent",
        "--format=%H%x09%ct",
        &branch.rev,
        "--",
        &repo.path,
    ]);
    let text = output(&mut command)?.ok_or_else(|| PruneError::Git {
        command: describe(&command),
        reason: "git log failed".into(),
    })?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let (hash, time) = line.split_once('\t')?;
            Some(Commit {
                hash: hash.to_owned(),
                time: time.trim().parse().ok()?,
            })
        })
        .collect())
}

/// Streams the catalogue's content at revisions through one `git cat-file --batch`.
pub(crate) struct Contents {
    child: std::process::Child,
    input: Option<std::process::ChildStdin>,
    reader: BufReader<std::process::ChildStdout>,
    path: String,
}

impl Contents {
    /// Starts `git cat-file --batch` in the repository.
    pub(crate) fn open(repo: &Repo) -> Result<Self, PruneError> {
        let mut command = git(&repo.root);
        command
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let failed = |reason: String| PruneError::Git {
            command: "git cat-file --batch".into(),
            reason,
        };
        let mut child = command.spawn().map_err(|e| failed(e.to_string()))?;
        let input = child.stdin.take();
        let output = child
            .stdout
            .take()
            .ok_or_else(|| failed("no stdout".into()))?;
        Ok(Self {
            child,
            input,
            reader: BufReader::new(output),
            path: repo.path.clone(),
        })
    }

    /// The file at `commit`; `None` when it does not exist there.
    pub(crate) fn at(&mut self, commit: &Commit) -> Result<Option<String>, PruneError> {
        let failed = |reason: String| PruneError::Git {
            command: "git cat-file --batch".into(),
            reason,
        };
        let input = self
            .input
            .as_mut()
            .ok_or_else(|| failed("stdin closed".into()))?;
        writeln!(input, "{}:{}", commit.hash, self.path)
            .and_then(|()| input.flush())
            .map_err(|e| failed(e.to_string()))?;
        let mut header = String::new();
        self.reader
            .read_line(&mut header)
            .map_err(|e| failed(e.to_string()))?;
        let mut fields = header.split_whitespace();
        let (_, kind, size) = (fields.next(), fields.next(), fields.next());
        let Some(size) = size.and_then(|size| size.parse::<usize>().ok()) else {
            // `<rev> missing` (or `ambiguous`): the file does not exist at that commit.
            return Ok(None);
        };
        let mut body = vec![0; size + 1];
        self.reader
            .read_exact(&mut body)
            .map_err(|e| failed(e.to_string()))?;
        body.truncate(size);
        Ok((kind == Some("blob")).then(|| String::from_utf8_lossy(&body).into_owned()))
    }
}

impl Drop for Contents {
    fn drop(&mut self) {
        drop(self.input.take());
        let _ = self.child.wait();
    }
}

/// Whether the catalogue has uncommitted changes (or is not committed at all).
pub(crate) fn is_dirty(repo: &Repo) -> Result<bool, PruneError> {
    let mut command = git(&repo.root);
    command.args(["status", "--porcelain", "--", &repo.path]);
    let text = output(&mut command)?.ok_or_else(|| PruneError::Git {
        command: describe(&command),
        reason: "git status failed".into(),
    })?;
    Ok(!text.trim().is_empty())
}
