//! Text renderings of command results (the plan has its own, in `plan::render`).

use std::fmt::Write as _;

use crate::apply::ApplyReport;
use crate::ledger::RunRecord;
use crate::plan::render;
use crate::status::Status;
use crate::sunset::SunsetCheck;

/// What `apply` prints: the actions taken, then one summary line.
pub(super) fn applied(report: &ApplyReport) -> String {
    let mut out = String::new();
    for version in &report.migrations {
        let _ = writeln!(out, "* migrated schema: {version}");
    }
    if report.plan.is_noop() {
        for warning in &report.plan.warnings {
            let _ = writeln!(out, "! {warning}");
        }
        let _ = writeln!(
            out,
            "Nothing to do: the database matches the catalogue (run {}, {} ms).",
            report.run_id, report.duration_ms
        );
        return with_unmanaged(out, report);
    }
    let text = render::text(&report.plan);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop(); // the plan's own summary line
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    out.push_str(&applied_line(report));
    out
}

/// `Applied (run 7, 120 ms): 2 created, …; 7 rows repointed, 3 rows cleared; 2 teams notified.`
pub(super) fn applied_line(report: &ApplyReport) -> String {
    let c = &report.counts;
    let batches = match report.batches {
        0 => String::new(),
        1 => " (1 batch before the final transaction)".to_owned(),
        n => format!(
            " ({} batches before the final transaction)",
            render::thousands(n)
        ),
    };
    format!(
        "Applied (run {}, {} ms): {} created, {} updated, {} merged, {} deleted; {} repointed, {} cleared{batches}; {} team notification(s) written.\n",
        report.run_id,
        report.duration_ms,
        c.created,
        c.updated,
        c.merged,
        c.deleted,
        render::rows(u64::try_from(c.repointed_rows).unwrap_or_default()),
        render::rows(u64::try_from(c.cleared_rows).unwrap_or_default()),
        c.notified,
    )
}

fn with_unmanaged(mut out: String, report: &ApplyReport) -> String {
    for unmanaged in &report.plan.unmanaged {
        let _ = writeln!(
            out,
            "! unmanaged {} (row {}): neither declared nor deleted in models.toml; left alone",
            unmanaged.model, unmanaged.id
        );
    }
    out
}

/// What `status` prints.
pub(super) fn status(status: &Status, location: &str, environment: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "database:  {} {location}", status.backend);
    let _ = writeln!(out, "catalogue: digest {}", status.catalog_digest);
    match &status.last_run {
        Some(run) => {
            let _ = writeln!(
                out,
                "last apply in {environment:?}: run {} at {} ({}){}",
                run.id,
                run.finished_at.as_deref().unwrap_or(&run.started_at),
                run.tool_version,
                if status.last_run_matches_catalog {
                    ", same catalogue"
                } else {
                    ", different catalogue"
                }
            );
        }
        None => {
            let _ = writeln!(out, "last apply in {environment:?}: never");
        }
    }
    if !status.schema_present {
        let _ = writeln!(
            out,
            "schema:    not created yet (apply or migrate creates it)"
        );
    }
    let drift = if status.in_sync() {
        "none".to_owned()
    } else {
        format!(
            "{} (see `apply-models plan`)",
            render::summary(&status.plan)
        )
    };
    let _ = writeln!(out, "drift:     {drift}");
    if !status.plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "unmanaged: {} global row(s) not in models.toml",
            status.plan.unmanaged.len()
        );
    }
    out.push_str(&render::sunsets(&status.plan));
    out
}

/// What `check` prints: one `✗` line per past-due model still used (the
/// date, the days since, the teams and their resources), the refusals, then
/// a verdict.
pub(super) fn check(check: &SunsetCheck) -> String {
    let mut out = String::new();
    for past in &check.past_due {
        let teams: Vec<String> = past
            .teams
            .iter()
            .map(|team| {
                let resources: Vec<String> = team
                    .resources
                    .iter()
                    .map(|r| format!("{} {}(s)", r.count, r.resource))
                    .collect();
                format!("team {} ({})", team.team_id, resources.join(", "))
            })
            .collect();
        let what_to_do = match &past.sunset.replacement {
            Some(to) => format!("move them to {to}"),
            None => "move them to another model".to_owned(),
        };
        let _ = writeln!(
            out,
            "✗ {} passed its sunset on {} ({} day(s) ago) and is still used by {} team(s): {}; {what_to_do}",
            past.sunset.model,
            past.sunset.sunset,
            -past.sunset.days_left,
            past.teams.len(),
            teams.join(", ")
        );
    }
    for refusal in &check.refusals {
        let _ = writeln!(out, "✗ refused: {refusal}");
    }
    let due = check.sunsets.iter().filter(|s| s.is_past_due()).count();
    if check.passed() {
        let _ = writeln!(
            out,
            "✓ no team uses a deprecated model past its sunset (as of {}; {} sunset(s), {due} past)",
            check.today,
            check.sunsets.len()
        );
    } else {
        let _ = writeln!(
            out,
            "Check failed (as of {}): {} past-due model(s) still in use, {} problem(s).",
            check.today,
            check.past_due.len(),
            check.refusals.len()
        );
    }
    out
}

/// The symbols of the `history` count columns, with their meaning.
const HISTORY_COUNTS: [(&str, &str); 7] = [
    ("+", "models created"),
    ("~", "models updated"),
    ("⇄", "team rows merged"),
    ("-", "models deleted"),
    ("→", "rows repointed"),
    ("∅", "rows cleared"),
    ("✉", "team notifications"),
];

/// What `history` prints: a header, one line per run in aligned columns, then
/// the legend of the count symbols (`environment`: the one shown, or `None` for
/// every environment).
pub(super) fn history(runs: &[RunRecord], environment: Option<&str>) -> String {
    if runs.is_empty() {
        return match environment {
            Some(environment) => format!(
                "No runs recorded for environment \"{environment}\" \
                 (--environment NAME picks another, --all shows every environment).\n"
            ),
            None => "No runs recorded yet.\n".to_owned(),
        };
    }
    // Cells per row; `true` in `right` marks a right-aligned (numeric) column.
    let mut header: Vec<String> = ["run", "status", "environment", "started (UTC)", "duration"]
        .map(str::to_owned)
        .into();
    header.extend(
        HISTORY_COUNTS
            .iter()
            .map(|(symbol, _)| (*symbol).to_owned()),
    );
    header.push("catalogue".to_owned());
    let mut right = vec![false, false, false, false, true];
    right.extend([true; 7]);
    right.push(false);
    let mut table = vec![header];
    for run in runs {
        let mut row = vec![
            format!("#{}", run.id),
            run.status.to_string(),
            run.environment.clone(),
            run.started_at.clone(),
            run.duration_ms.map_or_else(
                || "–".to_owned(),
                |ms| format!("{} ms", render::thousands(ms)),
            ),
        ];
        for count in [
            run.created,
            run.updated,
            run.merged,
            run.deleted,
            run.repointed_rows,
            run.cleared_rows,
            run.notified,
        ] {
            row.push(render::thousands(count));
        }
        row.push(
            run.catalog_digest
                .get(..12)
                .unwrap_or(&run.catalog_digest)
                .to_owned(),
        );
        table.push(row);
    }
    let widths: Vec<usize> = (0..right.len())
        .map(|column| {
            table
                .iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (index, row) in table.iter().enumerate() {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            let pad = " ".repeat(widths[column] - cell.chars().count());
            let gap = if column == 0 { "" } else { "  " };
            if right[column] {
                let _ = write!(line, "{gap}{pad}{cell}");
            } else {
                let _ = write!(line, "{gap}{cell}{pad}");
            }
        }
        if let Some(error) = index
            .checked_sub(1)
            .and_then(|run| runs[run].error.as_ref())
        {
            let _ = write!(line, "  ({error})");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let legend: Vec<String> = HISTORY_COUNTS
        .iter()
        .map(|(symbol, meaning)| format!("{symbol} {meaning}"))
        .collect();
    let _ = writeln!(out, "{}", legend.join(", "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: i64, status: &str, environment: &str, counts: [i64; 7]) -> RunRecord {
        let [
            created,
            updated,
            merged,
            deleted,
            repointed_rows,
            cleared_rows,
            notified,
        ] = counts;
        RunRecord {
            id,
            environment: environment.to_owned(),
            catalog_digest: "0123456789abcdef0123".to_owned(),
            tool_version: "0.1.0".to_owned(),
            status: crate::ledger::RunStatus::try_from(status.to_owned())
                .unwrap_or(crate::ledger::RunStatus::Running),
            error: (status == "refused").then(|| "plan refused: 1 problem".to_owned()),
            started_at: format!("2026-12-0{id}T09:30:00Z"),
            finished_at: Some(format!("2026-12-0{id}T09:30:01Z")),
            duration_ms: Some(id * 700),
            created,
            updated,
            merged,
            repointed_rows,
            cleared_rows,
            deleted,
            unmanaged: 0,
            notified,
        }
    }

    #[test]
    fn history_has_aligned_columns_and_a_legend() {
        let runs = [
            run(3, "succeeded", "production", [0; 7]),
            run(2, "refused", "staging", [0; 7]),
            run(1, "succeeded", "staging", [71, 2, 1, 3, 1_204, 3, 12]),
        ];
        let text = history(&runs, None);
        insta::assert_snapshot!(text);
        // The started and catalogue columns start at the same character on every line.
        let at =
            |line: &str, needle: &str| line.find(needle).map(|byte| line[..byte].chars().count());
        let lines: Vec<&str> = text.lines().take(4).collect();
        assert_eq!(lines.len(), 4, "{text}");
        for (header, cell) in [("started", "2026-"), ("catalogue", "0123456789ab")] {
            let expected = at(lines[0], header);
            assert!(expected.is_some(), "{text}");
            for line in &lines[1..] {
                assert_eq!(at(line, cell), expected, "{text}");
            }
        }
    }
}
