//! The plan as a pull-request comment (`--format markdown`): a heading and the
//! summary, a table of model changes, a table of reference updates, the
//! affected teams per model, unmanaged rows and refusals.

use std::fmt::Write as _;

use super::{Plan, Reason, render};
use super::{notices, texts};

/// Teams listed per model before `… and N more`.
const TEAMS_PER_MODEL: usize = 50;

/// A table cell: `|` escaped, newlines flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `` `openai/gpt-4` `` (code span, never containing a backtick).
fn code(text: impl std::fmt::Display) -> String {
    format!("`{}`", text.to_string().replace('`', "'"))
}

/// The whole plan as Markdown.
#[must_use]
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## LLM model catalogue: plan\n");
    let _ = writeln!(out, "{}\n", render::summary(plan));
    changes(plan, &mut out);
    references(plan, &mut out);
    affected(plan, &mut out);
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(out, "### Unmanaged rows\n");
        let _ = writeln!(
            out,
            "Neither declared nor deleted in `models.toml`; left alone.\n"
        );
        for unmanaged in &plan.unmanaged {
            let _ = writeln!(out, "- {} (row {})", code(&unmanaged.model), unmanaged.id);
        }
        out.push('\n');
    }
    if !plan.skipped.is_empty() {
        let _ = writeln!(out, "### Skipped values\n");
        let _ = writeln!(
            out,
            "Not a JSON object, so no model id; left as they are.\n"
        );
        for skipped in &plan.skipped {
            let _ = writeln!(
                out,
                "- {} in `{}.{}`",
                render::rows(skipped.rows),
                skipped.table,
                skipped.column
            );
        }
        out.push('\n');
    }
    if !plan.sunsets.is_empty() {
        let _ = writeln!(out, "### Sunsets\n");
        let _ = writeln!(out, "| model | sunset | days left | use instead |");
        let _ = writeln!(out, "|---|---|---|---|");
        for sunset in &plan.sunsets {
            let left = if sunset.is_past_due() {
                format!("**past due** ({} days ago)", -sunset.days_left)
            } else {
                sunset.days_left.to_string()
            };
            let instead = sunset.replacement.as_ref().map_or(String::new(), code);
            let _ = writeln!(
                out,
                "| {} | {} | {left} | {instead} |",
                code(&sunset.model),
                sunset.sunset
            );
        }
        out.push('\n');
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "### Warnings\n");
        for warning in &plan.warnings {
            let _ = writeln!(out, "- {}", cell(&warning.to_string()));
        }
        out.push('\n');
    }
    if plan.is_refused() {
        let _ = writeln!(out, "### Refused\n");
        let _ = writeln!(out, "Nothing will be written until these are fixed:\n");
        for refusal in &plan.refusals {
            let _ = writeln!(out, "- {}", cell(&refusal.to_string()));
            if let Some(toml) = refusal.toml_to_add() {
                let _ = writeln!(out, "\n  ```toml");
                for line in toml.lines() {
                    let _ = writeln!(out, "  {line}");
                }
                let _ = writeln!(out, "  ```");
            }
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn changes(plan: &Plan, out: &mut String) {
    let mut rows: Vec<[String; 3]> = Vec::new();
    for create in &plan.creates {
        rows.push([
            "create".into(),
            code(&create.model),
            format!("token limit {}", render::thousands(create.token_limit)),
        ]);
    }
    for update in &plan.updates {
        let mut details = Vec::new();
        if let Some(change) = update.token_limit {
            details.push(format!(
                "token limit {} → {}",
                render::thousands(change.from),
                render::thousands(change.to)
            ));
        }
        if update.deprecated.is_some_and(|change| change.to) {
            details.push("flagged deprecated".to_owned());
        }
        let action = match update.deprecated {
            Some(change) if change.to => "deprecate",
            Some(_) => "undeprecate",
            None => "update",
        };
        rows.push([action.into(), code(&update.model), details.join(", ")]);
    }
    for merge in &plan.merges {
        rows.push([
            "merge".into(),
            code(&merge.model),
            format!("{} into {}", merge.describe(), merge.target()),
        ]);
    }
    for deletion in &plan.deletions {
        let details = match &deletion.replacement {
            Some(to) => format!("row {}, references move to {}", deletion.id, code(to)),
            None => format!("row {}, no replacement: references cleared", deletion.id),
        };
        rows.push(["delete".into(), code(&deletion.model), details]);
    }
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Model changes\n");
    let _ = writeln!(out, "| Action | Model | Details |");
    let _ = writeln!(out, "|---|---|---|");
    for [action, model, details] in rows {
        let _ = writeln!(out, "| {action} | {model} | {} |", cell(&details));
    }
    out.push('\n');
}

fn references(plan: &Plan, out: &mut String) {
    if plan.reference_updates.is_empty() {
        return;
    }
    let _ = writeln!(out, "### References\n");
    let _ = writeln!(out, "| Column | From | To | Rows |");
    let _ = writeln!(out, "|---|---|---|---:|");
    for update in &plan.reference_updates {
        let column = match &update.key {
            Some(key) => format!("{}.{}→{key}", update.table, update.column),
            None => format!("{}.{}", update.table, update.column),
        };
        let from = match (update.reason, update.from_team) {
            (Reason::Merge, Some(team)) => format!("{} (team {team})", code(&update.from)),
            (Reason::Merge, None) => format!("{} (duplicate global row)", code(&update.from)),
            _ => code(&update.from),
        };
        let to = update
            .to
            .as_ref()
            .map_or_else(|| "*cleared*".to_owned(), code);
        let _ = writeln!(
            out,
            "| {} | {from} | {to} | {} |",
            code(cell(&column)),
            render::thousands(update.rows)
        );
    }
    out.push('\n');
    let batching = render::batching(plan);
    if !batching.is_empty() {
        let _ = writeln!(out, "**Batches** (`--batch-size`):\n");
        for line in batching.lines() {
            let _ = writeln!(out, "- {}", cell(line.trim_start()));
        }
        out.push('\n');
    }
}

fn affected(plan: &Plan, out: &mut String) {
    if plan.affected.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Teams to notify\n");
    let _ = writeln!(
        out,
        "Each team is told about a model once; teams already notified are not listed.\n"
    );
    for model in &plan.affected {
        let _ = writeln!(
            out,
            "**{}** — {}\n",
            code(&model.model),
            cell(&notices::change(model))
        );
        let _ = writeln!(out, "| Team | Resources |");
        let _ = writeln!(out, "|---:|---|");
        for team in model.teams.iter().take(TEAMS_PER_MODEL) {
            let _ = writeln!(
                out,
                "| {} | {} |",
                team.team_id,
                cell(&texts::counts(&team.resources))
            );
        }
        if model.teams.len() > TEAMS_PER_MODEL {
            let _ = writeln!(
                out,
                "| … | and {} more teams |",
                model.teams.len() - TEAMS_PER_MODEL
            );
        }
        out.push('\n');
    }
}
