//! How long each deleted entry has been on the main branch: walk the commits
//! that changed the catalogue, newest first, and find where each entry's
//! uninterrupted presence in `deleted` (same provider) began.
//!
//! A textual hit (`git log -S`) can be an unrelated string, or the entry
//! sitting in `models` rather than `deleted`: every revision is parsed, and
//! only a `deleted` entry of the same provider counts. An entry that was
//! removed and added again counts from its latest addition (never older than
//! the truth).

use std::collections::HashSet;

use toml_edit::{DocumentMut, Item, Value};

use super::error::PruneError;
use super::git::{self, Branch, Commit, Repo};
use crate::plan::ModelId;

/// Where an entry's presence on the branch starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OnBranch {
    /// First commit of the entry's uninterrupted presence.
    Since(Commit),
    /// The branch's latest version of the catalogue does not have it.
    NotYet,
}

/// For each of `entries`, where its presence on `branch` starts; `None` when the
/// file has no history on the branch at all.
pub(crate) fn on_branch(
    repo: &Repo,
    branch: &Branch,
    entries: &[ModelId],
) -> Result<Option<Vec<OnBranch>>, PruneError> {
    let commits = git::commits(repo, branch)?;
    if commits.is_empty() {
        return Ok(None);
    }
    let mut since: Vec<Option<Commit>> = vec![None; entries.len()];
    let mut open: Vec<bool> = vec![true; entries.len()];
    let mut contents = git::Contents::open(repo)?;
    for commit in &commits {
        if !open.contains(&true) {
            break;
        }
        let present = contents
            .at(commit)?
            .map(|text| deleted_entries(&text))
            .unwrap_or_default();
        for (index, entry) in entries.iter().enumerate() {
            if !open[index] {
                continue;
            }
            if present.contains(&(entry.provider.clone(), entry.name.clone())) {
                since[index] = Some(commit.clone());
            } else {
                open[index] = false;
            }
        }
    }
    Ok(Some(
        since
            .into_iter()
            .map(|commit| commit.map_or(OnBranch::NotYet, OnBranch::Since))
            .collect(),
    ))
}

/// Every `(provider, name)` in a `deleted` list of a catalogue's text; empty
/// when the text is not TOML (an old, broken revision contains nothing).
pub(crate) fn deleted_entries(text: &str) -> HashSet<(String, String)> {
    let mut found = HashSet::new();
    let Ok(document) = text.parse::<DocumentMut>() else {
        return found;
    };
    let Some(providers) = document.get("providers").and_then(Item::as_table_like) else {
        return found;
    };
    for (key, provider) in providers.iter() {
        let Some(deleted) = provider
            .as_table_like()
            .and_then(|provider| provider.get("deleted"))
        else {
            continue;
        };
        let mut add = |name: Option<&str>| {
            if let Some(name) = name {
                found.insert((key.to_owned(), name.to_owned()));
            }
        };
        if let Some(array) = deleted.as_array() {
            for value in array.iter() {
                add(value
                    .as_inline_table()
                    .and_then(|table| table.get("name"))
                    .and_then(Value::as_str));
            }
        } else if let Some(tables) = deleted.as_array_of_tables() {
            for table in tables.iter() {
                add(table.get("name").and_then(Item::as_str));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_deleted_entries_of_their_provider_count() {
        let text = r#"
[providers.openai]
models = [{ name = "gpt-4", token_limit = 1 }]   # "o1-mini" in a comment
deleted = [{ name = "o1-mini" }]

[[providers.groq.deleted]]
name = "llama3-8b-8192"

[providers]
azure = { models = [], deleted = [{ name = "gpt-35-turbo" }] }
"#;
        let found = deleted_entries(text);
        let expected: HashSet<(String, String)> = [
            ("openai", "o1-mini"),
            ("groq", "llama3-8b-8192"),
            ("azure", "gpt-35-turbo"),
        ]
        .into_iter()
        .map(|(p, n)| (p.to_owned(), n.to_owned()))
        .collect();
        assert_eq!(found, expected);
        assert!(deleted_entries("not = [toml").is_empty());
    }
}
