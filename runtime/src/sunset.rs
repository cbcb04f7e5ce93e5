//! `apply-models check`: does any team still use a deprecated model whose
//! sunset has passed? For CI: it writes nothing, and fails (exit 3) naming the
//! model, the date and the teams.

use llm_lifecycle_catalog::Catalog;
use serde::Serialize;

use crate::db::Database;
use crate::error::Error;
use crate::plan::{self, AffectedTeam, ModelChange, PlanOptions, Refusal, Sunset};

/// A deprecated model past its sunset, with the teams that still use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastDue {
    /// The model, its date and the days since (negative `days_left`).
    pub sunset: Sunset,
    /// Every team with a resource on it (told before or not).
    pub teams: Vec<AffectedTeam>,
}

/// What `check` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SunsetCheck {
    /// The day it counted from (`--today`, or today in UTC).
    pub today: String,
    /// Every deprecated model with a sunset, soonest first.
    pub sunsets: Vec<Sunset>,
    /// Those past due that teams still use: the check fails while any remain.
    pub past_due: Vec<PastDue>,
    /// Problems that stop the plan (an invalid `filter`, say): the check
    /// fails with them, since it could not look.
    pub refusals: Vec<Refusal>,
}

impl SunsetCheck {
    /// No past-due model in use and nothing refused.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.past_due.is_empty() && self.refusals.is_empty()
    }
}

/// Looks for teams still using a deprecated model whose sunset is before
/// `options.today` (today in UTC without it). Reads only.
///
/// References without a `team_column` cannot be attributed to a team and are
/// not looked at (as for notices).
///
/// # Errors
/// [`Error::Database`] when the database cannot be read.
pub fn check(
    db: &mut Database<'_>,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<SunsetCheck, Error> {
    let today = options.today.unwrap_or_else(plan::today_utc);
    let sunsets = plan::sunsets(catalog, today);
    let mut past_due = Vec::new();
    let mut refusals = Vec::new();
    if sunsets.iter().any(Sunset::is_past_due) {
        let plan = plan::in_use(
            db,
            catalog,
            &PlanOptions {
                today: Some(today),
                ..options.clone()
            },
        )?;
        refusals = plan.refusals;
        for sunset in sunsets.iter().filter(|sunset| sunset.is_past_due()) {
            let teams = plan
                .affected
                .iter()
                .find(|model| {
                    model.change == ModelChange::Deprecated && model.model == sunset.model
                })
                .map(|model| model.teams.clone())
                .unwrap_or_default();
            if !teams.is_empty() {
                past_due.push(PastDue {
                    sunset: sunset.clone(),
                    teams,
                });
            }
        }
    }
    Ok(SunsetCheck {
        today: today.to_string(),
        sunsets,
        past_due,
        refusals,
    })
}
