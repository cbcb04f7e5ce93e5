//! The affected teams as plan text, one line per model:
//!
//! ```text
//! ✉ notify 2 teams about openai/gpt-4o (deprecated, use openai/gpt-4.1): team 1 (1 chatbot(s)); team 2 (2 pipeline(s))
//! ✉ notify 1 team about openai/o1-mini (deleted, references cleared): team 2 (2 chatbot(s))
//! ```
//!
//! A team is told about each model once: teams already notified are not listed.

use std::fmt::Write as _;

use super::{AffectedModel, ModelChange, texts};
use crate::plan::Plan;

/// Teams listed per line before `… and N more`.
pub(crate) const TEAMS_PER_LINE: usize = AffectedModel::LISTED;

/// What happens to the model, in words: `deprecated, use openai/gpt-4.1`
/// (`…, sunset 2027-01-31` when the catalogue gives the date).
#[must_use]
pub(crate) fn change(model: &AffectedModel) -> String {
    let sunset = model
        .sunset
        .as_ref()
        .map_or_else(String::new, |date| format!(", sunset {date}"));
    match (model.change, &model.replacement) {
        (ModelChange::Deprecated, Some(to)) => format!("deprecated, use {to}{sunset}"),
        (ModelChange::Deprecated, None) => format!("deprecated, no replacement{sunset}"),
        (ModelChange::Deleted, Some(to)) => format!("deleted, references move to {to}"),
        (ModelChange::Deleted, None) => "deleted, references cleared".to_owned(),
        (ModelChange::Sunset, replacement) => {
            let date = model.sunset.as_deref().unwrap_or("its sunset");
            let (left, threshold) = model.reminder.map_or_else(
                || ("soon".to_owned(), String::new()),
                |reminder| {
                    (
                        texts::days_left(reminder.days_left),
                        format!(": the {}-day reminder", reminder.days_before),
                    )
                },
            );
            let to = replacement
                .as_ref()
                .map_or_else(|| "no replacement".to_owned(), |to| format!("use {to}"));
            format!("retires on {date}, {left}{threshold}, {to}")
        }
    }
}

/// One line per affected model (empty when no team is affected).
#[must_use]
pub(crate) fn text(plan: &Plan) -> String {
    let mut out = String::new();
    for model in &plan.affected {
        let n = model.team_count();
        let mut teams: Vec<String> = model
            .teams
            .iter()
            .take(TEAMS_PER_LINE)
            .map(|team| format!("team {} ({})", team.team_id, texts::counts(&team.resources)))
            .collect();
        if n > TEAMS_PER_LINE {
            teams.push(format!("… and {} more", n - TEAMS_PER_LINE));
        }
        let _ = writeln!(
            out,
            "✉ notify {n} team{} about {} ({}): {}",
            if n == 1 { "" } else { "s" },
            model.model,
            change(model),
            teams.join("; ")
        );
    }
    out
}
