//! The text rendering of a [`PruneReport`]: a heading, one table row per
//! deleted entry, the environments that could not be read, and what to do next.
//! (`--format json` serialises the report itself.)

use std::fmt::Write as _;

use super::{Age, AgeSource, EntryReport, EntryStatus, PruneReport, Verdict};

/// The whole report as text.
#[must_use]
pub fn text(report: &PruneReport) -> String {
    let mut out = String::new();
    let history = match &report.history.branch {
        Some(branch) => format!("git history of branch {branch} ({})", report.history.detail),
        None => format!("deleted_on only ({})", report.history.detail),
    };
    let _ = writeln!(out, "catalogue: {}", report.catalog.display());
    let _ = writeln!(
        out,
        "ages from: {history}; minimum age {} days",
        report.min_age_days
    );
    if report.entries.is_empty() {
        let _ = writeln!(out, "No deleted entries: nothing to prune.");
        return out;
    }
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(report.entries.len() + 1);
    let mut header = vec!["ENTRY".to_owned()];
    header.extend(report.environments.iter().map(|e| e.name.clone()));
    header.extend(["AGE".to_owned(), "VERDICT".to_owned()]);
    rows.push(header);
    rows.extend(report.entries.iter().map(row));
    table(&mut out, &rows);
    for environment in &report.environments {
        if let Some(error) = &environment.error {
            let _ = writeln!(out, "! {} unreachable: {error}", environment.name);
        }
    }
    let safe: Vec<&str> = report.safe().map(|entry| entry.id.as_str()).collect();
    if safe.is_empty() {
        let _ = writeln!(out, "Nothing is safe to remove yet.");
    } else {
        let _ = writeln!(
            out,
            "{} safe to remove: {} (run with --write to remove them).",
            safe.len(),
            safe.join(", ")
        );
    }
    out
}

fn row(entry: &EntryReport) -> Vec<String> {
    let mut cells = vec![entry.id.clone()];
    cells.extend(entry.environments.iter().map(|e| status(&e.status)));
    cells.push(age(&entry.age));
    cells.push(verdict(entry));
    cells
}

/// The verdict, telling the same story as the age: an entry not on the branch
/// yet has no age in days to be too recent by.
fn verdict(entry: &EntryReport) -> String {
    match (&entry.verdict, entry.age.source) {
        (Verdict::TooRecent { .. }, AgeSource::NotOnBranch) => {
            "too recent (not on branch yet)".into()
        }
        (verdict, _) => verdict.to_string(),
    }
}

/// `applied 2026-10-01`, `applied (absent)`, `pending (row present)`, `unreachable`.
fn status(status: &EntryStatus) -> String {
    match status {
        EntryStatus::Applied {
            since: Some(since), ..
        } => format!("applied {}", since.get(..10).unwrap_or(since)),
        EntryStatus::Applied { since: None, .. } => "applied (absent)".into(),
        EntryStatus::Pending { reason } => format!("pending ({reason})"),
        EntryStatus::Unreachable => "unreachable".into(),
    }
}

/// `95 days (git, 2026-08-23)`, `40 days (deleted_on)`, `not on branch`, `unknown`.
fn age(age: &Age) -> String {
    match (age.source, age.days, &age.since) {
        (AgeSource::Git, Some(days), Some(since)) => format!("{days} days (git, {since})"),
        (AgeSource::DeletedOn, Some(days), Some(since)) => {
            format!("{days} days (deleted_on {since})")
        }
        (AgeSource::NotOnBranch, _, _) => "not on branch yet".into(),
        _ => "unknown".into(),
    }
}

fn table(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or_default()
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column + 1 == row.len() {
                line.push_str(cell);
            } else {
                let width = widths.get(column).copied().unwrap_or_default();
                let _ = write!(line, "{cell:<width$}  ");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// The line `--write` prints.
#[must_use]
pub fn removed(report: &PruneReport, removed: &[String]) -> String {
    if removed.is_empty() {
        return "Nothing removed.\n".into();
    }
    format!(
        "Removed from {}: {}\n",
        report.catalog.display(),
        removed.join(", ")
    )
}
