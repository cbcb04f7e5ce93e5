//! Text renderings of command results (the plan has its own, in `plan::render`).

use std::fmt::Write as _;

use crate::apply::ApplyReport;
use crate::ledger::RunRecord;
use crate::plan::render;
use crate::status::Status;

/// What `apply` prints: the actions taken, then one summary line.
pub(super) fn applied(report: &ApplyReport) -> String {
    let mut out = String::new();
    for version in &report.migrations {
        let _ = writeln!(out, "* migrated schema: {version}");
    }
    if report.plan.is_noop() {
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
    format!(
        "Applied (run {}, {} ms): {} created, {} updated, {} merged, {} deleted; {} repointed, {} cleared; {} team notification(s) written.\n",
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
    out
}

/// What `history` prints: one line per run (`environment`: the one shown, or
/// `None` for every environment).
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
    let mut out = String::new();
    for run in runs {
        let _ = write!(
            out,
            "#{:<5} {:<10} {:<12} {}  {} ms  +{} ~{} ⇄{} -{} →{} ∅{} ✉{}  catalogue {}",
            run.id,
            run.status,
            run.environment,
            run.started_at,
            run.duration_ms.unwrap_or_default(),
            run.created,
            run.updated,
            run.merged,
            run.deleted,
            run.repointed_rows,
            run.cleared_rows,
            run.notified,
            run.catalog_digest.get(..12).unwrap_or(&run.catalog_digest),
        );
        if let Some(error) = &run.error {
            let _ = write!(out, "  ({error})");
        }
        out.push('\n');
    }
    out
}
